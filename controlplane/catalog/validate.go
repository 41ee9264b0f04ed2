package catalog

import (
	"errors"
	"fmt"
)

// ErrInvalid: a malformed key or prefix, an oversized value, an expected
// version below Any, an unknown op kind, or a transaction with no ops or
// more than MaxTxnOps. Backends reject such calls before touching storage.
var ErrInvalid = errors.New("catalog: invalid argument")

// CheckKey returns nil for a well-formed key (ValidKey), else ErrInvalid.
func CheckKey(key string) error {
	if !ValidKey(key) {
		return fmt.Errorf("%w: malformed key %q", ErrInvalid, key)
	}
	return nil
}

// CheckPrefix returns nil for a usable List/Changes prefix, else
// ErrInvalid. The empty prefix selects everything; otherwise a prefix is a
// key or the start of one (it may end in a slash or mid-segment), so it
// has no leading slash, no empty segment and only printable ASCII.
func CheckPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	bad := prefix[0] == '/'
	for i := 0; i < len(prefix) && !bad; i++ {
		c := prefix[i]
		bad = c < 0x21 || c > 0x7e || (c == '/' && i > 0 && prefix[i-1] == '/')
	}
	if bad {
		return fmt.Errorf("%w: malformed prefix %q", ErrInvalid, prefix)
	}
	return nil
}

// CheckValue returns nil if value fits MaxValueBytes, else ErrInvalid.
func CheckValue(key string, value []byte) error {
	if len(value) > MaxValueBytes {
		return fmt.Errorf("%w: value for %q is %d bytes (max %d)", ErrInvalid, key, len(value), MaxValueBytes)
	}
	return nil
}

// CheckExpect returns nil for Any, Absent or a positive ModifyIndex, else
// ErrInvalid.
func CheckExpect(key string, expect int64) error {
	if expect < Any {
		return fmt.Errorf("%w: expected version %d for %q", ErrInvalid, expect, key)
	}
	return nil
}

// CheckOps validates a transaction: 1 to MaxTxnOps ops of a known kind,
// each with a valid key, expected version and (for OpPut) value.
func CheckOps(ops []Op) error {
	if len(ops) == 0 {
		return fmt.Errorf("%w: empty transaction", ErrInvalid)
	}
	if len(ops) > MaxTxnOps {
		return fmt.Errorf("%w: transaction has %d ops (max %d)", ErrInvalid, len(ops), MaxTxnOps)
	}
	total := 0
	for i, op := range ops {
		total += len(op.Key) + len(op.Value)
		if op.Kind != OpPut && op.Kind != OpDelete && op.Kind != OpCheck {
			return fmt.Errorf("%w: op %d has unknown kind %d", ErrInvalid, i, op.Kind)
		}
		if err := CheckKey(op.Key); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
		if err := CheckExpect(op.Key, op.Expect); err != nil {
			return fmt.Errorf("op %d: %w", i, err)
		}
		if op.Kind == OpPut {
			if err := CheckValue(op.Key, op.Value); err != nil {
				return fmt.Errorf("op %d: %w", i, err)
			}
		}
	}
	if total > MaxTxnBytes {
		return fmt.Errorf("%w: transaction writes %d bytes of keys and values (max %d)", ErrInvalid, total, MaxTxnBytes)
	}
	return nil
}

// Matches reports whether a key's current state satisfies an expected
// version: Any matches anything, Absent only a missing key, and a
// ModifyIndex only an existing key last written at exactly that index.
func Matches(expect int64, exists bool, modifyIndex uint64) bool {
	switch {
	case expect == Any:
		return true
	case expect == Absent:
		return !exists
	default:
		return exists && expect > 0 && modifyIndex == uint64(expect)
	}
}
