package wire

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
)

// Batch defaults, as RethinkDB's batchspec: a batch ends at max_batch_bytes
// (the first batch at a quarter of it), at max_batch_rows, or after
// max_batch_seconds once min_batch_rows are in.
const (
	defaultMaxBatchBytes     = 1 << 20
	defaultMaxBatchRows      = 1 << 30
	defaultMinBatchRows      = 8
	defaultMaxBatchSeconds   = 0.5
	defaultFirstBatchScaling = 4
)

// cursor is a stream being sent to a driver batch by batch. A changefeed's
// cursor (feed) answers at once with what is ready, and each CONTINUE waits
// for at least one change; close interrupts a waiting CONTINUE.
type cursor struct {
	mu      sync.Mutex
	stream  reql.Stream
	feed    bool
	notes   []int
	ctx     context.Context
	cancel  context.CancelFunc
	stopped atomic.Bool
	first   bool
	closed  bool
	maxB    int
	maxRows int
	minRows int
	maxDur  time.Duration
	scale   int
	obs     *queryObs // the query this cursor answers; ended by close
}

// newCursor returns the cursor of a stream result; ctx carries the query's
// span (see observer.begin).
func newCursor(ctx context.Context, res reql.Result, q *reql.Query, obs *queryObs) *cursor {
	obs.o.cursorOpened()
	c := &cursor{stream: res.Stream, feed: res.Feed, notes: res.Notes, first: true, obs: obs,
		maxB: defaultMaxBatchBytes, maxRows: defaultMaxBatchRows, minRows: defaultMinBatchRows,
		maxDur: time.Duration(defaultMaxBatchSeconds * float64(time.Second)), scale: defaultFirstBatchScaling}
	num := func(name string) (float64, bool) {
		t, ok := q.GlobalOpts[name]
		if !ok || t.Type != reql.TermDatum {
			return 0, false
		}
		f, ok := t.Datum.(float64)
		return f, ok && f > 0
	}
	if v, ok := num("max_batch_bytes"); ok {
		c.maxB = int(v)
	}
	if v, ok := num("max_batch_rows"); ok {
		c.maxRows = int(v)
	}
	if v, ok := num("min_batch_rows"); ok {
		c.minRows = int(v)
	}
	if v, ok := num("max_batch_seconds"); ok {
		c.maxDur = time.Duration(v * float64(time.Second))
	}
	if v, ok := num("first_batch_scaledown_factor"); ok {
		c.scale = int(v)
	}
	c.ctx, c.cancel = context.WithCancel(ctx)
	return c
}

// batch is the encoded rows of a response, joined by commas as they go in
// the response's "r" array.
type batch struct {
	rows []byte
	n    int // rows
	size int // bytes of the rows, separators not counted
}

// rowBufs recycles the row buffers of batches (see releaseRows).
var rowBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledRows bounds the row buffers kept for reuse.
const maxPooledRows = 4 << 20

// releaseRows returns a batch's rows, once sent, for reuse.
func releaseRows(rows []byte) {
	if cap(rows) > 0 && cap(rows) <= maxPooledRows {
		rows = rows[:0]
		rowBufs.Put(&rows)
	}
}

func (b *batch) add(v any) error {
	if b.rows == nil {
		b.rows = (*rowBufs.Get().(*[]byte))[:0]
	}
	if b.n > 0 {
		b.rows = append(b.rows, ',')
	}
	n0 := len(b.rows)
	var err error
	if b.rows, err = reql.AppendJSON(b.rows, v); err != nil {
		return err
	}
	b.n++
	b.size += len(b.rows) - n0
	return nil
}

// nextBatch reads the next batch: its rows joined by commas (nil when the
// cursor is closed); done is true when the stream is exhausted.
func (c *cursor) nextBatch(ctx context.Context) (rows []byte, done bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, true, nil
	}
	var b batch
	if c.feed {
		b, done, err = c.nextFeedBatch()
	} else {
		b, done, err = c.fill(c.obs.within(ctx))
	}
	c.obs.reply(err, b.n, b.size)
	if err != nil {
		return nil, done, err
	}
	if b.rows == nil {
		b.rows = []byte{}
	}
	return b.rows, done, nil
}

// fill reads rows into a batch until one of the batch limits is reached.
func (c *cursor) fill(ctx context.Context) (b batch, done bool, err error) {
	maxBytes, maxRows := c.maxB, c.maxRows
	if c.first {
		maxBytes = max(maxBytes/c.scale, 1)
		maxRows = max(maxRows/c.scale, 1)
		c.first = false
	}
	deadline := time.Now().Add(c.maxDur)
	for b.n < maxRows && b.size < maxBytes {
		if b.n >= c.minRows && time.Now().After(deadline) {
			break
		}
		v, ok, err := c.stream.Next(ctx)
		if err != nil {
			return batch{}, true, err
		}
		if !ok {
			return b, true, nil
		}
		if err := b.add(v); err != nil {
			return batch{}, true, fmt.Errorf("encode row: %w", err)
		}
	}
	return b, false, nil
}

// nextFeedBatch sends what a feed has ready: nothing need be ready for the
// first batch (so that run() returns at once), later batches wait for at
// least one element.
func (c *cursor) nextFeedBatch() (batch, bool, error) {
	var b batch
	poll := reql.Poll(c.ctx)
	for b.n < c.maxRows && b.size < c.maxB {
		ctx := poll
		if b.n == 0 && !c.first {
			ctx = c.ctx
		}
		v, ok, err := c.stream.Next(ctx)
		if errors.Is(err, reql.ErrWouldBlock) {
			break
		}
		if err != nil {
			if c.stopped.Load() {
				return batch{}, true, nil
			}
			return batch{}, true, err
		}
		if !ok {
			return b, true, nil
		}
		if err := b.add(v); err != nil {
			return batch{}, true, fmt.Errorf("encode change: %w", err)
		}
	}
	c.first = false
	return b, false, nil
}

// close ends the cursor; a CONTINUE waiting on a feed is interrupted first.
func (c *cursor) close() {
	c.stopped.Store(true)
	c.cancel()
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.stream.Close()
		c.obs.end()
		c.obs.o.cursorClosed()
	}
}
