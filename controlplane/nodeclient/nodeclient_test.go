package nodeclient

import (
	"context"
	"errors"
	"fmt"
	"testing"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		msg  string
		want Kind
	}{
		{"db exists", r.RQLOpFailedError{}, "Database `x` already exists.", KindExists},
		{"table exists", r.RQLOpFailedError{}, "Table `x.y` already exists.", KindExists},
		{"db missing", r.RQLOpFailedError{}, "Database `x` does not exist.", KindNotFound},
		{"table missing", r.RQLOpFailedError{}, "Table `x.y` does not exist.", KindNotFound},
		{"other op failed", r.RQLOpFailedError{}, "Database `rethinkdb` is special; you can't drop it.", KindConflict},
		{"bad db name", r.RQLQueryLogicError{}, "Database name `a b` invalid (Use A-Z, a-z, 0-9, _ and - only).", KindInvalid},
		{"non existence", r.RQLNonExistenceError{}, "No attribute `x`.", KindNotFound},
		{"wrapped", fmt.Errorf("ctx: %w", r.RQLOpFailedError{}), "Database `x` already exists.", KindExists},
		{"connection", r.RQLConnectionError{}, "connection refused", KindUnavailable},
		{"no connections", r.ErrNoConnections, "no connections", KindUnavailable},
		{"internal", r.RQLInternalError{}, "boom", KindInternal},
		{"plain", errors.New("x"), "x", KindInternal},
		{"canceled", context.Canceled, "context canceled", KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kindOf(tt.err, tt.msg); got != tt.want {
				t.Errorf("kindOf(%T, %q) = %v, want %v", tt.err, tt.msg, got, tt.want)
			}
		})
	}
}

func TestDriverMessage(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"rethinkdb: Database `x` already exists. in:\nr.DBCreate(\"x\")", "Database `x` already exists."},
		{"gorethink: no connections were available", "no connections were available"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := driverMessage(errors.New(tt.in)); got != tt.want {
			t.Errorf("driverMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClassify(t *testing.T) {
	if Classify(nil) != nil {
		t.Fatal("Classify(nil) != nil")
	}
	err := Classify(r.RQLOpFailedError{})
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Classify returned %T", err)
	}
	if ce.Message != "An error occurred" {
		t.Errorf("message %q", ce.Message)
	}
	var of r.RQLOpFailedError
	if !errors.As(err, &of) {
		t.Error("classified error does not unwrap to the driver error")
	}
	if again := Classify(err); again != err {
		t.Error("Classify is not idempotent")
	}
}
