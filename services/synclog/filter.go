package synclog

import (
	"fmt"
	"strings"
	"time"

	eventsv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/events/v1"
	synclogv1 "github.com/xtsync/xtsync/pkg/gen/xtsync/synclog/v1"
	"github.com/xtsync/xtsync/pkg/natsx"
)

// Page sizes of the List RPCs (proto: 1..1000, default 100).
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// logFilter is a validated LogFilter: the subject part is applied by the
// server (XTSYNC_LOGS subject filter), the rest to each decoded entry.
type logFilter struct {
	cfg, cycle  string
	subject     string
	objectID    string
	action      eventsv1.WriteAction
	status      eventsv1.ProvisioningStatus
	start, end  time.Time // zero: unbounded
	code        string
	hasStart    bool
	hasEnd      bool
	fingerprint string // binds page tokens to the filter
}

// parseFilter validates f, naming the first bad field (prefix is the
// request's path to the filter, e.g. "filter.").
func parseFilter(f *synclogv1.LogFilter, prefix string) (*logFilter, error) {
	if f == nil || f.GetConfigurationId() == "" {
		return nil, invalid(prefix+"configuration_id", "required")
	}
	if err := natsx.ValidToken(f.GetConfigurationId()); err != nil {
		return nil, invalid(prefix+"configuration_id", "%v", err)
	}
	if c := f.GetCycleId(); c != "" {
		if err := checkIDs(f.GetConfigurationId(), c); err != nil {
			return nil, invalid(prefix+"cycle_id", "%v", err)
		}
	}
	if len(f.GetObjectId()) > 256 || strings.ContainsAny(f.GetObjectId(), "\x00") {
		return nil, invalid(prefix+"object_id", "at most 256 bytes, no NUL")
	}
	if _, ok := eventsv1.WriteAction_name[int32(f.GetAction())]; !ok {
		return nil, invalid(prefix+"action", "unknown value %d", f.GetAction())
	}
	if _, ok := eventsv1.ProvisioningStatus_name[int32(f.GetStatus())]; !ok {
		return nil, invalid(prefix+"status", "unknown value %d", f.GetStatus())
	}
	if len(f.GetCode()) > 128 {
		return nil, invalid(prefix+"code", "at most 128 bytes")
	}
	lf := &logFilter{cfg: f.GetConfigurationId(), cycle: f.GetCycleId(), objectID: f.GetObjectId(),
		action: f.GetAction(), status: f.GetStatus(), code: f.GetCode()}
	if ts := f.GetStartTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return nil, invalid(prefix+"start_time", "%v", err)
		}
		lf.start, lf.hasStart = ts.AsTime(), true
	}
	if ts := f.GetEndTime(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return nil, invalid(prefix+"end_time", "%v", err)
		}
		lf.end, lf.hasEnd = ts.AsTime(), true
	}
	if lf.hasStart && lf.hasEnd && lf.end.Before(lf.start) {
		return nil, invalid(prefix+"end_time", "before start_time")
	}
	subject, err := natsx.LogFilter(lf.cfg, lf.cycle)
	if err != nil {
		return nil, invalid(prefix+"configuration_id", "%v", err)
	}
	lf.subject = subject
	lf.fingerprint = fmt.Sprintf("%s|%s|%s|%d|%d|%d|%d|%s", lf.cfg, lf.cycle, lf.objectID, lf.action, lf.status,
		f.GetStartTime().AsTime().UnixNano(), f.GetEndTime().AsTime().UnixNano(), lf.code)
	return lf, nil
}

// match applies the fields a subject filter cannot express.
func (f *logFilter) match(e *eventsv1.ProvisioningLogEntry) bool {
	switch {
	case f.objectID != "" && e.GetSource().GetObjectId() != f.objectID && e.GetTargetObjectId() != f.objectID:
		return false
	case f.action != eventsv1.WriteAction_WRITE_ACTION_UNSPECIFIED && e.GetAction() != f.action:
		return false
	case f.status != eventsv1.ProvisioningStatus_PROVISIONING_STATUS_UNSPECIFIED && e.GetStatus() != f.status:
		return false
	case f.code != "" && e.GetError().GetCode() != f.code:
		return false
	}
	ts := e.GetTimestamp().AsTime()
	return !(f.hasStart && ts.Before(f.start)) && !(f.hasEnd && ts.After(f.end))
}

// pageSize validates a request's page_size.
func pageSize(n int32) (int, error) {
	switch {
	case n == 0:
		return defaultPageSize, nil
	case n < 0 || n > maxPageSize:
		return 0, invalid("page_size", "%d not in 1..%d", n, maxPageSize)
	}
	return int(n), nil
}
