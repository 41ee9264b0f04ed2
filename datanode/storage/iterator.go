package storage

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
)

// IterOptions selects the keys an Iterator visits.
type IterOptions struct {
	// Lower is the inclusive lower bound. Nil (or empty) means unbounded.
	Lower []byte
	// Upper is the exclusive upper bound. Nil (or empty) means unbounded.
	Upper []byte
	// Prefix, if non-empty, restricts the iterator to keys that start with
	// it. It combines with Lower and Upper: a key is visited only if it has
	// the prefix and lies in [Lower, Upper).
	Prefix []byte
	// Reverse makes the iterator visit keys in descending byte order.
	Reverse bool
}

// Iterator walks a consistent point-in-time view of the key space in byte
// order (descending if IterOptions.Reverse).
//
// The usual loop is:
//
//	it := r.NewIterator(storage.IterOptions{Prefix: p})
//	defer it.Close()
//	for it.Next() {
//		use(it.Key(), it.Value())
//	}
//	if err := it.Err(); err != nil { ... }
//
// An Iterator is not safe for concurrent use.
type Iterator interface {
	// Next advances the iterator; the first call positions it at the first
	// key. It returns false when there are no more keys or on error.
	Next() bool
	// Key returns the current key, or nil if the iterator is not positioned
	// at a key. The caller must not modify it; it stays valid forever.
	Key() []byte
	// Value returns the current value, or nil if the iterator is not
	// positioned at a key. The caller must not modify it; it stays valid
	// forever.
	Value() []byte
	// Err returns the error, if any, that ended the iteration. An iterator
	// created on a closed engine or released snapshot reports ErrClosed.
	Err() error
	// Close releases the iterator. It always returns nil and may be called
	// more than once. Calling Next after Close returns false.
	Close() error
}

const (
	iterFirstChunk = 16
	iterMaxChunk   = 512
)

// iterator pulls items out of an immutable btree (a view) in chunks and
// reads the chunk's values together, coalescing reads of adjacent slots.
// Because the tree never changes, a chunk can resume from the last key
// returned.
type iterator struct {
	v            *view
	lower, upper []byte
	reverse      bool

	buf       []item
	vals      [][]byte
	pos       int
	chunk     int
	cur       item
	curVal    []byte
	resume    []byte // key of the last item returned; nil before the first
	exhausted bool
	err       error
}

var _ Iterator = (*iterator)(nil)

// newIterator returns an iterator over v, which it releases on Close. A nil
// v yields an iterator that reports ErrClosed.
func newIterator(v *view, o IterOptions) *iterator {
	it := &iterator{v: v, reverse: o.Reverse, chunk: iterFirstChunk}
	if v == nil {
		it.err = ErrClosed
		it.exhausted = true
		return it
	}
	if len(o.Lower) > 0 {
		it.lower = bytes.Clone(o.Lower)
	}
	if len(o.Upper) > 0 {
		it.upper = bytes.Clone(o.Upper)
	}
	if len(o.Prefix) > 0 {
		if bytes.Compare(o.Prefix, it.lower) > 0 {
			it.lower = bytes.Clone(o.Prefix)
		}
		if end := prefixEnd(o.Prefix); end != nil && (it.upper == nil || bytes.Compare(end, it.upper) < 0) {
			it.upper = end
		}
	}
	if it.lower != nil && it.upper != nil && bytes.Compare(it.lower, it.upper) >= 0 {
		it.exhausted = true
	}
	return it
}

// prefixEnd returns the smallest key greater than every key with the given
// prefix, or nil if there is none (the prefix is all 0xff bytes).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

func (it *iterator) Next() bool {
	if it.err != nil {
		return false
	}
	if it.pos >= len(it.buf) {
		if it.exhausted {
			it.cur, it.curVal = item{}, nil
			return false
		}
		it.fill()
		if len(it.buf) == 0 || it.err != nil {
			it.cur, it.curVal = item{}, nil
			return false
		}
	}
	it.cur, it.curVal = it.buf[it.pos], it.vals[it.pos]
	it.pos++
	it.resume = it.cur.key
	return true
}

// fill loads the next chunk of items into buf.
func (it *iterator) fill() {
	clear(it.buf) // drop references to values already consumed
	clear(it.vals)
	it.buf, it.pos = it.buf[:0], 0
	n := it.chunk
	if it.chunk < iterMaxChunk {
		it.chunk *= 2
	}
	visit := func(x item) bool {
		if it.resume != nil && bytes.Equal(x.key, it.resume) {
			return true
		}
		if it.reverse {
			if it.upper != nil && bytes.Compare(x.key, it.upper) >= 0 {
				return true // only the pivot itself can be >= upper
			}
			if it.lower != nil && bytes.Compare(x.key, it.lower) < 0 {
				it.exhausted = true
				return false
			}
		} else if it.upper != nil && bytes.Compare(x.key, it.upper) >= 0 {
			it.exhausted = true
			return false
		}
		it.buf = append(it.buf, x)
		return len(it.buf) < n
	}
	tree := it.v.tree
	switch {
	case !it.reverse && it.resume != nil:
		tree.AscendGreaterOrEqual(item{key: it.resume}, visit)
	case !it.reverse && it.lower != nil:
		tree.AscendGreaterOrEqual(item{key: it.lower}, visit)
	case !it.reverse:
		tree.Ascend(visit)
	case it.resume != nil:
		tree.DescendLessOrEqual(item{key: it.resume}, visit)
	case it.upper != nil:
		tree.DescendLessOrEqual(item{key: it.upper}, visit)
	default:
		tree.Descend(visit)
	}
	if len(it.buf) < n {
		it.exhausted = true
	}
	it.vals = slices.Grow(it.vals[:0], len(it.buf))[:len(it.buf)]
	if err := it.v.e.loadValues(it.buf, it.vals); err != nil {
		it.err = err
		it.exhausted = true
	}
}

func (it *iterator) Key() []byte   { return it.cur.key }
func (it *iterator) Value() []byte { return it.curVal }
func (it *iterator) Err() error    { return it.err }

func (it *iterator) Close() error {
	it.exhausted = true
	it.buf, it.vals, it.pos = nil, nil, 0
	it.cur, it.curVal = item{}, nil
	if it.v != nil {
		it.v.release()
	}
	return nil
}

// iterReadSpan bounds one coalesced read.
const iterReadSpan = 1 << 20

// loadValues fills vals with the values of items (which a view pins),
// from the cache or with one read per run of nearby slots of a class.
// Iterators do not insert into the cache, so scans cannot flush it.
func (e *Engine) loadValues(items []item, vals [][]byte) error {
	var miss []int
	for i, it := range items {
		switch {
		case it.loc.class == classNone:
			vals[i] = []byte{}
		case it.loc.class == classLarge:
			v, err := e.value(it, false)
			if err != nil {
				return err
			}
			vals[i] = v
		default:
			if v, ok := e.cache.get(it.loc.id); ok {
				vals[i] = v
			} else {
				miss = append(miss, i)
			}
		}
	}
	slices.SortFunc(miss, func(a, b int) int {
		if c := cmp.Compare(items[a].loc.class, items[b].loc.class); c != 0 {
			return c
		}
		return cmp.Compare(items[a].loc.slot, items[b].loc.slot)
	})
	var buf []byte
	for i := 0; i < len(miss); {
		first := items[miss[i]].loc
		s := e.st.existing(first.class)
		if s == nil {
			_, err := e.st.readSlot(items[miss[i]].key, first, nil)
			return err
		}
		j := i + 1
		for j < len(miss) {
			l := items[miss[j]].loc
			if l.class != first.class || l.slot > items[miss[j-1]].loc.slot+4 ||
				int64(l.slot-first.slot+1)*s.size > iterReadSpan {
				break
			}
			j++
		}
		last := items[miss[j-1]].loc
		n := int(int64(last.slot-first.slot)*s.size) + slotHeaderSize + int(last.size)
		// Uncompressed values alias the buffer, so it is new unless every
		// value of the run is decoded into its own slice.
		pooled := true
		for _, k := range miss[i:j] {
			pooled = pooled && items[k].loc.flags&flagCompressed != 0
		}
		var pb *[]byte
		if pooled {
			pb = getReadBuf(n)
			buf = *pb
		} else {
			buf = make([]byte, n)
		}
		off := s.off(first.slot)
		if err := readFullAt(s.f, buf, off); err != nil {
			// Retry slot by slot for an exact error.
			for _, k := range miss[i:j] {
				if _, err := e.st.readSlot(items[k].key, items[k].loc, nil); err != nil {
					return err
				}
			}
			return fmt.Errorf("storage: read slab %s at offset %d: %w", s.path, off, err)
		}
		err := e.checkRun(items, vals, miss[i:j], buf, s, first)
		if pb != nil {
			readBufs.Put(pb)
		}
		if err != nil {
			return err
		}
		i = j
	}
	return nil
}

// checkRun verifies and decodes the values of items[k] for k in run from
// buf, which holds the slots of s from first.slot on.
func (e *Engine) checkRun(items []item, vals [][]byte, run []int, buf []byte, s *slab, first loc) error {
	for _, k := range run {
		it := items[k]
		at := int(int64(it.loc.slot-first.slot) * s.size)
		p, err := checkSlot(buf[at:], it.key, it.loc)
		if err != nil {
			return fmt.Errorf("storage: slab %s: slot at offset %d: %v: %w", s.path, s.off(it.loc.slot), err, ErrCorrupt)
		}
		v, err := decodeValue(p, it.loc)
		if err != nil {
			return fmt.Errorf("storage: value of key %q (%s): %w", it.key, e.where(it.loc), err)
		}
		vals[k] = v
	}
	return nil
}
