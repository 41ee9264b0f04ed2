package storage

import (
	"bytes"

	"github.com/google/btree"
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

// iterator pulls items out of an immutable btree in chunks. Because the tree
// never changes, a chunk can resume from the last key returned.
type iterator struct {
	tree         *btree.BTreeG[item]
	lower, upper []byte
	reverse      bool

	buf       []item
	pos       int
	chunk     int
	cur       item
	resume    []byte // key of the last item returned; nil before the first
	exhausted bool
	err       error
}

var _ Iterator = (*iterator)(nil)

// newIterator returns an iterator over t, which must never be written to.
// A nil t yields an iterator that reports ErrClosed.
func newIterator(t *btree.BTreeG[item], o IterOptions) *iterator {
	it := &iterator{tree: t, reverse: o.Reverse, chunk: iterFirstChunk}
	if t == nil {
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
	if it.pos >= len(it.buf) {
		if it.exhausted {
			it.cur = item{}
			return false
		}
		it.fill()
		if len(it.buf) == 0 {
			it.cur = item{}
			return false
		}
	}
	it.cur = it.buf[it.pos]
	it.pos++
	it.resume = it.cur.key
	return true
}

// fill loads the next chunk of items into buf.
func (it *iterator) fill() {
	clear(it.buf) // drop references to values already consumed
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
	switch {
	case !it.reverse && it.resume != nil:
		it.tree.AscendGreaterOrEqual(item{key: it.resume}, visit)
	case !it.reverse && it.lower != nil:
		it.tree.AscendGreaterOrEqual(item{key: it.lower}, visit)
	case !it.reverse:
		it.tree.Ascend(visit)
	case it.resume != nil:
		it.tree.DescendLessOrEqual(item{key: it.resume}, visit)
	case it.upper != nil:
		it.tree.DescendLessOrEqual(item{key: it.upper}, visit)
	default:
		it.tree.Descend(visit)
	}
	if len(it.buf) < n {
		it.exhausted = true
	}
}

func (it *iterator) Key() []byte   { return it.cur.key }
func (it *iterator) Value() []byte { return it.cur.value }
func (it *iterator) Err() error    { return it.err }

func (it *iterator) Close() error {
	it.exhausted = true
	it.buf, it.pos = nil, 0
	it.cur = item{}
	it.tree = nil
	return nil
}
