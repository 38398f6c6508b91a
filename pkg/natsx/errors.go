package natsx

import (
	"errors"
	"fmt"
	"time"
)

// Errors callers compare with errors.Is.
var (
	// ErrNoMsgID is returned by Publish when no message id is given: without
	// one JetStream cannot drop the duplicate a crash-and-retry produces.
	ErrNoMsgID = errors.New("natsx: message id is required")
	// ErrInvalidToken is returned when an id is not usable as a subject token.
	ErrInvalidToken = errors.New("natsx: invalid subject token")
	// ErrPublisherClosed is returned by Publish after Close.
	ErrPublisherClosed = errors.New("natsx: publisher closed")
)

// RetryableError asks the consumer runner to redeliver the message after
// Delay (NakWithDelay). Build it with Retryable.
type RetryableError struct {
	Err   error
	Delay time.Duration
}

func (e *RetryableError) Error() string {
	return fmt.Sprintf("retryable (after %s): %v", e.Delay, e.Err)
}

func (e *RetryableError) Unwrap() error { return e.Err }

// Retryable marks err as transient: the message is redelivered after delay
// (0 means the runner's back-off for the delivery count). A 429 with
// Retry-After is the typical case.
func Retryable(err error, delay time.Duration) error {
	if err == nil {
		return nil
	}
	return &RetryableError{Err: err, Delay: delay}
}

// PermanentError asks the consumer runner to terminate the message: no
// redelivery will ever succeed (bad payload, schema violation).
type PermanentError struct {
	Err error
}

func (e *PermanentError) Error() string { return fmt.Sprintf("permanent: %v", e.Err) }

func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent marks err as permanent: the message is terminated (Term) and
// reported to the dead-letter hook, never redelivered.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err (or anything it wraps) is permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// retryDelay returns the delay a RetryableError asks for, if err is one.
func retryDelay(err error) (time.Duration, bool) {
	var r *RetryableError
	if errors.As(err, &r) {
		return r.Delay, true
	}
	return 0, false
}

// PublishFailure names one publish that JetStream did not acknowledge.
type PublishFailure struct {
	Subject string
	MsgID   string
	Err     error
}

// PublishError lists every failed publish since the last WaitAll. The
// reader must not move its watermark when WaitAll returns one.
type PublishError struct {
	Failures []PublishFailure
}

func (e *PublishError) Error() string {
	if len(e.Failures) == 1 {
		f := e.Failures[0]
		return fmt.Sprintf("natsx: publish %s (msg id %s) failed: %v", f.Subject, f.MsgID, f.Err)
	}
	f := e.Failures[0]
	return fmt.Sprintf("natsx: %d publishes failed, first %s (msg id %s): %v", len(e.Failures), f.Subject, f.MsgID, f.Err)
}

// Unwrap exposes every underlying error to errors.Is / errors.As.
func (e *PublishError) Unwrap() []error {
	errs := make([]error, len(e.Failures))
	for i, f := range e.Failures {
		errs[i] = f.Err
	}
	return errs
}
