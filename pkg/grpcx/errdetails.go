package grpcx

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/xtsync/xtsync/pkg/rules"
)

// InvalidArgument turns field errors into codes.InvalidArgument with one
// errdetails.BadRequest field violation per problem (field = path,
// description = "message [code]"), so a portal shows every problem at once.
// prefix is joined to each path (e.g. "configuration.rules"). An error that
// is not rules.FieldErrors becomes one violation on prefix.
func InvalidArgument(prefix string, err error) error {
	var fe rules.FieldErrors
	if !errors.As(err, &fe) {
		var one *rules.Error
		if errors.As(err, &one) {
			fe = rules.FieldErrors{one}
		} else {
			fe = rules.FieldErrors{{Code: rules.InvalidValue, Path: "", Msg: err.Error()}}
		}
	}
	br := &errdetails.BadRequest{}
	for _, e := range fe {
		desc := e.Msg
		if e.Err != nil {
			desc += ": " + e.Err.Error()
		}
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field:       rules.JoinPath(prefix, e.Path),
			Description: fmt.Sprintf("%s [%s]", desc, e.Code),
			Reason:      string(e.Code),
		})
	}
	msg := violationsMessage(br.FieldViolations)
	st, derr := status.New(codes.InvalidArgument, msg).WithDetails(br)
	if derr != nil {
		return status.Error(codes.InvalidArgument, msg)
	}
	return st.Err()
}

// maxInMessage bounds the violations spelled out in the status message;
// the details carry them all.
const maxInMessage = 5

// violationsMessage names the fields in the status message too: clients
// that ignore details (grpcurl, logs) still learn what to fix.
func violationsMessage(vs []*errdetails.BadRequest_FieldViolation) string {
	parts := make([]string, 0, min(len(vs), maxInMessage))
	for _, v := range vs[:min(len(vs), maxInMessage)] {
		parts = append(parts, v.GetField()+": "+v.GetDescription())
	}
	msg := strings.Join(parts, "; ")
	if len(vs) > 1 {
		msg = fmt.Sprintf("%d invalid fields: %s", len(vs), msg)
	}
	if len(vs) > maxInMessage {
		msg += fmt.Sprintf("; and %d more", len(vs)-maxInMessage)
	}
	return msg
}

// FieldViolations returns the BadRequest violations carried by a gRPC
// error (clients and tests).
func FieldViolations(err error) []*errdetails.BadRequest_FieldViolation {
	var out []*errdetails.BadRequest_FieldViolation
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			out = append(out, br.GetFieldViolations()...)
		}
	}
	return out
}
