package catalog

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPrefix(t *testing.T) {
	tests := []struct {
		prefix string
		ok     bool
	}{
		{"", true},
		{"a", true},
		{"a/", true},
		{"a/b", true},
		{"a/b/", true},
		{"/", false},
		{"/a", false},
		{"a//", false},
		{"a//b", false},
		{"a b", false},
		{"a\x00", false},
		{"caf\u00e9", false},
	}
	for _, tt := range tests {
		err := CheckPrefix(tt.prefix)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("CheckPrefix(%q) = %v, want ok %v", tt.prefix, err, tt.ok)
		}
	}
}

func TestMatches(t *testing.T) {
	tests := []struct {
		expect int64
		exists bool
		index  uint64
		want   bool
	}{
		{Any, false, 0, true},
		{Any, true, 7, true},
		{Absent, false, 0, true},
		{Absent, true, 7, false},
		{7, true, 7, true},
		{7, true, 8, false},
		{7, false, 0, false},
		{-2, true, 7, false},
	}
	for _, tt := range tests {
		if got := Matches(tt.expect, tt.exists, tt.index); got != tt.want {
			t.Errorf("Matches(%d, %v, %d) = %v, want %v", tt.expect, tt.exists, tt.index, got, tt.want)
		}
	}
}

func TestCheckOps(t *testing.T) {
	put := func(key string, n int) Op { return Op{Kind: OpPut, Key: key, Value: make([]byte, n), Expect: Any} }
	many := func(n int) []Op {
		ops := make([]Op, n)
		for i := range ops {
			ops[i] = put("k", 1)
		}
		return ops
	}
	tests := []struct {
		name string
		ops  []Op
		ok   bool
	}{
		{"one put", []Op{put("k", 1)}, true},
		{"max ops", many(MaxTxnOps), true},
		{"max value", []Op{put("k", MaxValueBytes)}, true},
		{"big check value ignored", []Op{{Kind: OpCheck, Key: "k", Value: make([]byte, MaxValueBytes+1), Expect: Any}}, true},
		{"empty", nil, false},
		{"too many ops", many(MaxTxnOps + 1), false},
		{"value too big", []Op{put("k", MaxValueBytes+1)}, false},
		{"bad key", []Op{put("/k", 1)}, false},
		{"bad kind", []Op{{Kind: 0, Key: "k", Expect: Any}}, false},
		{"bad expect", []Op{{Kind: OpDelete, Key: "k", Expect: -2}}, false},
	}
	for _, tt := range tests {
		err := CheckOps(tt.ops)
		if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrInvalid)) {
			t.Errorf("%s: CheckOps = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
	if err := CheckKey(strings.Repeat("a", 10)); err != nil {
		t.Errorf("CheckKey of a plain key: %v", err)
	}
}
