// Package changefeed delivers a table's committed changes to subscribers.
//
//	shard.Table.Write ──commit──▶ Hub.Publish(changes)        (key locks held:
//	                                 │                          per-document order)
//	              ┌──────────────────┼───────────────────┐
//	        table subscribers   point subscribers     (by encoded key)
//	              │                  │
//	        bounded queue       bounded queue  ──▶ Sub.Next (blocks) / TryNext
//
// Invariants:
//   - Publish never blocks and never allocates more than one queue slot per
//     subscriber and change: a slow subscriber's queue is bounded by its
//     size; past it, changes are dropped and counted, and the subscriber
//     reads one overflow notice (Skipped) before the changes that follow.
//   - Every change carries the table's position, strictly increasing in
//     commit order.
//   - Close of a Hub (table dropped) ends every subscription with its error;
//     Close of a Sub releases it at once and wakes a blocked Next.
package changefeed

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Change is one committed document change. Old is nil for an insert, New
// is nil for a delete.
type Change struct {
	Pos      uint64
	Key      string // encoded primary key
	Old, New map[string]any
}

// ErrClosed is returned by Next on a subscription that was closed.
var ErrClosed = errors.New("changefeed: subscription closed")

// Hub fans a table's changes out to its subscribers, and retains the most
// recent ones so that a feed can resume from a position (Since).
type Hub struct {
	mu     sync.RWMutex
	pos    uint64
	all    map[*Sub]struct{}
	byKey  map[string]map[*Sub]struct{}
	closed error

	retain   int           // how many recent changes to keep (0: none)
	maxAge   time.Duration // and for how long (0: no limit)
	recent   []retained    // ring buffer, oldest first from head
	head     int
	first    uint64 // position of the oldest change still retained (0: none)
	startPos uint64 // positions before this were never published by this hub
}

type retained struct {
	c  Change
	at time.Time
}

// ErrNotRetained is returned by Since for a position older than what the
// hub still retains.
var ErrNotRetained = errors.New("changefeed: position no longer retained")

// NewHub returns a hub whose positions continue after pos, retaining the
// last retain changes for at most maxAge (0: no age limit).
func NewHub(pos uint64, retain int, maxAge time.Duration) *Hub {
	return &Hub{pos: pos, startPos: pos, retain: retain, maxAge: maxAge,
		all: map[*Sub]struct{}{}, byKey: map[string]map[*Sub]struct{}{}}
}

// Subscribe registers a subscriber for every change (key == "") or for the
// changes of one encoded primary key, with a queue of at most queueSize
// changes.
func (h *Hub) Subscribe(key string, queueSize int) (*Sub, error) {
	if queueSize < 1 {
		queueSize = 1
	}
	s := &Sub{hub: h, key: key, max: queueSize, wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed != nil {
		return nil, h.closed
	}
	if key == "" {
		h.all[s] = struct{}{}
	} else {
		if h.byKey[key] == nil {
			h.byKey[key] = map[*Sub]struct{}{}
		}
		h.byKey[key][s] = struct{}{}
	}
	return s, nil
}

// Position is the position of the last published change.
func (h *Hub) Position() uint64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.pos
}

// Publish assigns positions to changes, in order, and queues them for the
// subscribers. The caller holds the documents' locks, so changes of one
// document are published in commit order.
func (h *Hub) Publish(changes []Change) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed != nil {
		return
	}
	now := time.Now()
	for i := range changes {
		h.pos++
		changes[i].Pos = h.pos
		c := changes[i]
		h.keep(c, now)
		for s := range h.all {
			s.push(c)
		}
		for s := range h.byKey[c.Key] {
			s.push(c)
		}
	}
}

// keep adds c to the retained ring, dropping the oldest past the bound.
func (h *Hub) keep(c Change, now time.Time) {
	if h.retain <= 0 {
		return
	}
	if len(h.recent) < h.retain {
		h.recent = append(h.recent, retained{c, now})
	} else {
		h.recent[h.head] = retained{c, now}
		h.head = (h.head + 1) % h.retain
	}
	h.first = h.recent[h.head%len(h.recent)].c.Pos
}

// Subscribe with a position: SubscribeSince registers a subscriber (as
// Subscribe) whose queue starts with the retained changes after pos, or
// fails with ErrNotRetained when changes after pos were already dropped.
func (h *Hub) SubscribeSince(key string, queueSize int, pos uint64) (*Sub, error) {
	s, err := h.Subscribe(key, queueSize)
	if err != nil {
		return nil, err
	}
	backlog, err := h.backlog(key, pos)
	if err != nil {
		s.Close()
		return nil, err
	}
	// The backlog goes before what was published since Subscribe (those
	// changes may also be in the backlog: keep each position once).
	s.mu.Lock()
	live := s.queue
	s.queue = nil
	last := pos
	for _, c := range backlog {
		if len(s.queue) >= s.max {
			s.skipped++
		} else {
			s.queue = append(s.queue, c)
		}
		last = c.Pos
	}
	for _, c := range live {
		if c.Pos > last {
			s.queue = append(s.queue, c)
		}
	}
	s.mu.Unlock()
	s.notify()
	return s, nil
}

// backlog returns the retained changes after pos (of one key, or all).
func (h *Hub) backlog(key string, pos uint64) ([]Change, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if pos >= h.pos {
		return nil, nil // nothing missed
	}
	if pos < h.startPos || h.first == 0 || pos+1 < h.first {
		return nil, ErrNotRetained
	}
	cutoff := time.Time{}
	if h.maxAge > 0 {
		cutoff = time.Now().Add(-h.maxAge)
	}
	var out []Change
	for i := 0; i < len(h.recent); i++ {
		r := h.recent[(h.head+i)%len(h.recent)]
		if r.c.Pos <= pos {
			continue
		}
		if r.at.Before(cutoff) {
			return nil, ErrNotRetained
		}
		if key == "" || r.c.Key == key {
			out = append(out, r.c)
		}
	}
	return out, nil
}

// Close ends every subscription with err (the table was dropped).
func (h *Hub) Close(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed != nil {
		return
	}
	h.closed = err
	for s := range h.all {
		s.fail(err)
	}
	for _, subs := range h.byKey {
		for s := range subs {
			s.fail(err)
		}
	}
	h.all, h.byKey = map[*Sub]struct{}{}, map[string]map[*Sub]struct{}{}
}

func (h *Hub) remove(s *Sub) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.key == "" {
		delete(h.all, s)
		return
	}
	delete(h.byKey[s.key], s)
	if len(h.byKey[s.key]) == 0 {
		delete(h.byKey, s.key)
	}
}

// Sub is one subscription: a bounded queue of changes.
type Sub struct {
	hub  *Hub
	key  string
	max  int
	wake chan struct{}

	mu      sync.Mutex
	queue   []Change
	skipped int
	err     error
	closed  bool
}

func (s *Sub) push(c Change) {
	s.mu.Lock()
	if s.closed || s.err != nil {
		s.mu.Unlock()
		return
	}
	if len(s.queue) >= s.max {
		s.skipped++
	} else {
		s.queue = append(s.queue, c)
	}
	s.mu.Unlock()
	s.notify()
}

func (s *Sub) fail(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	s.notify()
}

func (s *Sub) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Item is what a subscriber reads: a change, or (Skipped > 0) the notice
// that the queue overflowed and that many changes were dropped.
type Item struct {
	Change  Change
	Skipped int
}

// TryNext returns the next item without blocking; ok is false when none is
// queued. After the hub closed and the queue drained it returns the hub's
// error.
func (s *Sub) TryNext() (it Item, ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Item{}, false, ErrClosed
	}
	if s.skipped > 0 {
		it.Skipped, s.skipped = s.skipped, 0
		return it, true, nil
	}
	if len(s.queue) > 0 {
		it.Change = s.queue[0]
		s.queue[0] = Change{}
		s.queue = s.queue[1:]
		if len(s.queue) == 0 {
			s.queue = nil // let the backing array go
		}
		return it, true, nil
	}
	if s.err != nil {
		return Item{}, false, s.err
	}
	return Item{}, false, nil
}

// Next blocks until an item is available, the subscription ends, or ctx is
// done.
func (s *Sub) Next(ctx context.Context) (Item, error) {
	for {
		it, ok, err := s.TryNext()
		if err != nil || ok {
			return it, err
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return Item{}, ctx.Err()
		}
	}
}

// Wait blocks until an item may be available (or ctx is done); it lets a
// caller that batches wait without consuming.
func (s *Sub) Wait(ctx context.Context) error {
	s.mu.Lock()
	ready := s.closed || s.err != nil || s.skipped > 0 || len(s.queue) > 0
	s.mu.Unlock()
	if ready {
		return nil
	}
	select {
	case <-s.wake:
		s.notify() // leave the signal for the next reader
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WakeChan is signalled (without consuming anything) when the
// subscription may have an item: for callers that wait on several feeds.
// A receive consumes the signal; read with TryNext afterwards.
func (s *Sub) WakeChan() <-chan struct{} { return s.wake }

// Close releases the subscription; a blocked Next returns ErrClosed.
func (s *Sub) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.queue = nil
	s.mu.Unlock()
	s.hub.remove(s)
	s.notify()
}
