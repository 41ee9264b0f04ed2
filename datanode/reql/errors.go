package reql

import (
	"errors"
	"fmt"
)

// ErrorType is RethinkDB's runtime error class, sent as the `e` field of a
// RUNTIME_ERROR response. The numbers are ql2.proto's Response.ErrorType.
type ErrorType int

// The error classes of ql2.proto.
const (
	ErrInternal        ErrorType = 1000000
	ErrResourceLimit   ErrorType = 2000000
	ErrQueryLogic      ErrorType = 3000000
	ErrNonExistence    ErrorType = 3100000
	ErrOpFailed        ErrorType = 4100000
	ErrOpIndeterminate ErrorType = 4200000
	ErrUser            ErrorType = 5000000
	ErrPermission      ErrorType = 6000000
)

// Kind says how the wire layer reports an error.
type Kind int

// Error kinds, mapped to the response types CLIENT_ERROR, COMPILE_ERROR and
// RUNTIME_ERROR.
const (
	KindRuntime Kind = iota
	KindCompile
	KindClient
)

// Error is a ReQL error: a RethinkDB error class, its message text and the
// backtrace (positional indexes and optarg names from the query root to the
// failing term) that drivers use to underline the failing part of a query.
type Error struct {
	Kind      Kind
	Type      ErrorType
	Msg       string
	Backtrace []any
}

func (e *Error) Error() string { return e.Msg }

// Is lets errors.Is match an *Error against a class marker such as
// ErrClassNonExistence.
func (e *Error) Is(target error) bool {
	m, ok := target.(classMarker)
	return ok && e.Kind == KindRuntime && e.Type == ErrorType(m)
}

type classMarker ErrorType

func (m classMarker) Error() string { return fmt.Sprintf("reql error class %d", int(m)) }

// Class markers for errors.Is.
var (
	ErrClassNonExistence error = classMarker(ErrNonExistence)
	ErrClassOpFailed     error = classMarker(ErrOpFailed)
	ErrClassQueryLogic   error = classMarker(ErrQueryLogic)
)

func newErr(t ErrorType, format string, args ...any) *Error {
	return &Error{Kind: KindRuntime, Type: t, Msg: fmt.Sprintf(format, args...)}
}

func compileErr(format string, args ...any) *Error {
	return &Error{Kind: KindCompile, Type: ErrQueryLogic, Msg: fmt.Sprintf(format, args...)}
}

// ClientError is an error in what the client sent (not in the query's
// meaning): answered as CLIENT_ERROR.
func ClientError(format string, args ...any) *Error {
	return &Error{Kind: KindClient, Type: ErrQueryLogic, Msg: fmt.Sprintf(format, args...)}
}

// AsError converts any error into an *Error; errors that are not ReQL errors
// become INTERNAL errors (they are bugs or environment failures, never the
// user's fault).
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindRuntime, Type: ErrInternal, Msg: "Internal error: " + err.Error()}
}

// withBacktrace attaches bt to err if it has no backtrace yet.
func withBacktrace(err error, bt []any) error {
	var e *Error
	if errors.As(err, &e) && e.Backtrace == nil {
		e.Backtrace = bt
	}
	return err
}

// OpFailedError is an OP_FAILED runtime error with msg as its text (for
// layers below the evaluator that relay another component's message).
func OpFailedError(msg string) error { return newErr(ErrOpFailed, "%s", msg) }

// QueryLogicError is a QUERY_LOGIC runtime error with msg as its text.
func QueryLogicError(msg string) error { return newErr(ErrQueryLogic, "%s", msg) }
