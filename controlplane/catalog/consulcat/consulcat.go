// Package consulcat is the catalog backend on Consul KV, used by
// `photondb controlplane`.
//
// Layout under Options.Prefix (say "photondb/"):
//
//	photondb/kv/<key>                 the catalog's keys
//	photondb/_catalog/seq             the change sequence, decimal
//	photondb/_catalog/log/<%020d seq> the changes of one sequence, JSON
//
// Every write is one Consul transaction that checks the sequence key's
// ModifyIndex, sets it to seq+1, applies the caller's checks and writes
// (KVCAS, KVDeleteCAS, KVCheckIndex, KVCheckNotExists), appends the log
// record and deletes the record that fell out of Options.Retain. Writers
// therefore serialise on the sequence key: when a transaction fails only
// because the sequence moved it is retried (bounded, with backoff); when a
// caller's check failed it is ErrConflict. Before each attempt the
// sequence and the keys involved are read in one read-only transaction,
// which tells ErrNotFound from ErrConflict, skips deletes of missing keys
// and answers check-only transactions without writing. Writes made through
// one Catalog are also serialised in process, so only writers in other
// processes ever race on the sequence.
//
// Entry.CreateIndex and ModifyIndex are Consul's raft indexes. Consul
// does not bump ModifyIndex for a write that leaves key, value and flags
// unchanged, so every write sets the key's Flags to the change sequence:
// rewriting the same value still yields a new version.
//
// Changes reads the log with batched read-only transactions (at most 64
// ops each) and waits with a blocking query on the sequence key.
//
// Consul limits. A write carries each value twice (in the key and in the
// log record, base64 in a JSON body); the catalog's limits (MaxTxnBytes
// per write) keep that within an agent's defaults (txn_max_req_len and
// kv_max_value_size of 512 KiB), so no Consul configuration is needed.
package consulcat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/photondb-io/photondb/controlplane/catalog"
)

const (
	// DefaultPrefix is the KV folder used when Options.Prefix is empty.
	DefaultPrefix = "photondb/"
	// DefaultRetain is how many changes the log keeps when Options.Retain is 0.
	DefaultRetain = 10000

	// logBatch is how many log records one read transaction fetches
	// (plus the sequence key: 64 ops, Consul's historical txn limit).
	logBatch = 63
	// maxAttempts bounds the retries of a write that lost the race for
	// the sequence key to another process.
	maxAttempts = 32
	// waitTime is the longest one blocking query waits.
	waitTime = time.Minute
	// minWait throttles blocking queries that return without progress.
	minWait = 10 * time.Millisecond
)

// Options configure New.
type Options struct {
	// Prefix is the root KV folder of the catalog ("photondb/" when
	// empty); a trailing slash is added if missing.
	Prefix string
	// Retain is how many changes the log keeps for watchers; asking for
	// older ones is ErrCompacted. Zero means DefaultRetain.
	Retain int
}

// Catalog is a catalog.Catalog stored in Consul KV.
type Catalog struct {
	kv  *api.KV
	txn *api.Txn

	dataPrefix string // <prefix>kv/
	seqKey     string // <prefix>_catalog/seq
	logPrefix  string // <prefix>_catalog/log/
	retain     uint64

	writer chan struct{} // one in-process writer at a time

	closed    atomic.Bool
	closeCtx  context.Context // cancelled by Close
	closeFn   context.CancelFunc
	closeOnce sync.Once

	// beforeTxn, when set (tests only), runs after a write's snapshot
	// read and before its transaction.
	beforeTxn func()
}

var _ catalog.Catalog = (*Catalog)(nil)

// New returns a catalog stored under opts.Prefix through client. It does
// not contact Consul.
func New(client *api.Client, opts Options) (*Catalog, error) {
	if client == nil {
		return nil, fmt.Errorf("consul catalog: %w: nil client", catalog.ErrInvalid)
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if err := catalog.CheckPrefix(prefix); err != nil {
		return nil, fmt.Errorf("consul catalog: bad Options.Prefix: %w", err)
	}
	if opts.Retain < 0 {
		return nil, fmt.Errorf("consul catalog: %w: negative Options.Retain %d", catalog.ErrInvalid, opts.Retain)
	}
	retain := uint64(opts.Retain)
	if retain == 0 {
		retain = DefaultRetain
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Catalog{
		kv:         client.KV(),
		txn:        client.Txn(),
		dataPrefix: prefix + "kv/",
		seqKey:     prefix + "_catalog/seq",
		logPrefix:  prefix + "_catalog/log/",
		retain:     retain,
		writer:     make(chan struct{}, 1),
		closeCtx:   ctx,
		closeFn:    cancel,
	}, nil
}

// Close makes later calls return ErrClosed and ends waiting ones. The
// Consul client stays the caller's.
func (c *Catalog) Close() error {
	err := fmt.Errorf("consul catalog close: %w", catalog.ErrClosed)
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.closeFn()
		err = nil
	})
	return err
}

// begin starts an operation: ErrClosed after Close, else a context that
// also ends when the catalog closes.
func (c *Catalog) begin(ctx context.Context, what string) (context.Context, context.CancelFunc, error) {
	if c.closed.Load() {
		return nil, nil, fmt.Errorf("consul catalog %s: %w", what, catalog.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("consul catalog %s: %w", what, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.closeCtx, cancel)
	return ctx, func() { stop(); cancel() }, nil
}

// fail wraps err, preferring ErrClosed and the context's own error (the
// Consul client reports those as transport errors).
func (c *Catalog) fail(ctx context.Context, what string, err error) error {
	switch {
	case c.closed.Load():
		return fmt.Errorf("consul catalog %s: %w", what, catalog.ErrClosed)
	case ctx.Err() != nil:
		return fmt.Errorf("consul catalog %s: %w", what, ctx.Err())
	}
	return fmt.Errorf("consul catalog %s: %w", what, err)
}

func (c *Catalog) logKey(seq uint64) string {
	return fmt.Sprintf("%s%020d", c.logPrefix, seq)
}

// Get returns the entry at key, or ErrNotFound.
func (c *Catalog) Get(ctx context.Context, key string) (catalog.Entry, error) {
	what := "get " + key
	if err := catalog.CheckKey(key); err != nil {
		return catalog.Entry{}, fmt.Errorf("consul catalog get: %w", err)
	}
	ctx, done, err := c.begin(ctx, what)
	if err != nil {
		return catalog.Entry{}, err
	}
	defer done()
	pair, _, err := c.kv.Get(c.dataPrefix+key, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return catalog.Entry{}, c.fail(ctx, what, err)
	}
	if pair == nil {
		return catalog.Entry{}, fmt.Errorf("consul catalog %s: %w", what, catalog.ErrNotFound)
	}
	return c.entry(pair), nil
}

func (c *Catalog) entry(p *api.KVPair) catalog.Entry {
	v := p.Value
	if v == nil {
		v = []byte{}
	}
	return catalog.Entry{
		Key:         strings.TrimPrefix(p.Key, c.dataPrefix),
		Value:       v,
		CreateIndex: p.CreateIndex,
		ModifyIndex: p.ModifyIndex,
	}
}

// List returns the entries under prefix in key order and the sequence the
// listing reflects; both come from one read-only transaction.
func (c *Catalog) List(ctx context.Context, prefix string) ([]catalog.Entry, uint64, error) {
	what := "list " + prefix
	if err := catalog.CheckPrefix(prefix); err != nil {
		return nil, 0, fmt.Errorf("consul catalog list: %w", err)
	}
	ctx, done, err := c.begin(ctx, what)
	if err != nil {
		return nil, 0, err
	}
	defer done()
	full := c.dataPrefix + prefix
	pairs, err := c.read(ctx, api.TxnOps{
		{KV: &api.KVTxnOp{Verb: api.KVGetOrEmpty, Key: c.seqKey}},
		{KV: &api.KVTxnOp{Verb: api.KVGetTree, Key: full}},
	})
	if err != nil {
		return nil, 0, c.fail(ctx, what, err)
	}
	if len(pairs) == 0 {
		return nil, 0, c.fail(ctx, what, errors.New("transaction returned no sequence"))
	}
	seq, err := parseSeq(pairs[0])
	if err != nil {
		return nil, 0, c.fail(ctx, what, err)
	}
	var out []catalog.Entry
	for _, p := range pairs[1:] {
		if strings.HasPrefix(p.Key, full) {
			out = append(out, c.entry(p))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, seq, nil
}

// read runs a read-only transaction and returns its KV results in order.
func (c *Catalog) read(ctx context.Context, ops api.TxnOps) ([]*api.KVPair, error) {
	ok, resp, _, err := c.txn.Txn(ops, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("read transaction failed: %s", txnErrors(resp))
	}
	pairs := make([]*api.KVPair, 0, len(resp.Results))
	for _, r := range resp.Results {
		if r != nil && r.KV != nil {
			pairs = append(pairs, r.KV)
		}
	}
	return pairs, nil
}

func txnErrors(resp *api.TxnResponse) string {
	if resp == nil || len(resp.Errors) == 0 {
		return "no reason given"
	}
	var b strings.Builder
	for i, e := range resp.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "op %d: %s", e.OpIndex, e.What)
	}
	return b.String()
}

// parseSeq reads the sequence key as returned by get-or-empty (a missing
// key has ModifyIndex 0 and means sequence 0).
func parseSeq(p *api.KVPair) (uint64, error) {
	if p == nil || p.ModifyIndex == 0 {
		return 0, nil
	}
	n, err := strconv.ParseUint(string(p.Value), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("corrupt sequence key %s: %w", p.Key, err)
	}
	return n, nil
}

// Put stores value at key if key's version matches expect.
func (c *Catalog) Put(ctx context.Context, key string, value []byte, expect int64) (uint64, error) {
	op := catalog.Op{Kind: catalog.OpPut, Key: key, Value: value, Expect: expect}
	if err := catalog.CheckOps([]catalog.Op{op}); err != nil {
		return 0, fmt.Errorf("consul catalog put: %w", err)
	}
	return c.write(ctx, "put "+key, []catalog.Op{op}, false)
}

// Delete removes key if its version matches expect; a missing key is
// ErrNotFound unless expect is Any.
func (c *Catalog) Delete(ctx context.Context, key string, expect int64) error {
	op := catalog.Op{Kind: catalog.OpDelete, Key: key, Expect: expect}
	if err := catalog.CheckOps([]catalog.Op{op}); err != nil {
		return fmt.Errorf("consul catalog delete: %w", err)
	}
	_, err := c.write(ctx, "delete "+key, []catalog.Op{op}, true)
	return err
}

// Txn applies ops atomically and returns the ModifyIndex of the keys it
// wrote (0 if it wrote none).
func (c *Catalog) Txn(ctx context.Context, ops []catalog.Op) (uint64, error) {
	if err := catalog.CheckOps(ops); err != nil {
		return 0, fmt.Errorf("consul catalog txn: %w", err)
	}
	return c.write(ctx, fmt.Sprintf("txn of %d ops", len(ops)), ops, false)
}

// keyState is a key as a write's snapshot saw it, updated as the write's
// ops are planned.
type keyState struct {
	exists  bool
	index   uint64
	touched bool // written by an earlier op of the same transaction
}

// snapshot is the sequence key and the keys a write involves, read in one
// read-only transaction.
type snapshot struct {
	seq      uint64
	seqIndex uint64 // the sequence key's ModifyIndex; 0 if missing
	keys     map[string]*keyState
}

func (c *Catalog) snapshot(ctx context.Context, ops []catalog.Op) (*snapshot, error) {
	txn := api.TxnOps{{KV: &api.KVTxnOp{Verb: api.KVGetOrEmpty, Key: c.seqKey}}}
	snap := &snapshot{keys: make(map[string]*keyState, len(ops))}
	var order []string
	for _, op := range ops {
		if _, ok := snap.keys[op.Key]; !ok {
			snap.keys[op.Key] = &keyState{}
			order = append(order, op.Key)
			txn = append(txn, &api.TxnOp{KV: &api.KVTxnOp{Verb: api.KVGetOrEmpty, Key: c.dataPrefix + op.Key}})
		}
	}
	pairs, err := c.read(ctx, txn)
	if err != nil {
		return nil, err
	}
	if len(pairs) != len(txn) {
		return nil, fmt.Errorf("read transaction returned %d results for %d ops", len(pairs), len(txn))
	}
	if snap.seq, err = parseSeq(pairs[0]); err != nil {
		return nil, err
	}
	snap.seqIndex = pairs[0].ModifyIndex
	for i, key := range order {
		p := pairs[i+1]
		if p.Key != c.dataPrefix+key {
			return nil, fmt.Errorf("read transaction returned %q for %q", p.Key, c.dataPrefix+key)
		}
		if p.ModifyIndex != 0 {
			*snap.keys[key] = keyState{exists: true, index: p.ModifyIndex}
		}
	}
	return snap, nil
}

// plan is one write attempt: the Consul transaction and the log record.
type plan struct {
	ops        api.TxnOps
	userFrom   int // ops[userFrom:userTo] are the caller's
	userTo     int
	hasChanges bool
}

// plan evaluates ops against the snapshot (in order, as Consul applies
// them) and builds the transaction for sequence snap.seq+1.
func (c *Catalog) plan(snap *snapshot, ops []catalog.Op, single bool) (*plan, error) {
	seq := snap.seq + 1
	guard := &api.KVTxnOp{Verb: api.KVCheckNotExists, Key: c.seqKey}
	if snap.seqIndex != 0 {
		guard = &api.KVTxnOp{Verb: api.KVCheckIndex, Key: c.seqKey, Index: snap.seqIndex}
	}
	p := &plan{ops: api.TxnOps{
		{KV: guard},
		{KV: &api.KVTxnOp{Verb: api.KVSet, Key: c.seqKey, Value: []byte(strconv.FormatUint(seq, 10))}},
	}}
	p.userFrom = len(p.ops)
	rec := logRecord{Seq: seq}
	for _, op := range ops {
		st := snap.keys[op.Key]
		ok := catalog.Matches(op.Expect, st.exists, st.index)
		if st.touched && st.exists && op.Expect > 0 {
			ok = false // its new version does not exist before the commit
		}
		if op.Kind == catalog.OpDelete && !st.exists && op.Expect != catalog.Any {
			if single {
				return nil, catalog.ErrNotFound
			}
			ok = false
		}
		if !ok {
			return nil, catalog.ErrConflict
		}
		full := c.dataPrefix + op.Key
		switch op.Kind {
		case catalog.OpPut:
			kv := &api.KVTxnOp{Verb: api.KVSet, Key: full, Value: op.Value, Flags: seq}
			if !st.touched && op.Expect == catalog.Absent {
				kv.Verb = api.KVCAS // index 0: only if missing
			} else if !st.touched && op.Expect > 0 {
				kv.Verb, kv.Index = api.KVCAS, uint64(op.Expect)
			}
			p.ops = append(p.ops, &api.TxnOp{KV: kv})
			value := op.Value
			if value == nil {
				value = []byte{}
			}
			rec.Changes = append(rec.Changes, logChange{Key: op.Key, Value: value})
			*st = keyState{exists: true, touched: true}
		case catalog.OpDelete:
			if st.exists {
				kv := &api.KVTxnOp{Verb: api.KVDelete, Key: full}
				if !st.touched && op.Expect > 0 {
					kv.Verb, kv.Index = api.KVDeleteCAS, uint64(op.Expect)
				}
				p.ops = append(p.ops, &api.TxnOp{KV: kv})
				rec.Changes = append(rec.Changes, logChange{Key: op.Key, Deleted: true})
			}
			*st = keyState{touched: true}
		case catalog.OpCheck:
			if st.touched {
				break // decided above; Consul cannot see the pre-commit state
			}
			if op.Expect > 0 {
				p.ops = append(p.ops, &api.TxnOp{KV: &api.KVTxnOp{Verb: api.KVCheckIndex, Key: full, Index: uint64(op.Expect)}})
			} else if op.Expect == catalog.Absent {
				p.ops = append(p.ops, &api.TxnOp{KV: &api.KVTxnOp{Verb: api.KVCheckNotExists, Key: full}})
			}
		}
	}
	p.userTo = len(p.ops)
	p.hasChanges = len(rec.Changes) > 0
	if !p.hasChanges {
		return p, nil
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encode change record: %w", err)
	}
	p.ops = append(p.ops, &api.TxnOp{KV: &api.KVTxnOp{Verb: api.KVSet, Key: c.logKey(seq), Value: raw}})
	if seq > c.retain {
		p.ops = append(p.ops, &api.TxnOp{KV: &api.KVTxnOp{Verb: api.KVDelete, Key: c.logKey(seq - c.retain)}})
	}
	return p, nil
}

// write runs ops as one catalog change, retrying while other processes
// win the race for the sequence key.
func (c *Catalog) write(ctx context.Context, what string, ops []catalog.Op, single bool) (uint64, error) {
	ctx, done, err := c.begin(ctx, what)
	if err != nil {
		return 0, err
	}
	defer done()
	select {
	case c.writer <- struct{}{}:
		defer func() { <-c.writer }()
	case <-ctx.Done():
		return 0, c.fail(ctx, what, ctx.Err())
	}
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		snap, err := c.snapshot(ctx, ops)
		if err != nil {
			return 0, c.fail(ctx, what, err)
		}
		p, err := c.plan(snap, ops, single)
		if err != nil {
			return 0, fmt.Errorf("consul catalog %s: %w", what, err)
		}
		if !p.hasChanges {
			return 0, nil // checks held on the snapshot; nothing to write
		}
		if c.beforeTxn != nil {
			c.beforeTxn()
		}
		ok, resp, _, err := c.txn.Txn(p.ops, (&api.QueryOptions{}).WithContext(ctx))
		if err != nil {
			return 0, c.fail(ctx, what, err)
		}
		if ok {
			var index uint64
			for _, r := range resp.Results {
				if r != nil && r.KV != nil && r.KV.ModifyIndex > index {
					index = r.KV.ModifyIndex
				}
			}
			return index, nil
		}
		var seqMoved, userFailed, other bool
		for _, e := range resp.Errors {
			switch {
			case e.OpIndex == 0:
				seqMoved = true
			case e.OpIndex >= p.userFrom && e.OpIndex < p.userTo:
				userFailed = true
			default:
				other = true
			}
		}
		switch {
		case seqMoved:
			// Another writer committed first; the next snapshot decides
			// whether the caller's checks still hold.
		case userFailed && !other:
			return 0, fmt.Errorf("consul catalog %s: %w", what, catalog.ErrConflict)
		default:
			return 0, c.fail(ctx, what, fmt.Errorf("transaction failed: %s", txnErrors(resp)))
		}
		if attempt == maxAttempts {
			return 0, c.fail(ctx, what, fmt.Errorf("sequence key still contended after %d attempts", attempt))
		}
		sleep := backoff/2 + rand.N(backoff)
		backoff = min(2*backoff, 128*time.Millisecond)
		t := time.NewTimer(sleep)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return 0, c.fail(ctx, what, ctx.Err())
		}
	}
}

// Changes returns the changes after `after` whose key starts with prefix,
// waiting with a blocking query on the sequence key when there are none.
func (c *Catalog) Changes(ctx context.Context, prefix string, after uint64) ([]catalog.Change, uint64, error) {
	what := fmt.Sprintf("changes after %d", after)
	if err := catalog.CheckPrefix(prefix); err != nil {
		return nil, after, fmt.Errorf("consul catalog changes: %w", err)
	}
	ctx, done, err := c.begin(ctx, what)
	if err != nil {
		return nil, after, err
	}
	defer done()
	for {
		recs, seq, seqIndex, err := c.readLog(ctx, after)
		if err != nil {
			return nil, after, c.fail(ctx, what, err)
		}
		switch {
		case after > seq:
			return nil, after, fmt.Errorf("consul catalog %s: %w: sequence %d is ahead of the catalog's %d", what, catalog.ErrCompacted, after, seq)
		case seq > after:
			if len(recs) == 0 {
				return nil, after, fmt.Errorf("consul catalog %s: %w: change %d is no longer retained", what, catalog.ErrCompacted, after+1)
			}
			var out []catalog.Change
			for _, r := range recs {
				for _, ch := range r.Changes {
					if strings.HasPrefix(ch.Key, prefix) {
						out = append(out, catalog.Change{Seq: r.Seq, Key: ch.Key, Value: ch.Value, Deleted: ch.Deleted})
					}
				}
			}
			return out, recs[len(recs)-1].Seq, nil
		}
		if err := c.waitSeq(ctx, seqIndex, after); err != nil {
			return nil, after, c.fail(ctx, what, err)
		}
	}
}

// readLog reads the sequence and the records after `after` in one
// read-only transaction. It returns the records present without a gap
// from after+1 (none if after+1 itself is gone) and not beyond seq.
func (c *Catalog) readLog(ctx context.Context, after uint64) ([]logRecord, uint64, uint64, error) {
	ops := api.TxnOps{{KV: &api.KVTxnOp{Verb: api.KVGetOrEmpty, Key: c.seqKey}}}
	for i := uint64(1); i <= logBatch; i++ {
		ops = append(ops, &api.TxnOp{KV: &api.KVTxnOp{Verb: api.KVGetOrEmpty, Key: c.logKey(after + i)}})
	}
	pairs, err := c.read(ctx, ops)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(pairs) != len(ops) {
		return nil, 0, 0, fmt.Errorf("read transaction returned %d results for %d ops", len(pairs), len(ops))
	}
	seq, err := parseSeq(pairs[0])
	if err != nil {
		return nil, 0, 0, err
	}
	var recs []logRecord
	for i, p := range pairs[1:] {
		s := after + uint64(i) + 1
		if s > seq || p.ModifyIndex == 0 {
			break
		}
		rec, err := decodeRecord(p.Value, s)
		if err != nil {
			return nil, 0, 0, fmt.Errorf("change log %s: %w", p.Key, err)
		}
		recs = append(recs, rec)
	}
	return recs, seq, pairs[0].ModifyIndex, nil
}

// waitSeq blocks until the sequence key no longer reads `after` (or ctx
// ends), starting from the raft index seqIndex.
func (c *Catalog) waitSeq(ctx context.Context, seqIndex, after uint64) error {
	index := max(seqIndex, 1)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		q := &api.QueryOptions{WaitIndex: index, WaitTime: waitTime}
		pair, meta, err := c.kv.Get(c.seqKey, q.WithContext(ctx))
		if err != nil {
			return err
		}
		seq, err := parseSeq(pair)
		if err != nil {
			return err
		}
		if seq != after {
			return nil
		}
		switch {
		case meta.LastIndex < index:
			index = 1 // the index went backwards (a snapshot restore): start over
		case meta.LastIndex == index && time.Since(start) < minWait:
			t := time.NewTimer(minWait) // the server did not block; do not spin
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		default:
			index = meta.LastIndex
		}
	}
}
