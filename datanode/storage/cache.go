package storage

import (
	"sync"
	"sync/atomic"
)

const (
	cacheShards = 16
	// cacheEntryOverhead is what an entry costs beyond its value: the entry
	// struct, its map slot and slice header, rounded up.
	cacheEntryOverhead = 96
)

// cache is a sharded LRU of decoded values keyed by value id (unique per
// stored value, so an entry can never be stale) and bounded in bytes,
// overhead included. Point reads insert; iterators only look up, so a long
// scan does not flush the working set (scan resistance).
type cache struct {
	capacity int64
	shards   [cacheShards]cacheShard
	hits     atomic.Uint64
	misses   atomic.Uint64
}

type cacheShard struct {
	mu    sync.Mutex
	m     map[uint64]*cacheEntry
	head  cacheEntry // sentinel: head.next is most recent
	bytes int64
	limit int64
}

type cacheEntry struct {
	id         uint64
	v          []byte
	prev, next *cacheEntry
}

func newCache(capacity int64) *cache {
	c := &cache{capacity: capacity}
	for i := range c.shards {
		s := &c.shards[i]
		s.m = map[uint64]*cacheEntry{}
		s.head.next, s.head.prev = &s.head, &s.head
		s.limit = capacity / cacheShards
	}
	return c
}

func (c *cache) shard(id uint64) *cacheShard {
	return &c.shards[(id*0x9e3779b97f4a7c15)>>60]
}

// get returns the cached value of id. countMiss says whether a miss counts
// in the statistics.
func (c *cache) get(id uint64) ([]byte, bool) {
	if c.capacity <= 0 {
		c.misses.Add(1)
		return nil, false
	}
	s := c.shard(id)
	s.mu.Lock()
	e, ok := s.m[id]
	if ok {
		// move to front
		e.prev.next, e.next.prev = e.next, e.prev
		e.next, e.prev = s.head.next, &s.head
		s.head.next.prev = e
		s.head.next = e
	}
	s.mu.Unlock()
	if ok {
		c.hits.Add(1)
		return e.v, true
	}
	c.misses.Add(1)
	return nil, false
}

func (c *cache) put(id uint64, v []byte) {
	charge := int64(len(v)) + cacheEntryOverhead
	if c.capacity <= 0 || charge > c.capacity/cacheShards {
		return
	}
	s := c.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[id]; ok {
		return
	}
	e := &cacheEntry{id: id, v: v}
	s.m[id] = e
	e.next, e.prev = s.head.next, &s.head
	s.head.next.prev = e
	s.head.next = e
	s.bytes += charge
	for s.bytes > s.limit {
		last := s.head.prev
		last.prev.next, s.head.prev = &s.head, last.prev
		delete(s.m, last.id)
		s.bytes -= int64(len(last.v)) + cacheEntryOverhead
	}
}

func (c *cache) usage() (bytes int64, entries int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		bytes += s.bytes
		entries += len(s.m)
		s.mu.Unlock()
	}
	return
}
