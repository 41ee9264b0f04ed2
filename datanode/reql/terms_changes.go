package reql

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/photondb-io/photondb/datanode/changefeed"
)

// Changefeeds: CHANGES on a table, on get() (a point feed), and on the
// selections that can be followed (get_all, between, filter on a table).
// Documents come from the table's changefeed.Hub; this file turns them
// into RethinkDB's change objects, with its options.

// Response notes (ql2.proto Response.ResponseNote).
const (
	noteSequenceFeed   = 1
	noteAtomFeed       = 2
	noteUnionedFeed    = 4
	noteIncludesStates = 5
)

// defaultFeedQueue is RethinkDB's default changefeed_queue_size.
const defaultFeedQueue = 100000

func init() {
	register(TermChanges, spec{minArgs: 1, maxArgs: 1,
		// since and include_positions are PhotonDB extensions (resumable
		// feeds); the rest are RethinkDB's.
		optargs: []string{"squash", "changefeed_queue_size", "include_initial", "include_states", "include_offsets", "include_types",
			"since", "include_positions"},
		eval: evalChanges})
}

func evalChanges(c *evalCtx, t *Term) (any, error) {
	v, err := c.eval(t.Args[0])
	if err != nil {
		return nil, err
	}
	f := &feedStream{c: c}
	var tbl *Table
	switch x := v.(type) {
	case *Table:
		if st, ok := x.store.(*systemTable); ok {
			if err := f.options(c, t, false); err != nil {
				return nil, err
			}
			sf, err := st.feed(c.ctx, f)
			if err != nil {
				return nil, err
			}
			c.feedNotes = []int{noteSequenceFeed}
			if f.includeStates {
				c.feedNotes = append(c.feedNotes, noteIncludesStates)
			}
			return sf, nil
		}
		tbl = x
	case *SingleSelection:
		if x.feedOrder != nil { // min/max through an index
			if err := f.options(c, t, true); err != nil {
				return nil, err
			}
			return c.newLimitFeed(&Selection{table: x.table, feedOrder: x.feedOrder, feedLimit: 1}, f, t)
		}
		tbl, f.point, f.key = x.table, true, x.key
	case *feedable:
		if x.nondet {
			x.Stream.Close()
			return nil, newErr(ErrQueryLogic, "Cannot call `changes` after a non-deterministic function.")
		}
		tbl, f.match, f.steps = x.table, x.match, x.steps
		x.Stream.Close()
	case *Selection:
		if x.feedOrder != nil {
			if err := f.options(c, t, true); err != nil {
				return nil, err
			}
			x.stream.Close()
			return c.newLimitFeed(x, f, t)
		}
		if !x.feedOK {
			return nil, newErr(ErrQueryLogic, "Cannot call `changes` on this selection in PhotonDB yet (supported: tables, get, get_all, between and filter on a table).")
		}
		tbl, f.match = x.table, x.feedMatch
		x.stream.Close()
	default:
		return nil, typeErr("SEQUENCE", v, t.Args[0])
	}
	if err := f.options(c, t, false); err != nil {
		return nil, err
	}
	sub, initial, err := tbl.store.Subscribe(c.ctx, FeedOptions{Key: f.key, QueueSize: f.queueSize, Initial: f.includeInitial, Since: f.since, HasSince: f.hasSince})
	if err != nil {
		return nil, err
	}
	f.sub, f.initial = sub, initial
	note := noteSequenceFeed
	if f.point {
		note = noteAtomFeed
	}
	c.feedNotes = []int{note}
	if f.includeStates {
		c.feedNotes = append(c.feedNotes, noteIncludesStates)
	}
	return f, nil
}

// feedStream is a changefeed as a Stream: optional initial documents, then
// changes forever. Under a Poll context, Next returns ErrWouldBlock instead
// of waiting.
type feedStream struct {
	c       *evalCtx
	sub     *changefeed.Sub
	initial DocIterator
	point   bool
	key     any
	match   func(map[string]any) (bool, error)
	steps   []feedStep // map/pluck/filter applied after match (feedable)

	queueSize                                   int
	squash                                      bool
	squashDelay                                 time.Duration
	includeInitial, includeStates, includeTypes bool
	includePositions, hasSince                  bool
	since                                       uint64

	stage       int // 0 start, 1 initial documents, 2 ready state, 3 changes
	sentInitial bool
	out         []any
	batches     int
	closed      bool
}

// options reads the changefeed optargs; include_offsets is only valid on an
// order_by.limit feed (offsetsOK).
func (f *feedStream) options(c *evalCtx, t *Term, offsetsOK bool) error {
	f.queueSize = defaultFeedQueue
	if ot, ok := t.Optargs["changefeed_queue_size"]; ok {
		n, err := c.evalInt(ot)
		if err != nil {
			return err
		}
		if n < 1 {
			return newErr(ErrQueryLogic, "Changefeed queue size must be at least 1 (got %d).", n)
		}
		f.queueSize = int(n)
	}
	if ot, ok := t.Optargs["squash"]; ok {
		v, err := c.evalDatum(ot)
		if err != nil {
			return err
		}
		switch x := v.(type) {
		case bool:
			f.squash = x
		case float64:
			if x < 0 {
				return newErr(ErrQueryLogic, "Expected BOOL or a non-negative NUMBER for `squash` but found %s.", formatNumber(x))
			}
			f.squash, f.squashDelay = true, time.Duration(x*float64(time.Second))
		default:
			return typeErr("BOOL", v, ot)
		}
	}
	flags := map[string]*bool{"include_initial": &f.includeInitial, "include_states": &f.includeStates,
		"include_types": &f.includeTypes, "include_positions": &f.includePositions}
	for name, dst := range flags {
		if ot, ok := t.Optargs[name]; ok {
			b, err := c.evalBool(ot)
			if err != nil {
				return err
			}
			*dst = b
		}
	}
	if ot, ok := t.Optargs["since"]; ok {
		n, err := c.evalInt(ot)
		if err != nil {
			return err
		}
		if n < 0 {
			return newErr(ErrQueryLogic, "`since` must be a position from a change's `position` field (got %d).", n)
		}
		f.since, f.hasSince, f.includePositions = uint64(n), true, true
	}
	if ot, ok := t.Optargs["include_offsets"]; ok && !offsetsOK {
		if b, err := c.evalBool(ot); err != nil {
			return err
		} else if b {
			return newErr(ErrQueryLogic, "Cannot include offsets for range subs.")
		}
	}
	return nil
}

func (f *feedStream) infinite() bool { return true }

// wakeChan signals that the feed may have something to read.
func (f *feedStream) wakeChan() <-chan struct{} { return f.sub.WakeChan() }

func (f *feedStream) Next(ctx context.Context) (any, bool, error) {
	for {
		if f.closed {
			return nil, false, nil
		}
		if len(f.out) > 0 {
			v := f.out[0]
			f.out = f.out[1:]
			return v, true, nil
		}
		switch f.stage {
		case 0:
			if f.includeStates {
				f.out = append(f.out, map[string]any{"state": "initializing"})
			}
			f.stage = 1
		case 1:
			if f.initial == nil {
				f.stage = 2
				continue
			}
			if f.initial.Next() {
				if v, ok, err := f.initialItem(f.initial.Doc()); err != nil {
					return nil, false, err
				} else if ok {
					f.out = append(f.out, v)
				}
				continue
			}
			err := f.initial.Err()
			f.initial.Close()
			f.initial = nil
			if err != nil {
				return nil, false, err
			}
			if f.point && !f.sentInitial {
				f.out = append(f.out, f.typed(map[string]any{"new_val": nil}, "initial"))
			}
			f.stage = 2
		case 2:
			if f.includeStates {
				f.out = append(f.out, map[string]any{"state": "ready"})
			}
			f.stage = 3
		default:
			if err := f.fill(ctx); err != nil {
				return nil, false, err
			}
		}
	}
}

func (f *feedStream) initialItem(doc map[string]any) (any, bool, error) {
	if f.match != nil {
		in, err := f.match(doc)
		if err != nil || !in {
			return nil, false, nil
		}
	}
	var v any = doc
	if len(f.steps) > 0 {
		if v = f.applySteps(v); v == nil {
			return nil, false, nil
		}
	}
	f.sentInitial = true
	return f.typed(map[string]any{"new_val": v}, "initial"), true, nil
}

func (f *feedStream) typed(m map[string]any, kind string) map[string]any {
	if f.includeTypes {
		m["type"] = kind
	}
	return m
}

// fill waits for changes (unless polling) and appends them to f.out, with
// squashing.
func (f *feedStream) fill(ctx context.Context) error {
	var first changefeed.Item
	if polling(ctx) {
		it, ok, err := f.sub.TryNext()
		if err != nil {
			return f.subErr(err)
		}
		if !ok {
			return ErrWouldBlock
		}
		first = it
	} else {
		it, err := f.sub.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return newErr(ErrOpIndeterminate, "Query interrupted: %v.", ctx.Err())
			}
			return f.subErr(err)
		}
		first = it
	}
	items := []changefeed.Item{first}
	if f.squash {
		// The first batch goes out at once; later ones wait for squash
		// seconds so that more changes fold together.
		if f.batches > 0 && f.squashDelay > 0 && !polling(ctx) {
			select {
			case <-time.After(f.squashDelay):
			case <-ctx.Done():
			}
		}
		for {
			it, ok, err := f.sub.TryNext()
			if err != nil || !ok {
				break
			}
			items = append(items, it)
		}
	}
	f.batches++
	var pending []changefeed.Change
	index := map[string]int{}
	for _, it := range items {
		if it.Skipped > 0 {
			f.out = append(f.out, map[string]any{"error": fmt.Sprintf("Changefeed cache over array size limit, skipped %d elements.", it.Skipped)})
			continue
		}
		ch := it.Change
		if i, ok := index[ch.Key]; ok && f.squash {
			pending[i].New = ch.New
			continue
		}
		index[ch.Key] = len(pending)
		pending = append(pending, ch)
	}
	for _, ch := range pending {
		v, ok, err := f.changeItem(ch)
		if err != nil {
			return err
		}
		if ok {
			f.out = append(f.out, v)
		}
	}
	return nil
}

func (f *feedStream) changeItem(ch changefeed.Change) (any, bool, error) {
	var oldV, newV any
	if ch.Old != nil {
		oldV = ch.Old
	}
	if ch.New != nil {
		newV = ch.New
	}
	if f.match != nil {
		if ch.Old != nil {
			if in, err := f.match(ch.Old); err != nil || !in {
				oldV = nil
			}
		}
		if ch.New != nil {
			if in, err := f.match(ch.New); err != nil || !in {
				newV = nil
			}
		}
	}
	if len(f.steps) > 0 {
		oldV, newV = f.applySteps(oldV), f.applySteps(newV)
	}
	if oldV == nil && newV == nil {
		return nil, false, nil
	}
	if datumEqual(oldV, newV) {
		return nil, false, nil
	}
	kind := "change"
	switch {
	case oldV == nil:
		kind = "add"
	case newV == nil:
		kind = "remove"
	}
	m := f.typed(map[string]any{"old_val": oldV, "new_val": newV}, kind)
	if f.includePositions {
		m["position"] = float64(ch.Pos)
	}
	return m, true, nil
}

func (f *feedStream) subErr(err error) error {
	if errors.Is(err, changefeed.ErrClosed) {
		return newErr(ErrOpIndeterminate, "Changefeed closed.")
	}
	// A fresh error per feed: the hub's error value is shared.
	return FeedAborted()
}

func (f *feedStream) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	f.sub.Close()
	if f.initial != nil {
		f.initial.Close()
	}
	return nil
}

// unionFeed merges streams of which at least one is a changefeed: it reads
// whichever member has something ready, and waits on all of them.
type unionFeed struct {
	members []Stream
	next    int
}

type waker interface{ wakeChan() <-chan struct{} }

func (u *unionFeed) infinite() bool { return true }

func (u *unionFeed) Next(ctx context.Context) (any, bool, error) {
	poll := Poll(ctx)
	for {
		if len(u.members) == 0 {
			return nil, false, nil
		}
		for i := 0; i < len(u.members); i++ {
			idx := (u.next + i) % len(u.members)
			v, ok, err := u.members[idx].Next(poll)
			if errors.Is(err, ErrWouldBlock) {
				continue
			}
			if err != nil {
				return nil, false, err
			}
			if !ok { // a finite member ended
				u.members[idx].Close()
				u.members = append(u.members[:idx], u.members[idx+1:]...)
				i--
				continue
			}
			u.next = (idx + 1) % len(u.members)
			return v, true, nil
		}
		if polling(ctx) {
			return nil, false, ErrWouldBlock
		}
		if err := u.wait(ctx); err != nil {
			return nil, false, err
		}
	}
}

// wait blocks until a member may have something: on the members' wake
// channels, or in short steps when a member (a transformed feed) has none.
func (u *unionFeed) wait(ctx context.Context) error {
	cases := make([]<-chan struct{}, 0, len(u.members))
	for _, m := range u.members {
		w, ok := m.(waker)
		if !ok {
			cases = nil
			break
		}
		cases = append(cases, w.wakeChan())
	}
	if cases == nil {
		select {
		case <-time.After(10 * time.Millisecond):
			return nil
		case <-ctx.Done():
			return newErr(ErrOpIndeterminate, "Query interrupted: %v.", ctx.Err())
		}
	}
	woke := make(chan struct{}, 1)
	stop := make(chan struct{})
	defer close(stop)
	for _, ch := range cases {
		go func(ch <-chan struct{}) {
			select {
			case <-ch:
				select {
				case woke <- struct{}{}:
				default:
				}
			case <-stop:
			}
		}(ch)
	}
	select {
	case <-woke:
		return nil
	case <-ctx.Done():
		return newErr(ErrOpIndeterminate, "Query interrupted: %v.", ctx.Err())
	}
}

func (u *unionFeed) Close() error {
	for _, m := range u.members {
		m.Close()
	}
	u.members = nil
	return nil
}

// feedStep is one per-document transformation between a table and
// changes(): a filter (keep false drops the value) or a map/pluck.
type feedStep func(v any) (out any, keep bool, err error)

// feedable is a stream derived from a table by per-document steps (map,
// pluck, filter, ... in any order) that a changefeed can follow: the feed
// applies the same steps to old_val and new_val.
type feedable struct {
	Stream
	table  *Table
	match  func(map[string]any) (bool, error)
	steps  []feedStep
	nondet bool // a step is not deterministic: RethinkDB refuses a feed on it
}

// deriveTerm is derive for a step given by the term fn: a non-deterministic
// function (r.now, r.random, r.js, table access, ...) makes the result
// unfollowable, with RethinkDB's error at changes().
func deriveTerm(src, res any, fn *Term, step feedStep) any {
	out := derive(src, res, step)
	if f, ok := out.(*feedable); ok {
		if hookNonDeterministic(fn) {
			f.nondet = true
		}
	}
	return out
}

// derive marks res, computed from src by one per-document step, as
// followable when src is (a table, a followable selection or a feedable).
func derive(src, res any, step feedStep) any {
	s, isStream := res.(Stream)
	if !isStream {
		return res
	}
	var tbl *Table
	var match func(map[string]any) (bool, error)
	var steps []feedStep
	switch x := src.(type) {
	case *Table:
		tbl = x
	case *Selection:
		if !x.feedOK {
			return res
		}
		tbl, match = x.table, x.feedMatch
	case *feedable:
		tbl, match, steps = x.table, x.match, x.steps
	default:
		return res
	}
	nondet := false
	if f, ok := src.(*feedable); ok {
		nondet = f.nondet
	}
	return &feedable{Stream: s, table: tbl, match: match, steps: append(steps[:len(steps):len(steps)], step), nondet: nondet}
}

// applySteps runs a feed's steps on one side of a change; nil when the
// document does not belong (a filter dropped it, or a step failed on it).
func (f *feedStream) applySteps(v any) any {
	for _, step := range f.steps {
		if v == nil {
			return nil
		}
		out, keep, err := step(v)
		if err != nil || !keep {
			return nil
		}
		v = out
	}
	return v
}
