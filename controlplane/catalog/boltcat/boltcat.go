// Package boltcat is the embedded catalog backend used by `photondb serve`:
// one bbolt file holding the keys, a persisted change sequence and a
// bounded change log.
//
// Layout. Bucket "meta" holds the format version and the sequence (the
// catalog version of the last committed change); bucket "kv" maps each key
// to its create index, modify index and value; bucket "log" maps each
// sequence number (8 bytes, big-endian) to the changes it committed, and
// keeps only the last Options.Retain of them.
//
// Every Put, Delete or Txn that changes something is one bbolt read-write
// transaction: it evaluates the checks, bumps the sequence, writes the
// keys with the new sequence as their ModifyIndex, appends the log record
// and trims the log. Versions and sequence numbers are therefore the same
// numbers here. A call that changes nothing (deleting a missing key with
// Any, a Txn of checks only) commits nothing and takes no sequence number.
//
// Within one Txn the ops apply in order; a key written by an earlier op of
// the same Txn matches only Any (or Absent once deleted), since its new
// version does not exist until the commit.
//
// Changes waits on an in-process notification: every commit closes the
// current channel and installs a fresh one, so waiting watchers wake
// without polling.
package boltcat

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/photondb-io/photondb/controlplane/catalog"
)

// DefaultRetain is how many changes the log keeps when Options.Retain is 0.
const DefaultRetain = 10000

// maxBatch bounds how many log records one Changes call returns.
const maxBatch = 1024

// lockTimeout bounds how long Open waits for another process's file lock.
const lockTimeout = 2 * time.Second

// formatVersion is stored in the meta bucket; Open refuses other versions.
const formatVersion = 1

var (
	bucketMeta = []byte("meta")
	bucketKV   = []byte("kv")
	bucketLog  = []byte("log")
	keySeq     = []byte("seq")
	keyFormat  = []byte("format")
)

// Options configure Open.
type Options struct {
	// Retain is how many changes (sequence numbers) the log keeps for
	// watchers; older ones are trimmed and asking for them is
	// ErrCompacted. Zero means DefaultRetain.
	Retain int
}

// Catalog is a catalog.Catalog stored in one bbolt file.
type Catalog struct {
	db     *bolt.DB
	retain uint64

	closed    atomic.Bool
	closing   chan struct{} // closed by Close; wakes waiting watchers
	closeOnce sync.Once

	mu     sync.Mutex
	notify chan struct{} // closed and replaced after every commit
}

var _ catalog.Catalog = (*Catalog)(nil)

// Open opens (creating if needed) the catalog file at path.
func Open(path string, opts Options) (*Catalog, error) {
	if opts.Retain < 0 {
		return nil, fmt.Errorf("bolt catalog open %s: %w: negative Retain %d", path, catalog.ErrInvalid, opts.Retain)
	}
	retain := uint64(opts.Retain)
	if retain == 0 {
		retain = DefaultRetain
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, fmt.Errorf("bolt catalog open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bucketKV, bucketLog} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		switch v := meta.Get(keyFormat); {
		case v == nil:
			if err := meta.Put(keyFormat, u64(formatVersion)); err != nil {
				return err
			}
		case len(v) != 8 || binary.BigEndian.Uint64(v) != formatVersion:
			return fmt.Errorf("unsupported catalog format %x", v)
		}
		seq, err := readSeq(meta)
		if err != nil {
			return err
		}
		return trim(tx.Bucket(bucketLog), seq, retain)
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("bolt catalog open %s: %w", path, err)
	}
	return &Catalog{
		db:      db,
		retain:  retain,
		closing: make(chan struct{}),
		notify:  make(chan struct{}),
	}, nil
}

// Close closes the file; later calls return ErrClosed and waiting
// Changes calls return ErrClosed.
func (c *Catalog) Close() error {
	err := fmt.Errorf("bolt catalog close: %w", catalog.ErrClosed)
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		close(c.closing)
		err = nil
		if cerr := c.db.Close(); cerr != nil {
			err = fmt.Errorf("bolt catalog close: %w", cerr)
		}
	})
	return err
}

// fail wraps err with the operation, turning a closed database into
// ErrClosed.
func (c *Catalog) fail(what string, err error) error {
	if c.closed.Load() || errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("bolt catalog %s: %w", what, catalog.ErrClosed)
	}
	return fmt.Errorf("bolt catalog %s: %w", what, err)
}

func (c *Catalog) begin(ctx context.Context, what string) error {
	if c.closed.Load() {
		return fmt.Errorf("bolt catalog %s: %w", what, catalog.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("bolt catalog %s: %w", what, err)
	}
	return nil
}

// Get returns the entry at key, or ErrNotFound.
func (c *Catalog) Get(ctx context.Context, key string) (catalog.Entry, error) {
	what := "get " + key
	if err := catalog.CheckKey(key); err != nil {
		return catalog.Entry{}, fmt.Errorf("bolt catalog get: %w", err)
	}
	if err := c.begin(ctx, what); err != nil {
		return catalog.Entry{}, err
	}
	var e catalog.Entry
	var found bool
	err := c.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketKV).Get([]byte(key))
		if raw == nil {
			return nil
		}
		var err error
		e, err = decodeEntry(key, raw)
		found = err == nil
		return err
	})
	if err != nil {
		return catalog.Entry{}, c.fail(what, err)
	}
	if !found {
		return catalog.Entry{}, fmt.Errorf("bolt catalog %s: %w", what, catalog.ErrNotFound)
	}
	return e, nil
}

// List returns the entries under prefix in key order and the sequence the
// listing reflects.
func (c *Catalog) List(ctx context.Context, prefix string) ([]catalog.Entry, uint64, error) {
	what := "list " + prefix
	if err := catalog.CheckPrefix(prefix); err != nil {
		return nil, 0, fmt.Errorf("bolt catalog list: %w", err)
	}
	if err := c.begin(ctx, what); err != nil {
		return nil, 0, err
	}
	var out []catalog.Entry
	var seq uint64
	err := c.db.View(func(tx *bolt.Tx) error {
		var err error
		if seq, err = readSeq(tx.Bucket(bucketMeta)); err != nil {
			return err
		}
		p := []byte(prefix)
		cur := tx.Bucket(bucketKV).Cursor()
		for k, v := cur.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = cur.Next() {
			e, err := decodeEntry(string(k), v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, 0, c.fail(what, err)
	}
	return out, seq, nil
}

// Put stores value at key if key's version matches expect.
func (c *Catalog) Put(ctx context.Context, key string, value []byte, expect int64) (uint64, error) {
	ops := []catalog.Op{{Kind: catalog.OpPut, Key: key, Value: value, Expect: expect}}
	if err := catalog.CheckOps(ops); err != nil {
		return 0, fmt.Errorf("bolt catalog put: %w", err)
	}
	return c.commit(ctx, "put "+key, ops, false)
}

// Delete removes key if its version matches expect; a missing key is
// ErrNotFound unless expect is Any.
func (c *Catalog) Delete(ctx context.Context, key string, expect int64) error {
	ops := []catalog.Op{{Kind: catalog.OpDelete, Key: key, Expect: expect}}
	if err := catalog.CheckOps(ops); err != nil {
		return fmt.Errorf("bolt catalog delete: %w", err)
	}
	_, err := c.commit(ctx, "delete "+key, ops, true)
	return err
}

// Txn applies ops atomically and returns the ModifyIndex of the keys it
// wrote (0 if it wrote none).
func (c *Catalog) Txn(ctx context.Context, ops []catalog.Op) (uint64, error) {
	if err := catalog.CheckOps(ops); err != nil {
		return 0, fmt.Errorf("bolt catalog txn: %w", err)
	}
	return c.commit(ctx, fmt.Sprintf("txn of %d ops", len(ops)), ops, false)
}

// errNoop rolls back a transaction that would change nothing.
var errNoop = errors.New("no change")

// commit runs ops in one read-write transaction. With single (a Delete
// call) a missing key is ErrNotFound instead of ErrConflict.
func (c *Catalog) commit(ctx context.Context, what string, ops []catalog.Op, single bool) (uint64, error) {
	if err := c.begin(ctx, what); err != nil {
		return 0, err
	}
	var seq uint64
	err := c.db.Update(func(tx *bolt.Tx) error {
		meta, kvb := tx.Bucket(bucketMeta), tx.Bucket(bucketKV)
		cur, err := readSeq(meta)
		if err != nil {
			return err
		}
		seq = cur + 1
		changes := make([]catalog.Change, 0, len(ops))
		touched := make(map[string]bool, len(ops))
		for _, op := range ops {
			k := []byte(op.Key)
			raw := kvb.Get(k)
			exists := raw != nil
			var old catalog.Entry
			if exists {
				if old, err = decodeEntry(op.Key, raw); err != nil {
					return err
				}
			}
			ok := catalog.Matches(op.Expect, exists, old.ModifyIndex)
			if touched[op.Key] && exists && op.Expect > 0 {
				ok = false // its new version does not exist before the commit
			}
			if op.Kind == catalog.OpDelete && !exists && op.Expect != catalog.Any {
				if single {
					return catalog.ErrNotFound
				}
				ok = false
			}
			if !ok {
				return catalog.ErrConflict
			}
			switch op.Kind {
			case catalog.OpPut:
				create := seq
				if exists {
					create = old.CreateIndex
				}
				if err := kvb.Put(k, encodeEntry(create, seq, op.Value)); err != nil {
					return err
				}
				changes = append(changes, catalog.Change{Seq: seq, Key: op.Key, Value: op.Value})
				touched[op.Key] = true
			case catalog.OpDelete:
				if exists {
					if err := kvb.Delete(k); err != nil {
						return err
					}
					changes = append(changes, catalog.Change{Seq: seq, Key: op.Key, Deleted: true})
				}
				touched[op.Key] = true
			}
		}
		if len(changes) == 0 {
			return errNoop
		}
		if err := meta.Put(keySeq, u64(seq)); err != nil {
			return err
		}
		logb := tx.Bucket(bucketLog)
		if err := logb.Put(u64(seq), encodeChanges(changes)); err != nil {
			return err
		}
		return trim(logb, seq, c.retain)
	})
	switch {
	case errors.Is(err, errNoop):
		return 0, nil
	case errors.Is(err, catalog.ErrConflict), errors.Is(err, catalog.ErrNotFound):
		return 0, fmt.Errorf("bolt catalog %s: %w", what, err)
	case err != nil:
		return 0, c.fail(what, err)
	}
	c.signal()
	return seq, nil
}

// signal wakes every watcher waiting for a commit.
func (c *Catalog) signal() {
	c.mu.Lock()
	close(c.notify)
	c.notify = make(chan struct{})
	c.mu.Unlock()
}

// waiter returns the channel the next commit closes.
func (c *Catalog) waiter() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.notify
}

// Changes returns the changes after `after` whose key starts with prefix,
// waiting for the next commit when there are none yet.
func (c *Catalog) Changes(ctx context.Context, prefix string, after uint64) ([]catalog.Change, uint64, error) {
	what := fmt.Sprintf("changes after %d", after)
	if err := catalog.CheckPrefix(prefix); err != nil {
		return nil, after, fmt.Errorf("bolt catalog changes: %w", err)
	}
	for {
		if err := c.begin(ctx, what); err != nil {
			return nil, after, err
		}
		// Take the channel before reading so a commit that lands after
		// the read still wakes us.
		wake := c.waiter()
		changes, next, err := c.readLog(prefix, after)
		if err != nil {
			if errors.Is(err, catalog.ErrCompacted) {
				return nil, after, fmt.Errorf("bolt catalog %s: %w", what, err)
			}
			return nil, after, c.fail(what, err)
		}
		if next > after {
			return changes, next, nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, after, fmt.Errorf("bolt catalog %s: %w", what, ctx.Err())
		case <-c.closing:
			return nil, after, fmt.Errorf("bolt catalog %s: %w", what, catalog.ErrClosed)
		}
	}
}

// readLog reads up to maxBatch log records after `after`; next is the last
// sequence read (after itself when there is none).
func (c *Catalog) readLog(prefix string, after uint64) ([]catalog.Change, uint64, error) {
	var out []catalog.Change
	next := after
	err := c.db.View(func(tx *bolt.Tx) error {
		seq, err := readSeq(tx.Bucket(bucketMeta))
		if err != nil {
			return err
		}
		if after > seq {
			return fmt.Errorf("%w: sequence %d is ahead of the catalog's %d", catalog.ErrCompacted, after, seq)
		}
		if after == seq {
			return nil
		}
		cur := tx.Bucket(bucketLog).Cursor()
		k, v := cur.Seek(u64(after + 1))
		if k == nil || binary.BigEndian.Uint64(k) != after+1 {
			return fmt.Errorf("%w: change %d is no longer retained", catalog.ErrCompacted, after+1)
		}
		for n := 0; k != nil && n < maxBatch; n++ {
			s := binary.BigEndian.Uint64(k)
			if s != next+1 {
				return fmt.Errorf("change log gap: %d follows %d", s, next)
			}
			changes, err := decodeChanges(v)
			if err != nil {
				return fmt.Errorf("change %d: %w", s, err)
			}
			for _, ch := range changes {
				if strings.HasPrefix(ch.Key, prefix) {
					ch.Seq = s
					out = append(out, ch)
				}
			}
			next = s
			k, v = cur.Next()
		}
		return nil
	})
	if err != nil {
		return nil, after, err
	}
	return out, next, nil
}

// trim deletes log records older than the last retain before seq.
func trim(logb *bolt.Bucket, seq, retain uint64) error {
	if seq <= retain {
		return nil
	}
	cutoff := seq - retain // delete every record <= cutoff
	cur := logb.Cursor()
	for k, _ := cur.First(); k != nil && binary.BigEndian.Uint64(k) <= cutoff; k, _ = cur.First() {
		if err := cur.Delete(); err != nil {
			return fmt.Errorf("trim change log: %w", err)
		}
	}
	return nil
}

func readSeq(meta *bolt.Bucket) (uint64, error) {
	v := meta.Get(keySeq)
	switch len(v) {
	case 0:
		return 0, nil
	case 8:
		return binary.BigEndian.Uint64(v), nil
	}
	return 0, fmt.Errorf("corrupt sequence %x", v)
}

func u64(n uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, n)
}
