package reql

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/photondb-io/photondb/datanode/changefeed"
)

// The changefeed of order_by({index}).limit(n) (ORDER_BY_LIMIT_FEED): it
// keeps the top n documents in index order and, when a change alters that
// set, emits what left and what entered as pairs, as RethinkDB does, with
// old_offset/new_offset under include_offsets.

const noteOrderByLimitFeed = 3

type feedOrder struct {
	index string
	desc  bool
}

type limitFeed struct {
	c     *evalCtx
	tbl   *Table
	order *feedOrder
	n     int
	sub   *changefeed.Sub
	top   []map[string]any // current top n, in order

	includeInitial, includeStates, includeTypes, includeOffsets bool
	squashDelay                                                 time.Duration
	started, batches                                            int
	out                                                         []any
	closed                                                      bool
}

func (c *evalCtx) newLimitFeed(sel *Selection, f *feedStream, t *Term) (Stream, error) {
	if sel.feedLimit <= 0 {
		return nil, newErr(ErrQueryLogic, "Cannot call `changes` on an order_by without a positive limit.")
	}
	lf := &limitFeed{c: c, tbl: sel.table, order: sel.feedOrder, n: sel.feedLimit,
		includeInitial: f.includeInitial, includeStates: f.includeStates, includeTypes: f.includeTypes, squashDelay: f.squashDelay}
	if ot, ok := t.Optargs["include_offsets"]; ok {
		b, err := c.evalBool(ot)
		if err != nil {
			return nil, err
		}
		lf.includeOffsets = b
	}
	sub, _, err := sel.table.store.Subscribe(c.ctx, FeedOptions{QueueSize: f.queueSize})
	if err != nil {
		return nil, err
	}
	lf.sub = sub
	top, err := lf.query(c.ctx)
	if err != nil {
		sub.Close()
		return nil, err
	}
	lf.top = top
	c.feedNotes = []int{noteOrderByLimitFeed}
	if f.includeStates {
		c.feedNotes = append(c.feedNotes, noteIncludesStates)
	}
	return lf, nil
}

// query reads the current top n through the index.
func (lf *limitFeed) query(ctx context.Context) ([]map[string]any, error) {
	it, err := lf.tbl.store.IndexScan(ctx, lf.order.index, KeyRange{}, lf.order.desc)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []map[string]any
	for len(out) < lf.n && it.Next() {
		out = append(out, it.Doc())
	}
	return out, it.Err()
}

func (lf *limitFeed) infinite() bool { return true }

func (lf *limitFeed) wakeChan() <-chan struct{} { return lf.sub.WakeChan() }

func (lf *limitFeed) item(m map[string]any, kind string) map[string]any {
	if lf.includeTypes {
		m["type"] = kind
	}
	return m
}

func (lf *limitFeed) Next(ctx context.Context) (any, bool, error) {
	for {
		if lf.closed {
			return nil, false, nil
		}
		if len(lf.out) > 0 {
			v := lf.out[0]
			lf.out = lf.out[1:]
			return v, true, nil
		}
		if lf.started == 0 {
			lf.started = 1
			if lf.includeStates {
				lf.out = append(lf.out, map[string]any{"state": "initializing"})
			}
			if lf.includeInitial {
				for i, d := range lf.top {
					m := map[string]any{"new_val": d}
					if lf.includeOffsets {
						m["new_offset"] = float64(i)
					}
					lf.out = append(lf.out, lf.item(m, "initial"))
				}
			}
			if lf.includeStates {
				lf.out = append(lf.out, map[string]any{"state": "ready"})
			}
			continue
		}
		if err := lf.fill(ctx); err != nil {
			return nil, false, err
		}
	}
}

// fill waits for changes (unless polling), then requeries the top n if any
// change can affect it, and emits the differences.
func (lf *limitFeed) fill(ctx context.Context) error {
	var items []changefeed.Item
	if polling(ctx) {
		it, ok, err := lf.sub.TryNext()
		if err != nil {
			return lf.subErr(err)
		}
		if !ok {
			return ErrWouldBlock
		}
		items = append(items, it)
	} else {
		it, err := lf.sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return newErr(ErrOpIndeterminate, "Query interrupted: %v.", ctx.Err())
			}
			return lf.subErr(err)
		}
		items = append(items, it)
		if lf.batches > 0 && lf.squashDelay > 0 {
			select {
			case <-time.After(lf.squashDelay):
			case <-ctx.Done():
			}
		}
	}
	for {
		it, ok, err := lf.sub.TryNext()
		if err != nil || !ok {
			break
		}
		items = append(items, it)
	}
	lf.batches++
	affected := false
	for _, it := range items {
		if it.Skipped > 0 || lf.affects(it.Change) {
			affected = true
			break
		}
	}
	if !affected {
		return nil
	}
	next, err := lf.query(ctx)
	if err != nil {
		return err
	}
	lf.diff(lf.top, next)
	lf.top = next
	return nil
}

// affects reports whether a change can alter the top n: it touches a
// document in it, or the set is not full, or the new document sorts within
// the current last one.
func (lf *limitFeed) affects(ch changefeed.Change) bool {
	if len(lf.top) < lf.n {
		return true
	}
	pk := lf.tbl.store.Config().PrimaryKey
	for _, d := range lf.top {
		if (ch.Old != nil && datumEqual(d[pk], ch.Old[pk])) || (ch.New != nil && datumEqual(d[pk], ch.New[pk])) {
			return true
		}
	}
	if ch.New == nil {
		return false
	}
	last := lf.keysOf(lf.top[len(lf.top)-1])
	for _, k := range lf.keysOf(ch.New) {
		for _, l := range last {
			c := bytes.Compare(k, l)
			if (!lf.order.desc && c <= 0) || (lf.order.desc && c >= 0) {
				return true
			}
		}
	}
	return false
}

func (lf *limitFeed) keysOf(doc map[string]any) [][]byte {
	cfg := lf.tbl.store.Config()
	if lf.order.index == cfg.PrimaryKey {
		k, _ := EncodeIndexKey(doc[cfg.PrimaryKey])
		return [][]byte{k}
	}
	for _, ix := range cfg.Indexes {
		if ix.Name == lf.order.index {
			keys, _ := IndexKeys(ix, doc)
			return keys
		}
	}
	return nil
}

// diff emits the change from old to next: documents that changed in place,
// then leavers paired with entrants.
func (lf *limitFeed) diff(old, next []map[string]any) {
	pk := lf.tbl.store.Config().PrimaryKey
	pos := func(list []map[string]any, key any) int {
		for i, d := range list {
			if datumEqual(d[pk], key) {
				return i
			}
		}
		return -1
	}
	var left, entered []int
	for i, d := range old {
		if j := pos(next, d[pk]); j < 0 {
			left = append(left, i)
		} else if !datumEqual(d, next[j]) || i != j {
			if !datumEqual(d, next[j]) {
				lf.emit(d, next[j], i, j)
			}
		}
	}
	for j, d := range next {
		if pos(old, d[pk]) < 0 {
			entered = append(entered, j)
		}
	}
	for len(left) > 0 || len(entered) > 0 {
		var o, n map[string]any
		oi, ni := -1, -1
		if len(left) > 0 {
			oi, left = left[0], left[1:]
			o = old[oi]
		}
		if len(entered) > 0 {
			ni, entered = entered[0], entered[1:]
			n = next[ni]
		}
		lf.emit(o, n, oi, ni)
	}
}

func (lf *limitFeed) emit(o, n map[string]any, oi, ni int) {
	m := map[string]any{"old_val": nilIfEmpty(o), "new_val": nilIfEmpty(n)}
	if lf.includeOffsets {
		if oi >= 0 {
			m["old_offset"] = float64(oi)
		} else {
			m["old_offset"] = nil
		}
		if ni >= 0 {
			m["new_offset"] = float64(ni)
		} else {
			m["new_offset"] = nil
		}
	}
	kind := "change"
	switch {
	case o == nil:
		kind = "add"
	case n == nil:
		kind = "remove"
	}
	lf.out = append(lf.out, lf.item(m, kind))
}

func (lf *limitFeed) subErr(err error) error {
	if errors.Is(err, changefeed.ErrClosed) {
		return newErr(ErrOpIndeterminate, "Changefeed closed.")
	}
	return FeedAborted()
}

func (lf *limitFeed) Close() error {
	if !lf.closed {
		lf.closed = true
		lf.sub.Close()
	}
	return nil
}
