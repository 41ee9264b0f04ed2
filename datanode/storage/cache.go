package storage

import (
	"sync"
	"sync/atomic"
)

const (
	cacheShards = 16
	// cacheEntryOverhead is what an entry costs beyond its value: the entry
	// slot, its map slot and slice header, rounded up.
	cacheEntryOverhead = 96
)

// cache is a sharded CLOCK cache (an LRU approximation) of decoded values
// keyed by value id (unique per stored value, so an entry can never be
// stale) and bounded in bytes, overhead included. Point reads insert;
// iterators only look up, so a long scan does not flush the working set
// (scan resistance).
//
// A hit takes the shard's read lock and sets the entry's reference bit; it
// moves nothing, so concurrent hits do not serialize and touch no other
// entry. An insert that needs room sweeps the clock hand over the entries,
// clearing reference bits and evicting the first entry found without one.
// Entries live in a slice and the map holds indexes, so the garbage
// collector scans one pointer per entry and no map pointers.
type cache struct {
	capacity int64
	shards   [cacheShards]cacheShard
}

type cacheShard struct {
	mu    sync.RWMutex
	m     map[uint64]uint32 // id -> index in ents
	ents  []cacheEntry
	free  []uint32 // indexes of empty entries
	hand  int
	bytes int64
	limit int64

	hits, misses atomic.Uint64
	_            [64]byte // keep shards' counters on separate cache lines
}

type cacheEntry struct {
	id  uint64
	v   []byte // nil for an empty entry
	ref atomic.Bool
}

func newCache(capacity int64) *cache {
	c := &cache{capacity: capacity}
	for i := range c.shards {
		s := &c.shards[i]
		s.m = map[uint64]uint32{}
		s.limit = capacity / cacheShards
	}
	return c
}

func (c *cache) shard(id uint64) *cacheShard {
	return &c.shards[(id*0x9e3779b97f4a7c15)>>60]
}

// get returns the cached value of id.
func (c *cache) get(id uint64) ([]byte, bool) {
	s := c.shard(id)
	if c.capacity <= 0 {
		s.misses.Add(1)
		return nil, false
	}
	s.mu.RLock()
	var v []byte
	i, ok := s.m[id]
	if ok {
		e := &s.ents[i]
		v = e.v
		if !e.ref.Load() {
			e.ref.Store(true)
		}
	}
	s.mu.RUnlock()
	if ok {
		s.hits.Add(1)
		return v, true
	}
	s.misses.Add(1)
	return nil, false
}

func (c *cache) put(id uint64, v []byte) {
	charge := int64(len(v)) + cacheEntryOverhead
	if c.capacity <= 0 || charge > c.capacity/cacheShards {
		return
	}
	if v == nil {
		v = []byte{} // nil marks an empty entry
	}
	s := c.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[id]; ok || charge > s.limit {
		return
	}
	for s.bytes+charge > s.limit && len(s.m) > 0 {
		s.evictOne()
	}
	var i uint32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		s.ents = append(s.ents, cacheEntry{})
		i = uint32(len(s.ents) - 1)
	}
	e := &s.ents[i]
	e.id, e.v = id, v
	e.ref.Store(false) // a new entry must be hit once to survive a sweep
	s.m[id] = i
	s.bytes += charge
}

// evictOne advances the clock hand to the first occupied entry without a
// reference bit, clearing the bits it passes, and evicts it. The shard is
// not empty.
func (s *cacheShard) evictOne() {
	for {
		if s.hand >= len(s.ents) {
			s.hand = 0
		}
		e := &s.ents[s.hand]
		s.hand++
		if e.v == nil {
			continue
		}
		if e.ref.Load() {
			e.ref.Store(false)
			continue
		}
		delete(s.m, e.id)
		s.bytes -= int64(len(e.v)) + cacheEntryOverhead
		e.v, e.id = nil, 0
		s.free = append(s.free, uint32(s.hand-1))
		return
	}
}

// drop empties the cache and stops it from holding values, so that a closed
// engine does not keep its cache's memory; snapshots and iterators that
// outlive the engine still read, uncached. Statistics are kept.
func (c *cache) drop() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.m, s.ents, s.free = map[uint64]uint32{}, nil, nil
		s.hand, s.bytes, s.limit = 0, 0, 0
		s.mu.Unlock()
	}
}

func (c *cache) stats() (hits, misses uint64) {
	for i := range c.shards {
		hits += c.shards[i].hits.Load()
		misses += c.shards[i].misses.Load()
	}
	return
}

func (c *cache) usage() (bytes int64, entries int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		bytes += s.bytes
		entries += len(s.m)
		s.mu.RUnlock()
	}
	return
}
