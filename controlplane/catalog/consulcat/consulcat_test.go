package consulcat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/photondb-io/photondb/controlplane/catalog"
	"github.com/photondb-io/photondb/controlplane/catalog/catalogtest"
	"github.com/photondb-io/photondb/tests/consulagent"
)

// One dev agent serves every test of the package; each catalog gets its
// own KV prefix.
func TestMain(m *testing.M) { os.Exit(consulagent.Main(m)) }

var prefixes atomic.Int64

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// prefixFor returns a KV prefix no other test uses.
func prefixFor(t *testing.T) string {
	return fmt.Sprintf("test/%s-%d/", unsafe.ReplaceAllString(t.Name(), "_"), prefixes.Add(1))
}

func open(t *testing.T, prefix string, retain int) *Catalog {
	t.Helper()
	c, err := New(consulagent.Shared(t).Client, Options{Prefix: prefix, Retain: retain})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestContract(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) catalog.Catalog {
		return open(t, prefixFor(t), catalogtest.Retain)
	})
}

func TestNewOptions(t *testing.T) {
	client := consulagent.Shared(t).Client
	tests := []struct {
		name    string
		client  *api.Client
		opts    Options
		wantSeq string
	}{
		{"defaults", client, Options{}, "photondb/_catalog/seq"},
		{"slash added", client, Options{Prefix: "x/y"}, "x/y/_catalog/seq"},
		{"nil client", nil, Options{}, ""},
		{"leading slash", client, Options{Prefix: "/x/"}, ""},
		{"empty segment", client, Options{Prefix: "x//y/"}, ""},
		{"space", client, Options{Prefix: "x y/"}, ""},
		{"negative retain", client, Options{Retain: -1}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.client, tt.opts)
			if tt.wantSeq == "" {
				if !errors.Is(err, catalog.ErrInvalid) {
					t.Fatalf("New = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.seqKey != tt.wantSeq || c.retain != DefaultRetain {
				t.Fatalf("seq key %q retain %d, want %q and %d", c.seqKey, c.retain, tt.wantSeq, DefaultRetain)
			}
		})
	}
}

// TestLayout checks where keys, the sequence and the log live in Consul,
// and that a user key can never collide with the catalog's own.
func TestLayout(t *testing.T) {
	ctx := context.Background()
	prefix := prefixFor(t)
	c := open(t, prefix, 2)
	kv := consulagent.Shared(t).Client.KV()
	for i, key := range []string{"_catalog/seq", "_catalog/log/x", "a"} {
		if _, err := c.Put(ctx, key, []byte(fmt.Sprint(i)), catalog.Any); err != nil {
			t.Fatal(err)
		}
	}
	keys, _, err := kv.Keys(prefix, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		prefix + "_catalog/log/00000000000000000002",
		prefix + "_catalog/log/00000000000000000003",
		prefix + "_catalog/seq",
		prefix + "kv/_catalog/log/x",
		prefix + "kv/_catalog/seq",
		prefix + "kv/a",
	}
	if strings.Join(keys, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Consul keys:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	seq, _, err := kv.Get(prefix+"_catalog/seq", nil)
	if err != nil || seq == nil || string(seq.Value) != "3" {
		t.Fatalf("sequence key = %+v, %v; want 3", seq, err)
	}
	e, err := c.Get(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := kv.Get(prefix+"kv/a", nil)
	if err != nil || raw == nil || raw.ModifyIndex != e.ModifyIndex || raw.CreateIndex != e.CreateIndex || raw.Flags != 3 {
		t.Fatalf("Consul entry %+v for catalog entry %+v: want Consul's indexes and the sequence 3 as flags", raw, e)
	}
}

// TestTwoCatalogsShareAPrefix runs writers through two Catalog values on
// one prefix (as two processes would), so they race for the sequence key
// and retry, while a watcher checks the log stays gap-free.
func TestTwoCatalogsShareAPrefix(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	prefix := prefixFor(t)
	cats := []*Catalog{open(t, prefix, 1000), open(t, prefix, 1000)}
	const perWriter = 30
	var wg sync.WaitGroup
	for i, c := range cats {
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := 0; n < perWriter; n++ {
					key := fmt.Sprintf("c%d/w%d", i, w)
					if _, err := c.Put(ctx, key, []byte(fmt.Sprint(n)), catalog.Any); err != nil {
						t.Errorf("%s: %v", key, err)
						return
					}
				}
			}()
		}
	}
	// A CAS counter shared across both catalogs: no lost updates.
	for i, c := range cats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < perWriter; n++ {
				for attempt := 0; ; attempt++ {
					if attempt > 1000 {
						t.Errorf("catalog %d: counter increment starved", i)
						return
					}
					e, err := c.Get(ctx, "counter")
					var v int
					expect := catalog.Absent
					if err == nil {
						fmt.Sscan(string(e.Value), &v)
						expect = int64(e.ModifyIndex)
					} else if !errors.Is(err, catalog.ErrNotFound) {
						t.Error(err)
						return
					}
					_, err = c.Put(ctx, "counter", []byte(fmt.Sprint(v+1)), expect)
					if err == nil {
						break
					}
					if !errors.Is(err, catalog.ErrConflict) {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	const total = 4*perWriter + 2*perWriter
	if e, err := cats[0].Get(ctx, "counter"); err != nil || string(e.Value) != fmt.Sprint(2*perWriter) {
		t.Fatalf("counter = %+v, %v; want %d", e, err, 2*perWriter)
	}
	var seen []catalog.Change
	for after := uint64(0); after < total; {
		chs, next, err := cats[1].Changes(ctx, "", after)
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range chs {
			if ch.Seq != uint64(len(seen))+1 {
				t.Fatalf("change %d has seq %d", len(seen)+1, ch.Seq)
			}
			seen = append(seen, ch)
		}
		after = next
	}
	if _, seq, err := cats[0].List(ctx, ""); err != nil || seq != total {
		t.Fatalf("sequence %d, %v; want %d", seq, err, total)
	}
}

// TestConflictDetectedByConsul makes another client change the key between
// the write's snapshot and its transaction: Consul's own check must fail
// the write (ErrConflict), and leave the sequence alone.
func TestConflictDetectedByConsul(t *testing.T) {
	ctx := context.Background()
	prefix := prefixFor(t)
	c := open(t, prefix, 0)
	kv := consulagent.Shared(t).Client.KV()
	idx, err := c.Put(ctx, "k", []byte("v1"), catalog.Absent)
	if err != nil {
		t.Fatal(err)
	}
	c.beforeTxn = func() {
		if _, err := kv.Put(&api.KVPair{Key: prefix + "kv/k", Value: []byte("outside")}, nil); err != nil {
			t.Error(err)
		}
	}
	if _, err := c.Put(ctx, "k", []byte("v2"), int64(idx)); !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("Put over an outside write = %v, want ErrConflict", err)
	}
	c.beforeTxn = nil
	if e, err := c.Get(ctx, "k"); err != nil || string(e.Value) != "outside" {
		t.Fatalf("Get = %+v, %v; want the outside value", e, err)
	}
	if _, seq, err := c.List(ctx, ""); err != nil || seq != 1 {
		t.Fatalf("sequence %d, %v; want 1", seq, err)
	}
}

// TestSequenceRaceRetried moves the sequence between a write's snapshot
// and its transaction, as a writer in another process would; the write
// must retry and land after it.
func TestSequenceRaceRetried(t *testing.T) {
	ctx := context.Background()
	prefix := prefixFor(t)
	c := open(t, prefix, 0)
	other := open(t, prefix, 0)
	raced := 0
	c.beforeTxn = func() {
		if raced < 3 {
			raced++
			if _, err := other.Put(ctx, fmt.Sprintf("other/%d", raced), []byte("x"), catalog.Any); err != nil {
				t.Error(err)
			}
		}
	}
	idx, err := c.Put(ctx, "k", []byte("v"), catalog.Absent)
	if err != nil {
		t.Fatalf("Put racing three other writes: %v", err)
	}
	if raced != 3 {
		t.Fatalf("hook ran %d times", raced)
	}
	e, err := c.Get(ctx, "k")
	if err != nil || e.ModifyIndex != idx {
		t.Fatalf("Get = %+v, %v; want index %d", e, err, idx)
	}
	chs, next, err := c.Changes(ctx, "", 0)
	if err != nil || next != 4 || len(chs) != 4 || chs[3].Key != "k" || chs[3].Seq != 4 {
		t.Fatalf("Changes = %+v, %d, %v; want three other writes then k at 4", chs, next, err)
	}

	// A CAS write whose key the racing writer changed is a conflict.
	raced = 0
	c.beforeTxn = func() {
		if raced == 0 {
			raced++
			if _, err := other.Put(ctx, "k", []byte("theirs"), catalog.Any); err != nil {
				t.Error(err)
			}
		}
	}
	if _, err := c.Put(ctx, "k", []byte("mine"), int64(idx)); !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("CAS after a racing write of the same key = %v, want ErrConflict", err)
	}
}

// TestCorruptLogRecord checks a damaged record in Consul is an error.
func TestCorruptLogRecord(t *testing.T) {
	ctx := context.Background()
	prefix := prefixFor(t)
	c := open(t, prefix, 0)
	if _, err := c.Put(ctx, "k", []byte("v"), catalog.Any); err != nil {
		t.Fatal(err)
	}
	kv := consulagent.Shared(t).Client.KV()
	if _, err := kv.Put(&api.KVPair{Key: c.logKey(1), Value: []byte("{not json")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Changes(ctx, "", 0); err == nil || !errors.Is(err, errCorrupt) {
		t.Fatalf("Changes over a corrupt record = %v, want errCorrupt", err)
	}
	if _, err := kv.Put(&api.KVPair{Key: c.seqKey, Value: []byte("seven")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.List(ctx, ""); err == nil {
		t.Fatal("List with a corrupt sequence key succeeded")
	}
	if _, err := c.Put(ctx, "k", []byte("v"), catalog.Any); err == nil {
		t.Fatal("Put with a corrupt sequence key succeeded")
	}
}

// TestUnreachable checks transport errors are wrapped, not mistaken for
// catalog conditions.
func TestUnreachable(t *testing.T) {
	client, err := api.NewClient(&api.Config{Address: "127.0.0.1:1", Scheme: "http"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(client, Options{Prefix: "nowhere/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.Put(ctx, "k", []byte("v"), catalog.Any)
	if err == nil || errors.Is(err, catalog.ErrConflict) || errors.Is(err, catalog.ErrNotFound) || !strings.Contains(err.Error(), "consul catalog put k") {
		t.Fatalf("Put to a dead agent = %v", err)
	}
	if _, err := c.Get(ctx, "k"); err == nil || errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Get from a dead agent = %v", err)
	}
}

func TestDecodeRecord(t *testing.T) {
	good, err := decodeRecord([]byte(`{"seq":5,"changes":[{"key":"a","value":"dg=="},{"key":"b","deleted":true},{"key":"c"}]}`), 5)
	if err != nil || len(good.Changes) != 3 || string(good.Changes[0].Value) != "v" || good.Changes[1].Value != nil || good.Changes[2].Value == nil {
		t.Fatalf("decodeRecord = %+v, %v", good, err)
	}
	tests := []struct {
		name string
		raw  string
	}{
		{"empty", ``},
		{"not json", `{"seq":`},
		{"wrong type", `[1,2]`},
		{"wrong seq", `{"seq":4,"changes":[{"key":"a"}]}`},
		{"no changes", `{"seq":5,"changes":[]}`},
		{"bad key", `{"seq":5,"changes":[{"key":"/a"}]}`},
		{"bad base64", `{"seq":5,"changes":[{"key":"a","value":"%%%"}]}`},
		{"deleted with value", `{"seq":5,"changes":[{"key":"a","value":"dg==","deleted":true}]}`},
		{"too many", `{"seq":5,"changes":[` + strings.Repeat(`{"key":"a"},`, catalog.MaxTxnOps) + `{"key":"a"}]}`},
		{"null", `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rec, err := decodeRecord([]byte(tt.raw), 5); !errors.Is(err, errCorrupt) {
				t.Fatalf("decodeRecord(%q) = %+v, %v; want errCorrupt", tt.raw, rec, err)
			}
		})
	}
}
