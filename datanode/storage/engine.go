package storage

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/btree"
)

var (
	// ErrNotFound is returned by Get when the key does not exist.
	ErrNotFound = errors.New("storage: key not found")
	// ErrClosed is returned by operations on a closed Engine, a released
	// Snapshot, or an Iterator created from either.
	ErrClosed = errors.New("storage: engine closed")
	// ErrCorrupt is wrapped by the error Open returns when the log holds a
	// damaged record that is not a torn tail (valid records follow it) or a
	// damaged file header. The wrapping error names the file and the byte
	// offset of the damage. The engine never returns data from a corrupt
	// log.
	ErrCorrupt = errors.New("storage: corrupt record")
	// ErrEmptyKey is wrapped by the error Apply returns for a batch that
	// contains an op with an empty key. Empty keys are not allowed; empty
	// values are.
	ErrEmptyKey = errors.New("storage: empty key")
	// ErrTooLarge is wrapped by the error Apply returns for a batch with a
	// key over MaxKeySize, a value over MaxValueSize, or a total encoded size
	// over MaxBatchSize.
	ErrTooLarge = errors.New("storage: key, value or batch too large")
)

// Durability says when Apply may return relative to the write reaching
// stable storage.
type Durability int

const (
	// Hard makes Apply return only after the batch has been fsynced.
	// Concurrent Hard Apply calls share fsyncs (group commit), so the cost of
	// an fsync is amortized over every batch that was written while the
	// previous one ran.
	Hard Durability = iota
	// Soft makes Apply return once the batch has been written to the
	// operating system. It survives a crash of the process but not of the
	// machine, until the background flush, which follows within
	// Options.SyncInterval, has fsynced it.
	Soft
)

// String returns "hard" or "soft".
func (d Durability) String() string {
	switch d {
	case Hard:
		return "hard"
	case Soft:
		return "soft"
	}
	return fmt.Sprintf("Durability(%d)", int(d))
}

// Options configures Open. The zero value is valid.
type Options struct {
	// SyncInterval is how often Soft writes are fsynced in the background.
	// Zero or negative means one second.
	SyncInterval time.Duration
	// Logger receives recovery, compaction and background error messages.
	// It may be nil, which discards them.
	Logger *slog.Logger
}

// Reader is the read side of the engine, implemented by *Engine and by
// Snapshot. Reads never block on disk I/O.
type Reader interface {
	// Get returns the value stored under key, or ErrNotFound if there is
	// none. The returned slice is never modified by the engine and stays
	// valid forever; the caller must not modify it.
	Get(key []byte) ([]byte, error)
	// Has reports whether key exists.
	Has(key []byte) (bool, error)
	// NewIterator returns an iterator over the keys selected by o, as of the
	// moment NewIterator is called. Writes made afterwards are not visible
	// through it. The iterator should be closed when no longer needed.
	NewIterator(o IterOptions) Iterator
}

// Writer is the write side of the engine, implemented by *Engine.
type Writer interface {
	// Apply writes every op of b to the log and then makes them visible to
	// readers, atomically: a reader or snapshot sees all of the batch or
	// none of it, and after a crash either all of it survives or none does.
	// With Hard durability Apply returns only after an fsync covering the
	// batch; with Soft it returns once the batch is in the operating system.
	// A batch becomes visible to readers before it is fsynced, so a reader
	// may observe a Hard batch that a machine crash then loses; such a batch
	// was never acknowledged to its writer.
	//
	// Apply returns b's build error (wrapping ErrEmptyKey or ErrTooLarge)
	// without writing anything, ErrClosed after Close, and an I/O error if the
	// write or fsync failed. After an fsync failure the engine refuses all
	// further writes, because the state of unsynced data is unknown. Applying
	// an empty batch is a no-op. Apply does not retain b.
	Apply(b *Batch, d Durability) error
}

// Snapshot is a consistent, read-only, point-in-time view of the engine.
// Writes made after it was taken are not visible through it, and it stays
// valid while writes continue and even after the Engine is closed, until
// Release. Taking a snapshot is O(1); the engine copies tree nodes on write
// while snapshots share them.
type Snapshot interface {
	Reader
	// Release frees the snapshot. Afterwards its reads return ErrClosed;
	// iterators already created from it keep working. Release is
	// idempotent.
	Release()
}

// Stats is a point-in-time summary of the engine, for monitoring and tests.
type Stats struct {
	// Keys is the number of live keys.
	Keys int
	// LiveBytes is the encoded size of the live keys and values, which is
	// roughly the size of the log right after a compaction.
	LiveBytes int64
	// LogBytes is the size of the log file, header included.
	LogBytes int64
	// Batches is the number of non-empty batches applied since Open.
	Batches uint64
	// Fsyncs is the number of fsyncs issued on the log for durability since
	// Open (excluding those done by compaction). With group commit it can be
	// far lower than Batches.
	Fsyncs uint64
	// Compactions is the number of completed log compactions since Open,
	// including one done by Open itself.
	Compactions uint64
	// RecoveredRecords is the number of log records replayed by Open.
	RecoveredRecords int
	// TruncatedBytes is the size of the torn tail Open cut off the log.
	TruncatedBytes int64
}

const (
	logName  = "data.log"
	lockName = "LOCK"
)

// Tunables; variables so tests can shrink them.
var (
	// autoCompactMinDead is the dead-byte threshold for compaction on Open and
	// after writes. Compaction also requires dead > 2 * live.
	autoCompactMinDead int64 = 64 << 20
	// autoCompactRetry is how long to wait after a failed automatic
	// compaction before trying again.
	autoCompactRetry = time.Minute
)

// item is one key/value pair in the index. key and value share one
// allocation that nothing ever modifies.
type item struct {
	key, value []byte
}

func itemLess(a, b item) bool { return bytes.Compare(a.key, b.key) < 0 }

func newTree() *btree.BTreeG[item] { return btree.NewG(32, itemLess) }

func itemSize(it item) int64 { return int64(encodedOpSize(opPut, len(it.key), len(it.value))) }

// Engine is a durable, ordered key-value store kept in one directory. It is
// safe for concurrent use. See the package documentation for the design.
type Engine struct {
	dir    string
	path   string // the log file
	opts   Options
	logger *slog.Logger
	lock   *os.File

	// wmu serializes appends to the log with each other, with the
	// compaction swap and with Close. Lock order: wmu, logMu, mu, sync.mu.
	wmu             sync.Mutex
	f               *os.File // the log; written under wmu, replaced under wmu+logMu
	off             int64    // end of the last complete record in f
	closed          bool
	lastCompactFail time.Time

	// logMu protects the identity of f for the fsync path, which does not
	// take wmu, so that compaction and Close never close a file that is
	// being fsynced.
	logMu sync.RWMutex

	// mu guards tree and liveBytes. Both are modified under wmu+mu; tree is
	// nil once the engine is closed.
	mu        sync.RWMutex
	tree      *btree.BTreeG[item]
	liveBytes int64

	// writtenSeq counts records appended to the log since Open. A record's
	// sequence number is the value after its increment.
	writtenSeq atomic.Uint64
	sync       syncState

	compactMu  sync.Mutex // serializes compactions
	compacting atomic.Bool
	isClosed   atomic.Bool

	stop chan struct{}
	wg   sync.WaitGroup // background goroutines

	logBytes    atomic.Int64
	batches     atomic.Uint64
	fsyncs      atomic.Uint64
	compactions atomic.Uint64
	recovered   int
	truncated   int64
}

// syncState implements group commit: at most one goroutine fsyncs at a
// time, and each fsync covers every record written before it started.
type syncState struct {
	mu      sync.Mutex
	cond    sync.Cond
	synced  uint64 // every record with seq <= synced is durable
	running bool   // an fsync is in progress
	err     error  // sticky: once set the engine accepts no more writes
}

var (
	_ Reader = (*Engine)(nil)
	_ Writer = (*Engine)(nil)
)

// Open opens the engine stored in dir, creating dir and an empty log if they
// do not exist, and replays the log to rebuild the index. It takes an
// exclusive lock on dir/LOCK, so a second Open of the same directory, from
// this or another process, fails until Close.
//
// A torn last record (short, or failing its checksum with nothing valid after
// it) is a write that was never acknowledged; Open truncates it away and
// logs a warning. Damage anywhere else makes Open fail with an error that
// wraps ErrCorrupt and names the file and offset. If the log holds much more
// dead data than live, Open compacts it before returning.
func Open(dir string, opts Options) (*Engine, error) {
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = time.Second
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "storage", "dir", dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("storage: create dir %s: %w", dir, err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	e := &Engine{
		dir:    dir,
		path:   filepath.Join(dir, logName),
		opts:   opts,
		logger: logger,
		lock:   lock,
		stop:   make(chan struct{}),
	}
	e.sync.cond.L = &e.sync.mu
	if err := e.openLog(); err != nil {
		_ = unlockDir(lock)
		return nil, err
	}
	if e.compactionDue() {
		if err := e.compact(); err != nil {
			// Not fatal: the old log is intact and still in use.
			logger.Warn("compaction on open failed", "err", err)
		}
	}
	e.wg.Add(1)
	go e.syncLoop()
	return e, nil
}

// openLog opens (or creates) the log, replays it into a fresh index and cuts
// off a torn tail.
func (e *Engine) openLog() error {
	start := time.Now()
	tmp := e.path + ".tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("storage: remove stale %s: %w", tmp, err)
	}
	f, err := os.OpenFile(e.path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createLog(e.dir, e.path); err != nil {
			return err
		}
		f, err = os.OpenFile(e.path, os.O_RDWR, 0)
	}
	if err != nil {
		return fmt.Errorf("storage: open log %s: %w", e.path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("storage: stat log %s: %w", e.path, err)
	}
	size := fi.Size()
	tree := newTree()
	var live int64
	end, records, err := replayLog(f, size, func(ops []op) {
		ownOps(ops)
		applyOps(tree, ops, &live)
	})
	if err != nil {
		f.Close()
		return fmt.Errorf("storage: open log %s: %w", e.path, err)
	}
	if end < size {
		e.logger.Warn("truncating torn tail of log (an unacknowledged write interrupted by a crash)",
			"file", e.path, "offset", end, "bytes", size-end)
		if err := f.Truncate(end); err != nil {
			f.Close()
			return fmt.Errorf("storage: truncate torn tail of log %s at offset %d: %w", e.path, end, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return fmt.Errorf("storage: fsync log %s: %w", e.path, err)
		}
		e.truncated = size - end
	}
	e.f, e.off = f, end
	e.logBytes.Store(end)
	e.tree, e.liveBytes = tree, live
	e.recovered = records
	e.logger.Info("opened log", "file", e.path, "records", records, "keys", tree.Len(),
		"live_bytes", live, "log_bytes", end, "took", time.Since(start))
	return nil
}

// createLog atomically creates an empty log holding just the file header.
func createLog(dir, path string) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("storage: create log %s: %w", tmp, err)
	}
	_, err = f.Write(encodeFileHeader())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storage: create log %s: %w", path, err)
	}
	return nil
}

// syncDir fsyncs a directory so that entries created or renamed in it are
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}

// ownOps replaces the key and value of every put with a private copy, so the
// index never aliases a caller's or a read buffer's memory. Key and value
// share one allocation; the capacities are clipped so that appending to a
// returned slice cannot write into its neighbour.
func ownOps(ops []op) {
	for i := range ops {
		o := &ops[i]
		if o.kind != opPut {
			continue
		}
		kl := len(o.key)
		buf := make([]byte, kl+len(o.value))
		copy(buf, o.key)
		copy(buf[kl:], o.value)
		o.key, o.value = buf[:kl:kl], buf[kl:]
	}
}

// applyOps applies ops, in order, to t and keeps *live up to date.
func applyOps(t *btree.BTreeG[item], ops []op, live *int64) {
	for _, o := range ops {
		switch o.kind {
		case opPut:
			it := item{key: o.key, value: o.value}
			if old, ok := t.ReplaceOrInsert(it); ok {
				*live -= itemSize(old)
			}
			*live += itemSize(it)
		case opDelete:
			if old, ok := t.Delete(item{key: o.key}); ok {
				*live -= itemSize(old)
			}
		}
	}
}

// Apply implements Writer.
func (e *Engine) Apply(b *Batch, d Durability) error {
	if d != Hard && d != Soft {
		return fmt.Errorf("storage: apply: invalid durability %v", d)
	}
	if b.err != nil {
		return b.err
	}
	if b.count == 0 {
		if e.isClosed.Load() {
			return ErrClosed
		}
		return nil
	}
	rec := b.seal()
	ops, err := decodeBatch(rec[recordHeaderSize:], make([]op, 0, b.count))
	if err != nil {
		return fmt.Errorf("storage: apply: encoded batch does not decode (bug): %w", err)
	}
	ownOps(ops) // copy outside the lock

	e.wmu.Lock()
	if e.closed {
		e.wmu.Unlock()
		return ErrClosed
	}
	if err := e.fatalErr(); err != nil {
		e.wmu.Unlock()
		return fmt.Errorf("storage: apply: engine stopped accepting writes after an I/O error: %w", err)
	}
	off := e.off
	if _, err := e.f.WriteAt(rec, off); err != nil {
		err = fmt.Errorf("storage: append to log %s at offset %d: %w", e.path, off, err)
		// Remove any partial record so that later records are not
		// appended after garbage, which replay would call corruption.
		if terr := e.f.Truncate(off); terr != nil {
			e.setFatal(errors.Join(err, fmt.Errorf("truncate log %s to offset %d: %w", e.path, off, terr)))
		}
		e.wmu.Unlock()
		return err
	}
	e.off += int64(len(rec))
	e.logBytes.Store(e.off)
	e.mu.Lock()
	applyOps(e.tree, ops, &e.liveBytes)
	e.mu.Unlock()
	seq := e.writtenSeq.Add(1)
	e.batches.Add(1)
	if e.compactionDue() && time.Since(e.lastCompactFail) > autoCompactRetry &&
		e.compacting.CompareAndSwap(false, true) {
		e.wg.Add(1)
		go e.backgroundCompact()
	}
	e.wmu.Unlock()

	if d == Soft {
		return nil
	}
	return e.syncTo(seq)
}

// compactionDue reports whether the log holds enough dead data to be worth
// compacting. The caller holds wmu (or has exclusive access during Open).
func (e *Engine) compactionDue() bool {
	dead := e.off - fileHeaderSize - e.liveBytes
	return dead > autoCompactMinDead && dead > 2*e.liveBytes
}

func (e *Engine) fatalErr() error {
	e.sync.mu.Lock()
	defer e.sync.mu.Unlock()
	return e.sync.err
}

func (e *Engine) setFatal(err error) {
	e.sync.mu.Lock()
	if e.sync.err == nil {
		e.sync.err = err
		e.logger.Error("engine stopped accepting writes", "err", err)
	}
	e.sync.cond.Broadcast()
	e.sync.mu.Unlock()
}

// syncTo returns once every record with sequence number <= seq is durable.
// The first waiter to find no fsync in progress runs one on behalf of
// everyone; the rest wait for it and, if it did not cover them, elect the
// next leader.
func (e *Engine) syncTo(seq uint64) error {
	s := &e.sync
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.synced < seq {
		if s.err != nil {
			return s.err
		}
		if s.running {
			s.cond.Wait()
			continue
		}
		s.running = true
		s.mu.Unlock()
		target, err := e.fsyncLog()
		s.mu.Lock()
		s.running = false
		switch {
		case err != nil && s.err == nil:
			s.err = err
			e.logger.Error("engine stopped accepting writes", "err", err)
		case err == nil && target > s.synced:
			s.synced = target
		}
		s.cond.Broadcast()
	}
	return nil
}

// fsyncLog fsyncs the current log file and returns the sequence number it
// is known to cover.
func (e *Engine) fsyncLog() (uint64, error) {
	e.logMu.RLock()
	defer e.logMu.RUnlock()
	if e.f == nil {
		return 0, ErrClosed
	}
	// Every record counted in writtenSeq was fully written to f (or to a
	// previous log whose contents compaction carried into f) before the
	// count was incremented.
	target := e.writtenSeq.Load()
	if err := e.f.Sync(); err != nil {
		return 0, fmt.Errorf("storage: fsync log %s: %w", e.path, err)
	}
	e.fsyncs.Add(1)
	return target, nil
}

// markSynced records that every record written so far is durable. The
// caller holds wmu, so no record is being written.
func (e *Engine) markSynced() {
	e.sync.mu.Lock()
	if n := e.writtenSeq.Load(); n > e.sync.synced {
		e.sync.synced = n
	}
	e.sync.cond.Broadcast()
	e.sync.mu.Unlock()
}

// syncLoop fsyncs Soft writes every SyncInterval.
func (e *Engine) syncLoop() {
	defer e.wg.Done()
	t := time.NewTicker(e.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			// Errors are sticky and were logged by syncTo.
			_ = e.syncTo(e.writtenSeq.Load())
		}
	}
}

// Sync fsyncs every write made so far. It returns ErrClosed after Close, or
// the error that stopped the engine from accepting writes (a failed fsync or
// a failed append that could not be rolled back), which is sticky.
func (e *Engine) Sync() error {
	if e.isClosed.Load() {
		return ErrClosed
	}
	if err := e.fatalErr(); err != nil {
		return err
	}
	return e.syncTo(e.writtenSeq.Load())
}

// Close waits for background work, fsyncs every write, closes the log and
// releases the directory lock. Writes after Close return ErrClosed; so do
// reads on the Engine (snapshots taken earlier remain readable). Close is
// idempotent: later calls return nil.
func (e *Engine) Close() error {
	e.wmu.Lock()
	if e.closed {
		e.wmu.Unlock()
		return nil
	}
	e.closed = true
	e.isClosed.Store(true)
	e.wmu.Unlock()

	close(e.stop)
	e.wg.Wait()
	// Wait for an explicit Compact to notice the close and give up.
	e.compactMu.Lock()
	defer e.compactMu.Unlock()

	var errs []error
	if err := e.syncTo(e.writtenSeq.Load()); err != nil {
		errs = append(errs, err)
	}
	e.wmu.Lock()
	e.logMu.Lock()
	if err := e.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("storage: close log %s: %w", e.path, err))
	}
	e.f = nil
	e.logMu.Unlock()
	e.mu.Lock()
	e.tree = nil
	e.mu.Unlock()
	e.wmu.Unlock()
	if err := unlockDir(e.lock); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Get implements Reader. It returns ErrClosed after Close. An empty key is
// never present.
func (e *Engine) Get(key []byte) ([]byte, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.tree == nil {
		return nil, ErrClosed
	}
	return treeGet(e.tree, key)
}

// Has implements Reader. It returns ErrClosed after Close.
func (e *Engine) Has(key []byte) (bool, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.tree == nil {
		return false, ErrClosed
	}
	return e.tree.Has(item{key: key}), nil
}

// NewIterator implements Reader. The iterator reads from a snapshot taken
// when it is created, so it is unaffected by later writes and never blocks
// them. After Close it returns an iterator whose Err is ErrClosed.
func (e *Engine) NewIterator(o IterOptions) Iterator {
	return newIterator(e.cloneTree(), o)
}

// Snapshot returns a consistent point-in-time view of the engine. The caller
// should Release it when done; an unreleased snapshot only costs memory for
// the tree nodes it shares with the engine. After Close it returns a
// snapshot whose reads return ErrClosed.
func (e *Engine) Snapshot() Snapshot {
	s := &snapshot{}
	if t := e.cloneTree(); t != nil {
		s.tree.Store(t)
	}
	return s
}

// cloneTree returns an O(1) copy-on-write clone of the index, or nil after
// Close. Clone mutates the source tree's bookkeeping, so it needs mu
// exclusively.
func (e *Engine) cloneTree() *btree.BTreeG[item] {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tree == nil {
		return nil
	}
	return e.tree.Clone()
}

// Stats returns current statistics.
func (e *Engine) Stats() Stats {
	e.mu.RLock()
	var keys int
	if e.tree != nil {
		keys = e.tree.Len()
	}
	live := e.liveBytes
	e.mu.RUnlock()
	return Stats{
		Keys:             keys,
		LiveBytes:        live,
		LogBytes:         e.logBytes.Load(),
		Batches:          e.batches.Load(),
		Fsyncs:           e.fsyncs.Load(),
		Compactions:      e.compactions.Load(),
		RecoveredRecords: e.recovered,
		TruncatedBytes:   e.truncated,
	}
}

func treeGet(t *btree.BTreeG[item], key []byte) ([]byte, error) {
	it, ok := t.Get(item{key: key})
	if !ok {
		return nil, ErrNotFound
	}
	return it.value, nil
}

// snapshot is a read-only clone of the index. The clone is never written
// to, so it can be read concurrently without locks.
type snapshot struct {
	tree atomic.Pointer[btree.BTreeG[item]]
}

var _ Snapshot = (*snapshot)(nil)

func (s *snapshot) Get(key []byte) ([]byte, error) {
	t := s.tree.Load()
	if t == nil {
		return nil, ErrClosed
	}
	return treeGet(t, key)
}

func (s *snapshot) Has(key []byte) (bool, error) {
	t := s.tree.Load()
	if t == nil {
		return false, ErrClosed
	}
	return t.Has(item{key: key}), nil
}

func (s *snapshot) NewIterator(o IterOptions) Iterator {
	return newIterator(s.tree.Load(), o)
}

func (s *snapshot) Release() { s.tree.Store(nil) }
