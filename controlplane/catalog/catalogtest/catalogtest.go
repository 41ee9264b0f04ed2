// Package catalogtest is the contract every catalog.Catalog backend
// passes: call Run from the backend's tests with a function that opens a
// fresh catalog.
//
// Beyond the interface's doc comments, the contract pins down choices
// every backend makes the same way:
//   - malformed keys and prefixes, oversized values, expected versions
//     below Any, unknown op kinds and empty or oversized transactions are
//     catalog.ErrInvalid;
//   - change sequence numbers are consecutive: each committed Put, Delete
//     or Txn takes the next integer, and a fresh catalog starts at 0;
//   - a call that changes nothing (deleting a missing key with Any, a Txn
//     of checks only) commits nothing, takes no sequence number and
//     returns 0 as its index;
//   - a Txn applies its ops in order; a key written by an earlier op of
//     the same Txn matches only Any (or Absent once deleted);
//   - a Txn's changes share one Seq and come in op order;
//   - Changes with an `after` beyond the catalog's sequence is
//     ErrCompacted (the watcher must List again), as is one older than
//     the retained window;
//   - Close ends waiting Changes calls with ErrClosed, and a second Close
//     is ErrClosed too.
package catalogtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/photondb-io/photondb/controlplane/catalog"
)

// Retain is the change retention the catalogs under test must have: they
// keep exactly the last Retain changes.
const Retain = 100

const (
	// testTimeout bounds every subtest.
	testTimeout = 2 * time.Minute
	// prompt is how soon a blocked Changes must return once it can.
	prompt = 5 * time.Second
)

// Opener returns a new, empty catalog that keeps Retain changes and is
// closed when t ends (the suite may have closed it already).
type Opener = func(t *testing.T) catalog.Catalog

// Run runs the contract subtests, in parallel, each on its own catalog.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Opener)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"Invalid", testInvalid},
		{"CheckAndSet", testCheckAndSet},
		{"Txn", testTxn},
		{"Limits", testLimits},
		{"LimitsMaxTxnOfMaxValues", testMaxTxnOfMaxValues},
		{"List", testList},
		{"Versions", testVersions},
		{"ConcurrentCAS", testConcurrentCAS},
		{"ChangesConcurrentWriters", testChangesConcurrentWriters},
		{"ChangesWakeOnWrite", testChangesWakeOnWrite},
		{"ChangesContext", testChangesContext},
		{"ChangesPrefix", testChangesPrefix},
		{"ChangesCompacted", testChangesCompacted},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, open)
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func mustPut(t *testing.T, c catalog.Catalog, key, value string, expect int64) uint64 {
	t.Helper()
	idx, err := c.Put(testCtx(t), key, []byte(value), expect)
	if err != nil {
		t.Fatalf("Put(%q, %q, %d): %v", key, value, expect, err)
	}
	if idx == 0 {
		t.Fatalf("Put(%q) returned ModifyIndex 0", key)
	}
	return idx
}

func mustGet(t *testing.T, c catalog.Catalog, key string) catalog.Entry {
	t.Helper()
	e, err := c.Get(testCtx(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if e.Key != key {
		t.Fatalf("Get(%q) returned key %q", key, e.Key)
	}
	return e
}

func wantMissing(t *testing.T, c catalog.Catalog, key string) {
	t.Helper()
	if e, err := c.Get(testCtx(t), key); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get(%q) = %+v, %v; want ErrNotFound", key, e, err)
	}
}

// seqOf returns the catalog's current change sequence.
func seqOf(t *testing.T, c catalog.Catalog) uint64 {
	t.Helper()
	_, seq, err := c.List(testCtx(t), "~seq-probe/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return seq
}

// show renders a change as key=value, or key! for a delete.
func show(ch catalog.Change) string {
	if ch.Deleted {
		return ch.Key + "!"
	}
	return ch.Key + "=" + string(ch.Value)
}

// collect reads the changes under prefix from after up to until,
// checking the stream's invariants on the way.
func collect(t *testing.T, c catalog.Catalog, prefix string, after, until uint64) []catalog.Change {
	t.Helper()
	ctx := testCtx(t)
	var out []catalog.Change
	for calls := 0; after < until; calls++ {
		if calls > 10*Retain {
			t.Fatalf("Changes made no progress towards %d in %d calls (at %d)", until, calls, after)
		}
		chs, next, err := c.Changes(ctx, prefix, after)
		if err != nil {
			t.Fatalf("Changes(%q, %d): %v", prefix, after, err)
		}
		if next <= after || next > until {
			t.Fatalf("Changes(%q, %d) returned next %d, want in (%d, %d]", prefix, after, next, after, until)
		}
		last := after
		for _, ch := range chs {
			if ch.Seq <= after || ch.Seq > next || ch.Seq < last {
				t.Fatalf("Changes(%q, %d) -> %d returned out-of-order change %+v after seq %d", prefix, after, next, ch, last)
			}
			if !strings.HasPrefix(ch.Key, prefix) {
				t.Fatalf("Changes(%q) returned key %q", prefix, ch.Key)
			}
			if ch.Deleted && ch.Value != nil {
				t.Fatalf("delete change %+v has a value", ch)
			}
			last = ch.Seq
		}
		out = append(out, chs...)
		after = next
	}
	return out
}

func testGetPutDelete(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	wantMissing(t, c, "a/b")

	i1 := mustPut(t, c, "a/b", "v1", catalog.Absent)
	e := mustGet(t, c, "a/b")
	if string(e.Value) != "v1" || e.CreateIndex != i1 || e.ModifyIndex != i1 {
		t.Fatalf("after create: %+v, want value v1 and indexes %d", e, i1)
	}
	i2 := mustPut(t, c, "a/b", "v2", catalog.Any)
	e = mustGet(t, c, "a/b")
	if i2 <= i1 || string(e.Value) != "v2" || e.CreateIndex != i1 || e.ModifyIndex != i2 {
		t.Fatalf("after update (index %d): %+v, want value v2, create %d, modify %d > %d", i2, e, i1, i2, i1)
	}
	i3 := mustPut(t, c, "a/b", "v3", int64(i2))
	if e = mustGet(t, c, "a/b"); i3 <= i2 || string(e.Value) != "v3" || e.ModifyIndex != i3 {
		t.Fatalf("after CAS update (index %d): %+v", i3, e)
	}

	// Empty values are values.
	mustPut(t, c, "empty", "", catalog.Absent)
	if e := mustGet(t, c, "empty"); len(e.Value) != 0 {
		t.Fatalf("empty value came back as %q", e.Value)
	}

	// Neither the caller's buffer nor a returned one aliases storage.
	buf := []byte("orig")
	if _, err := c.Put(ctx, "copy", buf, catalog.Absent); err != nil {
		t.Fatal(err)
	}
	buf[0] = 'X'
	got := mustGet(t, c, "copy")
	if string(got.Value) != "orig" {
		t.Fatalf("stored value changed with the caller's buffer: %q", got.Value)
	}
	got.Value[0] = 'Y'
	if again := mustGet(t, c, "copy"); string(again.Value) != "orig" {
		t.Fatalf("stored value changed with a returned buffer: %q", again.Value)
	}

	if err := c.Delete(ctx, "a/b", int64(i3)); err != nil {
		t.Fatalf("Delete with the current version: %v", err)
	}
	wantMissing(t, c, "a/b")
	if err := c.Delete(ctx, "a/b", catalog.Any); err != nil {
		t.Fatalf("Delete of a missing key with Any: %v", err)
	}
	for _, expect := range []int64{catalog.Absent, int64(i3)} {
		if err := c.Delete(ctx, "a/b", expect); !errors.Is(err, catalog.ErrNotFound) {
			t.Fatalf("Delete of a missing key expecting %d = %v, want ErrNotFound", expect, err)
		}
	}

	// A re-created key starts a new life.
	i4 := mustPut(t, c, "a/b", "v4", catalog.Absent)
	if e := mustGet(t, c, "a/b"); i4 <= i3 || e.CreateIndex != i4 || e.ModifyIndex != i4 {
		t.Fatalf("re-created key: %+v, want create = modify = %d > %d", e, i4, i3)
	}
}

func testInvalid(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	before := seqOf(t, c)
	badKeys := []string{"", "/", "/a", "a/", "a//b", "a b", "tab\tkey", "nul\x00", "caf\u00e9", "del\x7f", "new\nline"}
	for _, key := range badKeys {
		calls := []struct {
			name string
			call func() error
		}{
			{"Get", func() error { _, err := c.Get(ctx, key); return err }},
			{"Put", func() error { _, err := c.Put(ctx, key, []byte("v"), catalog.Any); return err }},
			{"Delete", func() error { return c.Delete(ctx, key, catalog.Any) }},
			{"TxnPut", func() error {
				_, err := c.Txn(ctx, []catalog.Op{{Kind: catalog.OpPut, Key: "ok", Value: []byte("v"), Expect: catalog.Any}, {Kind: catalog.OpPut, Key: key, Expect: catalog.Any}})
				return err
			}},
			{"TxnCheck", func() error {
				_, err := c.Txn(ctx, []catalog.Op{{Kind: catalog.OpCheck, Key: key, Expect: catalog.Any}})
				return err
			}},
		}
		for _, call := range calls {
			if err := call.call(); !errors.Is(err, catalog.ErrInvalid) {
				t.Errorf("%s(%q) = %v, want ErrInvalid", call.name, key, err)
			}
		}
	}
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, prompt)
		t.Cleanup(cancel)
		return ctx
	}
	other := []struct {
		name string
		call func() error
	}{
		{"Put expect -2", func() error { _, err := c.Put(ctx, "k", nil, -2); return err }},
		{"Delete expect -7", func() error { return c.Delete(ctx, "k", -7) }},
		{"Txn expect -2", func() error {
			_, err := c.Txn(ctx, []catalog.Op{{Kind: catalog.OpCheck, Key: "k", Expect: -2}})
			return err
		}},
		{"Txn kind 0", func() error { _, err := c.Txn(ctx, []catalog.Op{{Key: "k", Expect: catalog.Any}}); return err }},
		{"Txn kind 99", func() error {
			_, err := c.Txn(ctx, []catalog.Op{{Kind: 99, Key: "k", Expect: catalog.Any}})
			return err
		}},
		{"Txn empty", func() error { _, err := c.Txn(ctx, []catalog.Op{}); return err }},
		{"Txn nil", func() error { _, err := c.Txn(ctx, nil); return err }},
		{"List /a", func() error { _, _, err := c.List(ctx, "/a"); return err }},
		{"List a//", func() error { _, _, err := c.List(ctx, "a//"); return err }},
		{"List a b", func() error { _, _, err := c.List(ctx, "a b"); return err }},
		{"Changes /x", func() error { _, _, err := c.Changes(short(), "/x", before); return err }},
		{"Changes x\\n", func() error { _, _, err := c.Changes(short(), "x\n", before); return err }},
	}
	for _, o := range other {
		if err := o.call(); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("%s = %v, want ErrInvalid", o.name, err)
		}
	}

	// Nothing above was stored; the odd but valid keys below are.
	good := []string{"a", "~", "!", "a/b/c", "A-Z_0.9:@$", strings.Repeat("x", 200)}
	for _, key := range good {
		mustPut(t, c, key, "v:"+key, catalog.Absent)
		if e := mustGet(t, c, key); string(e.Value) != "v:"+key {
			t.Errorf("Get(%q) = %q", key, e.Value)
		}
	}
	ents, seq, err := c.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range ents {
		keys = append(keys, e.Key)
	}
	sort.Strings(good)
	if !slices.Equal(keys, good) {
		t.Errorf("after invalid calls the catalog holds %q, want %q", keys, good)
	}
	if want := before + uint64(len(good)); seq != want {
		t.Errorf("sequence is %d after %d valid writes from %d, want %d (invalid calls must not commit)", seq, len(good), before, want)
	}
}

func testCheckAndSet(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	const (
		current = "current"
		stale   = "stale"
		bogus   = "bogus"
	)
	tests := []struct {
		name    string
		present bool
		del     bool
		expect  string // Any, Absent, or one of the names above
		want    error
	}{
		{"put missing any", false, false, "any", nil},
		{"put missing absent", false, false, "absent", nil},
		{"put missing bogus version", false, false, bogus, catalog.ErrConflict},
		{"put present any", true, false, "any", nil},
		{"put present absent", true, false, "absent", catalog.ErrConflict},
		{"put present current", true, false, current, nil},
		{"put present stale", true, false, stale, catalog.ErrConflict},
		{"put present bogus", true, false, bogus, catalog.ErrConflict},
		{"delete missing any", false, true, "any", nil},
		{"delete missing absent", false, true, "absent", catalog.ErrNotFound},
		{"delete missing bogus", false, true, bogus, catalog.ErrNotFound},
		{"delete present any", true, true, "any", nil},
		{"delete present absent", true, true, "absent", catalog.ErrConflict},
		{"delete present current", true, true, current, nil},
		{"delete present stale", true, true, stale, catalog.ErrConflict},
		{"delete present bogus", true, true, bogus, catalog.ErrConflict},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := fmt.Sprintf("cas/%02d", i)
			var old, cur uint64
			if tt.present {
				old = mustPut(t, c, key, "old", catalog.Absent)
				cur = mustPut(t, c, key, "cur", catalog.Any)
			}
			expect := map[string]int64{
				"any": catalog.Any, "absent": catalog.Absent,
				current: int64(cur), stale: int64(old), bogus: 1 << 40,
			}[tt.expect]
			var idx uint64
			var err error
			if tt.del {
				err = c.Delete(ctx, key, expect)
			} else {
				idx, err = c.Put(ctx, key, []byte("new"), expect)
			}
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			switch {
			case err == nil && tt.del:
				wantMissing(t, c, key)
			case err == nil:
				if e := mustGet(t, c, key); string(e.Value) != "new" || e.ModifyIndex != idx || idx <= cur {
					t.Fatalf("after put (index %d): %+v", idx, e)
				}
			case tt.present:
				if e := mustGet(t, c, key); string(e.Value) != "cur" || e.ModifyIndex != cur {
					t.Fatalf("failed call changed the key: %+v, want cur at %d", e, cur)
				}
			default:
				wantMissing(t, c, key)
			}
		})
	}
}

func testTxn(t *testing.T, open Opener) {
	put := func(key, value string, expect int64) catalog.Op {
		return catalog.Op{Kind: catalog.OpPut, Key: key, Value: []byte(value), Expect: expect}
	}
	del := func(key string, expect int64) catalog.Op {
		return catalog.Op{Kind: catalog.OpDelete, Key: key, Expect: expect}
	}
	check := func(key string, expect int64) catalog.Op {
		return catalog.Op{Kind: catalog.OpCheck, Key: key, Expect: expect}
	}
	// Every case starts from t/a=a0 (version va), t/b=b0 (vb), no t/c, no t/d.
	tests := []struct {
		name    string
		ops     func(va, vb int64) []catalog.Op
		want    error
		state   map[string]string // final t/a..t/d on success
		changes []string          // the one record committed, if any
	}{
		{"all checks hold",
			func(va, vb int64) []catalog.Op {
				return []catalog.Op{check("t/a", va), put("t/b", "b1", vb), put("t/c", "c1", catalog.Absent), del("t/a", va)}
			}, nil,
			map[string]string{"t/b": "b1", "t/c": "c1"}, []string{"t/b=b1", "t/c=c1", "t/a!"}},
		{"last check fails",
			func(va, vb int64) []catalog.Op {
				return []catalog.Op{put("t/a", "a1", catalog.Any), put("t/c", "c1", catalog.Absent), del("t/b", vb), check("t/d", vb)}
			}, catalog.ErrConflict, nil, nil},
		{"put with another key's version",
			func(va, vb int64) []catalog.Op {
				return []catalog.Op{put("t/a", "a1", va), put("t/b", "b1", va)}
			}, catalog.ErrConflict, nil, nil},
		{"absent put on an existing key",
			func(va, vb int64) []catalog.Op {
				return []catalog.Op{put("t/c", "c1", catalog.Absent), put("t/a", "a1", catalog.Absent)}
			}, catalog.ErrConflict, nil, nil},
		{"delete missing with a version",
			func(va, vb int64) []catalog.Op { return []catalog.Op{put("t/a", "a1", catalog.Any), del("t/c", va)} },
			catalog.ErrConflict, nil, nil},
		{"delete missing expecting absent",
			func(va, vb int64) []catalog.Op {
				return []catalog.Op{put("t/a", "a1", catalog.Any), del("t/c", catalog.Absent)}
			}, catalog.ErrConflict, nil, nil},
		{"delete missing with any",
			func(va, vb int64) []catalog.Op { return []catalog.Op{del("t/c", catalog.Any), put("t/a", "a1", va)} },
			nil, map[string]string{"t/a": "a1", "t/b": "b0"}, []string{"t/a=a1"}},
		{"checks of missing keys",
			func(va, vb int64) []catalog.Op {
				return []catalog.Op{check("t/c", catalog.Absent), check("t/d", catalog.Any), put("t/d", "d1", catalog.Absent)}
			}, nil, map[string]string{"t/a": "a0", "t/b": "b0", "t/d": "d1"}, []string{"t/d=d1"}},
		{"ops apply in order",
			func(va, vb int64) []catalog.Op {
				return []catalog.Op{put("t/c", "c1", catalog.Absent), put("t/c", "c2", catalog.Any), del("t/a", va), put("t/a", "a2", catalog.Absent)}
			}, nil,
			map[string]string{"t/a": "a2", "t/b": "b0", "t/c": "c2"}, []string{"t/c=c1", "t/c=c2", "t/a!", "t/a=a2"}},
		{"a later op sees an earlier write",
			func(va, vb int64) []catalog.Op {
				return []catalog.Op{put("t/c", "c1", catalog.Absent), check("t/c", catalog.Absent)}
			}, catalog.ErrConflict, nil, nil},
		{"a written key has no old version",
			func(va, vb int64) []catalog.Op { return []catalog.Op{put("t/a", "a1", va), put("t/a", "a2", va)} },
			catalog.ErrConflict, nil, nil},
		{"checks only",
			func(va, vb int64) []catalog.Op { return []catalog.Op{check("t/a", va), check("t/c", catalog.Absent)} },
			nil, map[string]string{"t/a": "a0", "t/b": "b0"}, nil},
		{"failing check only",
			func(va, vb int64) []catalog.Op { return []catalog.Op{check("t/a", vb)} },
			catalog.ErrConflict, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := open(t)
			ctx := testCtx(t)
			va := mustPut(t, c, "t/a", "a0", catalog.Absent)
			vb := mustPut(t, c, "t/b", "b0", catalog.Absent)
			before := seqOf(t, c)
			idx, err := c.Txn(ctx, tt.ops(int64(va), int64(vb)))
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("Txn = %d, %v; want %v", idx, err, tt.want)
			}
			state := tt.state
			if err != nil {
				state = map[string]string{"t/a": "a0", "t/b": "b0"}
			}
			ents, after, lerr := c.List(ctx, "t/")
			if lerr != nil {
				t.Fatal(lerr)
			}
			got := map[string]string{}
			for _, e := range ents {
				got[e.Key] = string(e.Value)
				written := slices.Contains(tt.changes, e.Key+"="+string(e.Value))
				if err == nil && written && e.ModifyIndex != idx {
					t.Errorf("%s has ModifyIndex %d, Txn returned %d", e.Key, e.ModifyIndex, idx)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(state) {
				t.Fatalf("state after Txn: %v, want %v", got, state)
			}
			if len(tt.changes) == 0 {
				if after != before || (err == nil && idx != 0) {
					t.Fatalf("a Txn that changed nothing moved the sequence %d -> %d (index %d)", before, after, idx)
				}
				return
			}
			if after != before+1 || idx == 0 {
				t.Fatalf("sequence %d -> %d and index %d, want one commit", before, after, idx)
			}
			var shown []string
			for _, ch := range collect(t, c, "", before, after) {
				if ch.Seq != after {
					t.Errorf("change %s has seq %d, want %d", show(ch), ch.Seq, after)
				}
				shown = append(shown, show(ch))
			}
			if !slices.Equal(shown, tt.changes) {
				t.Fatalf("changes %q, want %q", shown, tt.changes)
			}
		})
	}
}

// pattern returns n bytes that differ per seed.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i%251) ^ seed
	}
	return b
}

func testLimits(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)

	big := pattern(catalog.MaxValueBytes, 7)
	if _, err := c.Put(ctx, "big", big, catalog.Absent); err != nil {
		t.Fatalf("Put of MaxValueBytes: %v", err)
	}
	if e := mustGet(t, c, "big"); !bytes.Equal(e.Value, big) {
		t.Fatalf("MaxValueBytes value came back as %d different bytes", len(e.Value))
	}
	if _, err := c.Put(ctx, "too-big", pattern(catalog.MaxValueBytes+1, 1), catalog.Any); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("Put of MaxValueBytes+1 = %v, want ErrInvalid", err)
	}
	wantMissing(t, c, "too-big")

	ops := func(prefix string, n int) []catalog.Op {
		var ops []catalog.Op
		for i := 0; i < n; i++ {
			ops = append(ops, catalog.Op{Kind: catalog.OpPut, Key: fmt.Sprintf("%s/%02d", prefix, i), Value: []byte{byte(i)}, Expect: catalog.Absent})
		}
		return ops
	}
	idx, err := c.Txn(ctx, ops("max", catalog.MaxTxnOps))
	if err != nil {
		t.Fatalf("Txn of MaxTxnOps: %v", err)
	}
	ents, _, err := c.List(ctx, "max/")
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != catalog.MaxTxnOps {
		t.Fatalf("Txn of MaxTxnOps stored %d keys", len(ents))
	}
	for _, e := range ents {
		if e.ModifyIndex != idx {
			t.Fatalf("%s has ModifyIndex %d, Txn returned %d", e.Key, e.ModifyIndex, idx)
		}
	}

	before := seqOf(t, c)
	over := ops("over", catalog.MaxTxnOps+1)
	if _, err := c.Txn(ctx, over); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("Txn of MaxTxnOps+1 = %v, want ErrInvalid", err)
	}
	withBig := append(ops("bigop", 2), catalog.Op{Kind: catalog.OpPut, Key: "bigop/x", Value: pattern(catalog.MaxValueBytes+1, 2), Expect: catalog.Any})
	if _, err := c.Txn(ctx, withBig); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("Txn with a value of MaxValueBytes+1 = %v, want ErrInvalid", err)
	}
	for _, prefix := range []string{"over/", "bigop/"} {
		if ents, _, err := c.List(ctx, prefix); err != nil || len(ents) != 0 {
			t.Fatalf("rejected Txn left %d keys under %s (%v)", len(ents), prefix, err)
		}
	}
	if after := seqOf(t, c); after != before {
		t.Fatalf("rejected Txns moved the sequence %d -> %d", before, after)
	}
}

func testMaxTxnOfMaxValues(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	before := seqOf(t, c)
	// MaxTxnOps puts that fill MaxTxnBytes exactly (keys are 7 bytes).
	var ops []catalog.Op
	per := catalog.MaxTxnBytes/catalog.MaxTxnOps - len("huge/00")
	for i := 0; i < catalog.MaxTxnOps; i++ {
		ops = append(ops, catalog.Op{Kind: catalog.OpPut, Key: fmt.Sprintf("huge/%02d", i), Value: pattern(per, byte(i)), Expect: catalog.Absent})
	}
	over := append([]catalog.Op(nil), ops...)
	over[0].Value = pattern(per+1, 0)
	if _, err := c.Txn(ctx, over); !errors.Is(err, catalog.ErrInvalid) {
		t.Fatalf("Txn of MaxTxnBytes+1 = %v, want ErrInvalid", err)
	}
	if _, err := c.Txn(ctx, ops); err != nil {
		t.Fatalf("Txn of MaxTxnOps values filling MaxTxnBytes: %v", err)
	}
	chs := collect(t, c, "huge/", before, before+1)
	if len(chs) != len(ops) {
		t.Fatalf("got %d changes, want %d", len(chs), len(ops))
	}
	for i, ch := range chs {
		if ch.Key != ops[i].Key || !bytes.Equal(ch.Value, ops[i].Value) || ch.Deleted {
			t.Fatalf("change %d is %s (%d bytes), want %s with its value", i, ch.Key, len(ch.Value), ops[i].Key)
		}
	}
	for _, op := range ops {
		if e := mustGet(t, c, op.Key); !bytes.Equal(e.Value, op.Value) {
			t.Fatalf("%s holds %d different bytes", op.Key, len(e.Value))
		}
	}
}

func testList(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	keys := []string{"a", "a/b", "a/b-x", "a/b/c", "a/b/d", "a/b0", "a/bc", "a/c", "b", "ba"}
	start := seqOf(t, c)
	index := map[string]uint64{}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, i := range rng.Perm(len(keys)) {
		index[keys[i]] = mustPut(t, c, keys[i], "v:"+keys[i], catalog.Absent)
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", keys},
		{"a/b/", []string{"a/b/c", "a/b/d"}},
		{"a/b", []string{"a/b", "a/b-x", "a/b/c", "a/b/d", "a/b0", "a/bc"}},
		{"a/", []string{"a/b", "a/b-x", "a/b/c", "a/b/d", "a/b0", "a/bc", "a/c"}},
		{"a/b/c", []string{"a/b/c"}},
		{"b", []string{"b", "ba"}},
		{"b/", nil},
		{"zzz", nil},
	}
	for _, tt := range tests {
		ents, seq, err := c.List(ctx, tt.prefix)
		if err != nil {
			t.Fatalf("List(%q): %v", tt.prefix, err)
		}
		var got []string
		for _, e := range ents {
			got = append(got, e.Key)
			if string(e.Value) != "v:"+e.Key || e.ModifyIndex != index[e.Key] || e.CreateIndex != index[e.Key] {
				t.Errorf("List(%q) entry %+v, want value v:%s at index %d", tt.prefix, e, e.Key, index[e.Key])
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
		if want := start + uint64(len(keys)); seq != want {
			t.Errorf("List(%q) sequence %d, want %d", tt.prefix, seq, want)
		}
	}
}

func testVersions(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	start := seqOf(t, c)
	if start != 0 {
		t.Fatalf("fresh catalog at sequence %d, want 0", start)
	}
	var last uint64
	seq := start
	step := func(what string, idx uint64) {
		t.Helper()
		if idx <= last {
			t.Fatalf("%s returned version %d, not above %d", what, idx, last)
		}
		last = idx
		seq++
		if got := seqOf(t, c); got != seq {
			t.Fatalf("after %s the sequence is %d, want %d", what, got, seq)
		}
	}
	step("create a", mustPut(t, c, "a", "same", catalog.Absent))
	step("rewrite a with the same value", mustPut(t, c, "a", "same", catalog.Any))
	step("rewrite a by CAS with the same value", mustPut(t, c, "a", "same", int64(last)))
	step("create b", mustPut(t, c, "b", "b", catalog.Absent))
	idx, err := c.Txn(ctx, []catalog.Op{
		{Kind: catalog.OpPut, Key: "a", Value: []byte("same"), Expect: catalog.Any},
		{Kind: catalog.OpPut, Key: "c", Value: []byte("c"), Expect: catalog.Absent},
	})
	if err != nil {
		t.Fatal(err)
	}
	step("txn", idx)
	for _, key := range []string{"a", "c"} {
		if e := mustGet(t, c, key); e.ModifyIndex != idx {
			t.Fatalf("%s has ModifyIndex %d after the Txn returned %d", key, e.ModifyIndex, idx)
		}
	}
	if err := c.Delete(ctx, "b", catalog.Any); err != nil {
		t.Fatal(err)
	}
	seq++
	if err := c.Delete(ctx, "b", catalog.Any); err != nil { // missing: no change
		t.Fatal(err)
	}
	step("re-create b", mustPut(t, c, "b", "b", catalog.Absent))
	if e := mustGet(t, c, "b"); e.CreateIndex != last {
		t.Fatalf("re-created b has CreateIndex %d, want %d", e.CreateIndex, last)
	}
	var prev uint64 = start
	for _, ch := range collect(t, c, "", start, seq) {
		if ch.Seq != prev && ch.Seq != prev+1 {
			t.Fatalf("change sequence jumps from %d to %d", prev, ch.Seq)
		}
		prev = ch.Seq
	}
	if prev != seq {
		t.Fatalf("last change has seq %d, want %d", prev, seq)
	}
}

func testConcurrentCAS(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	const workers, increments, maxAttempts = 8, 50, 10000
	mustPut(t, c, "counter", "0", catalog.Absent)
	var (
		mu      sync.Mutex
		values  = map[int]bool{}
		indexes = map[uint64]bool{}
		wg      sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < increments; n++ {
				for attempt := 1; ; attempt++ {
					if attempt > maxAttempts {
						t.Errorf("increment not done after %d attempts", maxAttempts)
						return
					}
					e, err := c.Get(ctx, "counter")
					if err != nil {
						t.Errorf("Get: %v", err)
						return
					}
					v, err := strconv.Atoi(string(e.Value))
					if err != nil {
						t.Errorf("counter holds %q", e.Value)
						return
					}
					idx, err := c.Put(ctx, "counter", []byte(strconv.Itoa(v+1)), int64(e.ModifyIndex))
					if errors.Is(err, catalog.ErrConflict) {
						continue
					}
					if err != nil {
						t.Errorf("Put: %v", err)
						return
					}
					mu.Lock()
					if values[v+1] || indexes[idx] || idx <= e.ModifyIndex {
						t.Errorf("lost update: value %d (seen %v) written at index %d (seen %v) over %d", v+1, values[v+1], idx, indexes[idx], e.ModifyIndex)
					}
					values[v+1], indexes[idx] = true, true
					mu.Unlock()
					break
				}
			}
		}()
	}
	wg.Wait()
	const total = workers * increments
	if e := mustGet(t, c, "counter"); string(e.Value) != strconv.Itoa(total) {
		t.Fatalf("counter = %s, want %d", e.Value, total)
	}
	for v := 1; v <= total; v++ {
		if !values[v] {
			t.Fatalf("no successful increment wrote %d", v)
		}
	}
}

func testChangesConcurrentWriters(t *testing.T, open Opener) {
	c := open(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	start := seqOf(t, c)
	const writers, perWriter = 4, 40
	// Writers may run at most Retain/2 changes ahead of the watcher, so
	// it never falls out of the retained window however they interleave.
	window := make(chan struct{}, Retain/2)

	// The watcher groups changes by Seq (one group per write) until it
	// sees the "done" key.
	var observed [][]catalog.Change
	watched := make(chan error, 1)
	go func() {
		after, cur := start, start
		var group []catalog.Change
		for {
			chs, next, err := c.Changes(ctx, "", after)
			if err != nil {
				cancel() // release writers waiting for the window
				watched <- fmt.Errorf("Changes(%d): %w", after, err)
				return
			}
			for _, ch := range chs {
				switch {
				case ch.Seq == cur && group != nil:
					group = append(group, ch)
				case ch.Seq == cur+1:
					if group != nil {
						observed = append(observed, group)
					}
					group, cur = []catalog.Change{ch}, ch.Seq
					select {
					case <-window:
					default:
					}
				default:
					cancel()
					watched <- fmt.Errorf("change %s has seq %d after seq %d: gap or duplicate", show(ch), ch.Seq, cur)
					return
				}
				if ch.Key == "done" {
					watched <- nil
					return
				}
			}
			if next != cur {
				cancel()
				watched <- fmt.Errorf("Changes(%d) returned next %d, but its last change has seq %d", after, next, cur)
				return
			}
			after = next
		}
	}()

	acked := make([][]string, writers)
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			exists := map[string]bool{}
			for i := 0; i < perWriter; i++ {
				select {
				case window <- struct{}{}:
				case <-ctx.Done():
					return
				}
				key := fmt.Sprintf("w%d/k%d", w, i%5)
				val := fmt.Sprintf("w%d-%d", w, i)
				var unit []string
				var err error
				switch {
				case i%10 == 9:
					other := fmt.Sprintf("w%d/txn%d", w, i)
					_, err = c.Txn(ctx, []catalog.Op{
						{Kind: catalog.OpPut, Key: key, Value: []byte(val), Expect: catalog.Any},
						{Kind: catalog.OpPut, Key: other, Value: []byte(val + "t"), Expect: catalog.Absent},
					})
					unit = []string{key + "=" + val, other + "=" + val + "t"}
					exists[key] = true
				case i%7 == 6 && exists[key]:
					err = c.Delete(ctx, key, catalog.Any)
					unit = []string{key + "!"}
					exists[key] = false
				default:
					_, err = c.Put(ctx, key, []byte(val), catalog.Any)
					unit = []string{key + "=" + val}
					exists[key] = true
				}
				if err != nil {
					t.Errorf("writer %d write %d: %v", w, i, err)
					select { // this write takes no sequence number
					case <-window:
					default:
					}
					return
				}
				acked[w] = append(acked[w], strings.Join(unit, " "))
			}
		}()
	}
	wg.Wait()
	mustPut(t, c, "done", "1", catalog.Any)
	if err := <-watched; err != nil {
		t.Fatalf("watcher: %v", err)
	}

	got := make([][]string, writers)
	for _, group := range observed {
		var parts []string
		for _, ch := range group {
			parts = append(parts, show(ch))
		}
		var w int
		if _, err := fmt.Sscanf(group[0].Key, "w%d/", &w); err != nil || w < 0 || w >= writers {
			t.Fatalf("watcher saw a change nobody made: %q", parts)
		}
		got[w] = append(got[w], strings.Join(parts, " "))
	}
	for w := range writers {
		if len(acked[w]) != perWriter {
			t.Errorf("writer %d had %d of %d writes acknowledged", w, len(acked[w]), perWriter)
		}
		if !slices.Equal(got[w], acked[w]) {
			t.Errorf("writer %d: watcher saw\n%q\nwant the acknowledged writes in order\n%q", w, got[w], acked[w])
		}
	}
}

func testChangesWakeOnWrite(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	start := seqOf(t, c)
	type result struct {
		chs  []catalog.Change
		next uint64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		chs, next, err := c.Changes(ctx, "", start)
		done <- result{chs, next, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("Changes returned before any write: %+v", r)
	case <-time.After(200 * time.Millisecond):
	}
	wrote := time.Now()
	mustPut(t, c, "wake", "up", catalog.Absent)
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Changes: %v", r.err)
		}
		if len(r.chs) != 1 || show(r.chs[0]) != "wake=up" || r.chs[0].Seq != start+1 || r.next != start+1 {
			t.Fatalf("Changes = %+v next %d, want wake=up at %d", r.chs, r.next, start+1)
		}
	case <-time.After(prompt):
		t.Fatalf("Changes still blocked %s after a write", time.Since(wrote))
	}
}

// changesWithin calls Changes and fails t if it has not returned within
// limit (a backend that ignores its context would otherwise hang).
func changesWithin(t *testing.T, c catalog.Catalog, ctx context.Context, after uint64, limit time.Duration) (time.Duration, error) {
	t.Helper()
	done := make(chan error, 1)
	began := time.Now()
	go func() {
		_, _, err := c.Changes(ctx, "", after)
		done <- err
	}()
	select {
	case err := <-done:
		return time.Since(began), err
	case <-time.After(limit):
		t.Fatalf("Changes(%d) still waiting after %s: it ignores its context", after, limit)
		return 0, nil
	}
}

func testChangesContext(t *testing.T, open Opener) {
	c := open(t)
	mustPut(t, c, "k", "v", catalog.Absent)
	seq := seqOf(t, c)

	const wait = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(testCtx(t), wait)
	defer cancel()
	took, err := changesWithin(t, c, ctx, seq, wait+prompt)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Changes with a %s deadline = %v, want DeadlineExceeded", wait, err)
	}
	if took < wait-50*time.Millisecond {
		t.Fatalf("Changes with a %s deadline returned after %s", wait, took)
	}

	ctx, cancel = context.WithCancel(testCtx(t))
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := changesWithin(t, c, ctx, seq, prompt); !errors.Is(err, context.Canceled) {
		t.Fatalf("Changes cancelled while waiting = %v, want Canceled", err)
	}
	if _, err := changesWithin(t, c, ctx, seq, prompt); !errors.Is(err, context.Canceled) {
		t.Fatalf("Changes with a cancelled context = %v, want Canceled", err)
	}
}

func testChangesPrefix(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	start := seqOf(t, c)
	for _, key := range []string{"x/1", "y/1", "p/b", "x/2", "p/bc", "p/b/x", "y/10", "yy/1"} {
		mustPut(t, c, key, "v", catalog.Absent)
	}
	end := seqOf(t, c)
	tests := []struct {
		prefix string
		want   []string
	}{
		{"y/", []string{"y/1=v", "y/10=v"}},
		{"p/b/", []string{"p/b/x=v"}},
		{"p/b", []string{"p/b=v", "p/bc=v", "p/b/x=v"}},
		{"nomatch/", nil},
		{"", []string{"x/1=v", "y/1=v", "p/b=v", "x/2=v", "p/bc=v", "p/b/x=v", "y/10=v", "yy/1=v"}},
	}
	for _, tt := range tests {
		var got []string
		for _, ch := range collect(t, c, tt.prefix, start, end) {
			got = append(got, show(ch))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Changes(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}

	// The wait ends at any change, matching or not.
	type result struct {
		chs  []catalog.Change
		next uint64
		err  error
	}
	done := make(chan result, 1)
	go func() {
		chs, next, err := c.Changes(ctx, "nomatch/", end)
		done <- result{chs, next, err}
	}()
	time.Sleep(100 * time.Millisecond)
	mustPut(t, c, "x/3", "v", catalog.Absent)
	select {
	case r := <-done:
		if r.err != nil || len(r.chs) != 0 || r.next != end+1 {
			t.Fatalf("Changes(nomatch/) after an unrelated write = %+v, %d, %v; want none, next %d", r.chs, r.next, r.err, end+1)
		}
	case <-time.After(prompt):
		t.Fatal("Changes kept waiting after a change outside its prefix")
	}
}

func testChangesCompacted(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	start := seqOf(t, c)
	const writes = Retain + 20
	for i := 0; i < writes; i++ {
		mustPut(t, c, fmt.Sprintf("c/%02d", i%30), fmt.Sprintf("v%d", i), catalog.Any)
	}
	end := seqOf(t, c)
	if end != start+writes {
		t.Fatalf("sequence %d after %d writes from %d", end, writes, start)
	}
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, prompt)
		t.Cleanup(cancel)
		return ctx
	}
	for _, tt := range []struct {
		prefix string
		after  uint64
	}{
		{"", start},
		{"", end - Retain - 1},
		{"nomatch/", end - Retain - 1},
		{"", end + 1},
		{"", end + 1000},
	} {
		if chs, next, err := c.Changes(short(), tt.prefix, tt.after); !errors.Is(err, catalog.ErrCompacted) {
			t.Errorf("Changes(%q, %d) with changes %d..%d retained = %d changes, next %d, %v; want ErrCompacted",
				tt.prefix, tt.after, end-Retain+1, end, len(chs), next, err)
		}
	}

	// Exactly the last Retain changes are there.
	chs := collect(t, c, "", end-Retain, end)
	if len(chs) != Retain {
		t.Fatalf("got %d retained changes, want %d", len(chs), Retain)
	}
	for i, ch := range chs {
		n := writes - Retain + i
		want := fmt.Sprintf("c/%02d=v%d", n%30, n)
		if ch.Seq != end-Retain+1+uint64(i) || show(ch) != want {
			t.Fatalf("retained change %d is %s at %d, want %s at %d", i, show(ch), ch.Seq, want, end-Retain+1+uint64(i))
		}
	}

	// A watcher that lost its place lists and resumes from there.
	_, seq, err := c.List(ctx, "c/")
	if err != nil || seq != end {
		t.Fatalf("List = seq %d, %v; want %d", seq, err, end)
	}
	mustPut(t, c, "c/after", "v", catalog.Absent)
	if got := collect(t, c, "c/", seq, seq+1); len(got) != 1 || show(got[0]) != "c/after=v" {
		t.Fatalf("after resuming: %+v", got)
	}
}

func testClose(t *testing.T, open Opener) {
	c := open(t)
	ctx := testCtx(t)
	mustPut(t, c, "k", "v", catalog.Absent)
	seq := seqOf(t, c)
	waiting := make(chan error, 1)
	go func() {
		_, _, err := c.Changes(ctx, "", seq)
		waiting <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-waiting:
		if !errors.Is(err, catalog.ErrClosed) {
			t.Fatalf("Changes waiting at Close = %v, want ErrClosed", err)
		}
	case <-time.After(prompt):
		t.Fatal("Changes still waiting after Close")
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := c.Get(ctx, "k"); return err }},
		{"List", func() error { _, _, err := c.List(ctx, ""); return err }},
		{"Put", func() error { _, err := c.Put(ctx, "k", []byte("w"), catalog.Any); return err }},
		{"Delete", func() error { return c.Delete(ctx, "k", catalog.Any) }},
		{"Txn", func() error {
			_, err := c.Txn(ctx, []catalog.Op{{Kind: catalog.OpCheck, Key: "k", Expect: catalog.Any}})
			return err
		}},
		{"Changes", func() error { _, _, err := c.Changes(ctx, "", 0); return err }},
		{"Close", c.Close},
	}
	for _, call := range calls {
		if err := call.call(); !errors.Is(err, catalog.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", call.name, err)
		}
	}
}
