package wire

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
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

// cursor is a stream being sent to a driver batch by batch.
type cursor struct {
	mu      sync.Mutex
	stream  reql.Stream
	first   bool
	closed  bool
	maxB    int
	maxRows int
	minRows int
	maxDur  time.Duration
	scale   int
}

func newCursor(s reql.Stream, q *reql.Query) *cursor {
	c := &cursor{stream: s, first: true,
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
	return c
}

// nextBatch reads the next batch; done is true when the stream is exhausted.
func (c *cursor) nextBatch(ctx context.Context) (batch []json.RawMessage, done bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, true, nil
	}
	maxBytes, maxRows := c.maxB, c.maxRows
	if c.first {
		maxBytes = max(maxBytes/c.scale, 1)
		maxRows = max(maxRows/c.scale, 1)
		c.first = false
	}
	deadline := time.Now().Add(c.maxDur)
	batch = []json.RawMessage{}
	size := 0
	for len(batch) < maxRows && size < maxBytes {
		if len(batch) >= c.minRows && time.Now().After(deadline) {
			break
		}
		v, ok, err := c.stream.Next(ctx)
		if err != nil {
			return nil, true, err
		}
		if !ok {
			return batch, true, nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, true, fmt.Errorf("encode row: %w", err)
		}
		batch = append(batch, b)
		size += len(b)
	}
	return batch, false, nil
}

func (c *cursor) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		c.stream.Close()
	}
}
