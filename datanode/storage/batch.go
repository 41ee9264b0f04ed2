package storage

import "fmt"

// Batch is an ordered list of puts and deletes that Apply makes visible and
// durable atomically: after a crash either every op of the batch is present
// or none is. Ops apply in the order they were added, so a later op on the
// same key wins.
//
// A Batch copies the keys and values given to it; callers may reuse their
// slices as soon as Put or Delete returns. An invalid op (empty key, key or
// value over the size limits) is not added; instead the batch remembers the
// first such error and Apply returns it without writing anything.
//
// The zero Batch is ready to use. A Batch is not safe for concurrent use, and
// it must not be modified while Apply is running on it. It can be reused
// after Apply returns, via Reset.
type Batch struct {
	// rec is the log record being built: a record header and batch count
	// (filled in by seal) followed by the encoded ops.
	rec   []byte
	count int
	err   error
}

// retainLimit is the largest buffer Reset keeps for reuse.
const retainLimit = 4 << 20

// NewBatch returns an empty batch for use with e.Apply.
func (e *Engine) NewBatch() *Batch { return &Batch{} }

// Put adds an op that sets key to value. The value may be empty; the key may
// not.
func (b *Batch) Put(key, value []byte) {
	if b.check(key) && len(value) > MaxValueSize {
		b.fail(fmt.Errorf("storage: batch op %d: value of %d bytes exceeds MaxValueSize (%d): %w",
			b.count, len(value), MaxValueSize, ErrTooLarge))
	}
	b.add(opPut, key, value)
}

// Delete adds an op that removes key. Deleting a key that does not exist is
// not an error.
func (b *Batch) Delete(key []byte) {
	b.check(key)
	b.add(opDelete, key, nil)
}

// Len returns the number of ops in the batch.
func (b *Batch) Len() int { return b.count }

// Reset empties the batch, clearing any remembered error, so it can be
// reused.
func (b *Batch) Reset() {
	if cap(b.rec) > retainLimit {
		b.rec = nil
	} else {
		b.rec = b.rec[:0]
	}
	b.count = 0
	b.err = nil
}

func (b *Batch) check(key []byte) bool {
	switch {
	case len(key) == 0:
		b.fail(fmt.Errorf("storage: batch op %d: %w", b.count, ErrEmptyKey))
		return false
	case len(key) > MaxKeySize:
		b.fail(fmt.Errorf("storage: batch op %d: key of %d bytes exceeds MaxKeySize (%d): %w",
			b.count, len(key), MaxKeySize, ErrTooLarge))
		return false
	}
	return true
}

func (b *Batch) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *Batch) add(kind byte, key, value []byte) {
	if b.err != nil {
		return
	}
	if len(b.rec) == 0 {
		b.rec = append(b.rec, make([]byte, recordHeaderSize+batchHeaderSize)...)
	}
	payload := len(b.rec) - recordHeaderSize
	if payload+encodedOpSize(kind, len(key), len(value)) > MaxBatchSize {
		b.fail(fmt.Errorf("storage: batch op %d: batch would exceed MaxBatchSize (%d bytes): %w",
			b.count, MaxBatchSize, ErrTooLarge))
		return
	}
	b.rec = appendOp(b.rec, kind, key, value)
	b.count++
}

// seal completes the record header and returns the record bytes.
func (b *Batch) seal() []byte {
	sealRecord(b.rec, b.count)
	return b.rec
}
