package graphsim

import (
	"encoding/json"
	"fmt"
	"time"
)

// limitsJSON is the wire form of Limits: durations as Go duration strings
// ("250ms") so files and the admin API stay readable; numbers are taken as
// milliseconds.
type limitsJSON struct {
	WritesPerMinute int             `json:"writes_per_minute"`
	ReadsPerMinute  int             `json:"reads_per_minute"`
	Burst           int             `json:"burst,omitempty"`
	Latency         json.RawMessage `json:"latency,omitempty"`
	LatencyJitter   json.RawMessage `json:"latency_jitter,omitempty"`
	FaultRate       float64         `json:"fault_rate,omitempty"`
	Unauthorized    bool            `json:"unauthorized,omitempty"`
	ResetRate       float64         `json:"reset_rate,omitempty"`
	SlowBodyRate    float64         `json:"slow_body_rate,omitempty"`
	SlowBody        json.RawMessage `json:"slow_body,omitempty"`
}

// MarshalJSON renders durations as strings.
func (l Limits) MarshalJSON() ([]byte, error) {
	lat, _ := json.Marshal(l.Latency.String())
	jit, _ := json.Marshal(l.LatencyJitter.String())
	w := limitsJSON{
		WritesPerMinute: l.WritesPerMinute, ReadsPerMinute: l.ReadsPerMinute, Burst: l.Burst,
		Latency: lat, LatencyJitter: jit, FaultRate: l.FaultRate, Unauthorized: l.Unauthorized,
		ResetRate: l.ResetRate, SlowBodyRate: l.SlowBodyRate,
	}
	if l.SlowBody != 0 {
		w.SlowBody, _ = json.Marshal(l.SlowBody.String())
	}
	return json.Marshal(w)
}

// UnmarshalJSON accepts durations as strings or milliseconds.
func (l *Limits) UnmarshalJSON(b []byte) error {
	var w limitsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("decode limits: %w", err)
	}
	lat, err := parseDuration(w.Latency)
	if err != nil {
		return fmt.Errorf("decode limits latency: %w", err)
	}
	jit, err := parseDuration(w.LatencyJitter)
	if err != nil {
		return fmt.Errorf("decode limits latency_jitter: %w", err)
	}
	slow, err := parseDuration(w.SlowBody)
	if err != nil {
		return fmt.Errorf("decode limits slow_body: %w", err)
	}
	*l = Limits{WritesPerMinute: w.WritesPerMinute, ReadsPerMinute: w.ReadsPerMinute, Burst: w.Burst,
		Latency: lat, LatencyJitter: jit, FaultRate: w.FaultRate, Unauthorized: w.Unauthorized,
		ResetRate: w.ResetRate, SlowBodyRate: w.SlowBodyRate, SlowBody: slow}
	return nil
}

func parseDuration(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return 0, nil
		}
		return time.ParseDuration(s)
	}
	var ms float64
	if err := json.Unmarshal(raw, &ms); err != nil {
		return 0, fmt.Errorf("duration must be a string like \"250ms\" or milliseconds: %w", err)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}
