package storage

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/btree"
	"github.com/klauspost/compress/zstd"
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
	// CacheBytes bounds the value cache, in bytes, entry overhead included
	// (RethinkDB's --cache-size). Zero means 64 MiB; negative disables the
	// cache.
	CacheBytes int64
	// Compression selects per-value compression. The zero value is zstd.
	Compression Compression
}

// Compression is a value compression mode.
type Compression int

const (
	// CompressionZstd compresses each value of 2 KiB or more with zstd and
	// stores the compressed form when it needs a smaller slot. Smaller
	// values are stored as they are: decompressing one costs more than
	// reading its slot, and they are usually read from the cache or in
	// scans, where per-value decompression dominated the cost.
	CompressionZstd Compression = iota
	// CompressionNone stores values as they are.
	CompressionNone
)

// Reader is the read side of the engine, implemented by *Engine and by
// Snapshot. A read that misses the cache reads the value's slot from disk.
type Reader interface {
	// Get returns the value stored under key, or ErrNotFound if there is
	// none. The returned slice is never modified by the engine and stays
	// valid forever; the caller must not modify it. A value whose stored
	// form fails its checksum is never returned: Get returns an error that
	// wraps ErrCorrupt and names the file and offset.
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
// while snapshots share them, and slots referenced by a live snapshot (or
// iterator) are not reused until it is released.
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
	// LiveBytes is the log-encoded size of the live keys and values
	// (uncompressed).
	LiveBytes int64
	// LogBytes is the size of the write-ahead log file, header included.
	LogBytes int64
	// Batches is the number of non-empty batches applied since Open.
	Batches uint64
	// Fsyncs is the number of fsyncs issued on the log for durability since
	// Open (excluding those done by checkpoints). With group commit it can
	// be far lower than Batches.
	Fsyncs uint64
	// Compactions is the number of checkpoints (index snapshot written, log
	// truncated) completed since Open, including one done by Open itself.
	Compactions uint64
	// RecoveredRecords is the number of log records replayed by Open.
	RecoveredRecords int
	// TruncatedBytes is the size of the torn tail Open cut off the log.
	TruncatedBytes int64

	// RawValueBytes and StoredValueBytes are the live values' total size
	// before and after compression; CompressionRatio is raw/stored (1 when
	// nothing is stored).
	RawValueBytes, StoredValueBytes int64
	CompressionRatio                float64
	// SlabFileBytes is the total size of the slab files, LargeBytes that of
	// the large-object files, CheckpointBytes that of the index checkpoint.
	SlabFileBytes, LargeBytes, CheckpointBytes int64
	// Classes has one entry per slab file: slots used (live or awaiting
	// release) and free.
	Classes []ClassStats
	// CacheHits, CacheMisses, CacheHitRate and CacheUsedBytes describe the
	// value cache; CacheCapacity is its budget.
	CacheHits, CacheMisses        uint64
	CacheHitRate                  float64
	CacheUsedBytes, CacheCapacity int64
	CacheEntries                  int
}

// ClassStats describes one slab size class.
type ClassStats struct {
	SlotSize   int
	Used, Free int
}

const (
	logName  = "data.log"
	lockName = "LOCK"

	defaultCacheBytes = 64 << 20
	// parallelEncodeMin is the number of puts from which a batch's values
	// are compressed and encoded in parallel.
	parallelEncodeMin = 100
	// compressMin is the smallest value worth compressing. Below it a
	// zstd decode (about 2-3 us for a 1 KB document, mostly frame and
	// Huffman table setup) costs several times the pread of the slot, so
	// reads and scans of small values would be bound by decompression;
	// like PostgreSQL's TOAST threshold, only values of 2 KB and up pay it.
	compressMin = 2048
)

// Tunables; variables so tests can shrink them.
var (
	// autoCompactMinDead is how many log bytes written since the last
	// checkpoint trigger a new checkpoint (on Open and after writes).
	autoCompactMinDead int64 = 64 << 20
	// closeCheckpointMin is how many log bytes since the last checkpoint
	// make Close write a checkpoint, so that the next Open replays little.
	closeCheckpointMin int64 = 1 << 20
	// autoCompactRetry is how long to wait after a failed automatic
	// checkpoint before trying again.
	autoCompactRetry = time.Minute
)

var (
	zstdOnce sync.Once
	zstdEnc  *zstd.Encoder
	zstdDec  *zstd.Decoder
)

func codecs() (*zstd.Encoder, *zstd.Decoder) {
	zstdOnce.Do(func() {
		var err error
		zstdEnc, err = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
			zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)), zstd.WithEncoderCRC(false),
			zstd.WithLowerEncoderMem(true))
		if err != nil {
			panic(err)
		}
		zstdDec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0),
			zstd.WithDecoderMaxMemory(MaxValueSize+1))
		if err != nil {
			panic(err)
		}
	})
	return zstdEnc, zstdDec
}

// item is one key and its value's location in the index. The key is never
// modified.
type item struct {
	key []byte
	loc loc
}

func itemLess(a, b item) bool { return bytes.Compare(a.key, b.key) < 0 }

func newTree() *btree.BTreeG[item] { return btree.NewG(32, itemLess) }

func itemSize(it item) int64 { return int64(encodedOpSize(opPut, len(it.key), int(it.loc.vlen))) }

// pendingFree is a slot (or large file) no longer referenced by the index
// whose reuse must wait: until the log record that unreferenced it is
// durable (seq), until every reader older than the mutation is gone (ver),
// and for relocations by Compact until a checkpoint captured after the
// relocation is installed (ckpt).
type pendingFree struct {
	ver, seq, ckpt uint64
	l              loc
}

// Engine is a durable, ordered key-value store kept in one directory. It is
// safe for concurrent use. See the package documentation for the design.
type Engine struct {
	dir    string
	path   string // the log file
	opts   Options
	logger *slog.Logger
	lock   *os.File
	st     *store
	cache  *cache
	nextID atomic.Uint64

	// wmu serializes appends to the log with each other, with the
	// checkpoint's log swap and with Close. Lock order: ckptMu, wmu, logMu,
	// mu, pmu, slab.mu; sync.mu is taken alone.
	wmu          sync.Mutex
	f            *os.File // the log; written under wmu, replaced under wmu+logMu
	off          int64    // end of the last complete record in f
	gen          uint64   // generation of the log in f
	ckptOff      int64    // records before this offset are in the checkpoint
	closed       bool
	lastCkptFail time.Time

	logMu sync.RWMutex

	// mu guards tree, ver and the byte counters; tree is nil once closed.
	// Get holds mu.RLock while it reads a slot, so a slot it found cannot
	// even be unreferenced until it is done.
	mu         sync.RWMutex
	tree       *btree.BTreeG[item]
	ver        uint64 // index version, bumped by every mutation
	liveBytes  int64
	rawBytes   int64
	storedVals int64

	// pmu guards the pending frees and the reader registry.
	pmu           sync.Mutex
	pending       []pendingFree // from Apply, in seq (and ver) order
	relocPending  []pendingFree // from Compact, in ckpt order
	readers       map[uint64]int
	ckptCaptures  uint64
	ckptInstalled uint64
	replaying     bool // Open's replay: frees are dropped, bitmaps rebuilt after

	writtenSeq atomic.Uint64
	syncedSeq  atomic.Uint64
	sync       syncState

	ckptMu       sync.Mutex // serializes checkpoints and Compact
	checkpointng atomic.Bool
	isClosed     atomic.Bool

	unsyncedMu    sync.Mutex
	unsyncedLarge []uint64

	stop chan struct{}
	wg   sync.WaitGroup

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

// Open opens the engine stored in dir, creating dir and an empty engine if
// they do not exist: it loads the latest checkpoint of the index, replays
// the log records written after it (writing their values to the slabs) and
// rebuilds the free-slot bitmaps. It takes an exclusive lock on dir/LOCK,
// so a second Open of the same directory, from this or another process,
// fails until Close.
//
// A torn last record (short, or failing its checksum with nothing valid after
// it) is a write that was never acknowledged; Open truncates it away and
// logs a warning. Damage anywhere else in the log, in the checkpoint or in
// a slab file header makes Open fail with an error that wraps ErrCorrupt and
// names the file and offset. If much log has accumulated since the last
// checkpoint, Open writes a new one before returning.
func Open(dir string, opts Options) (*Engine, error) {
	if opts.SyncInterval <= 0 {
		opts.SyncInterval = time.Second
	}
	if opts.CacheBytes == 0 {
		opts.CacheBytes = defaultCacheBytes
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
		dir:     dir,
		path:    filepath.Join(dir, logName),
		opts:    opts,
		logger:  logger,
		lock:    lock,
		st:      newStore(dir),
		cache:   newCache(opts.CacheBytes),
		readers: map[uint64]int{},
		stop:    make(chan struct{}),
	}
	e.sync.cond.L = &e.sync.mu
	codecs()
	if err := e.load(); err != nil {
		e.st.release()
		if e.f != nil {
			e.f.Close()
		}
		_ = unlockDir(lock)
		return nil, err
	}
	if e.checkpointDue() {
		e.ckptMu.Lock()
		if err := e.checkpoint(false); err != nil {
			logger.Warn("checkpoint on open failed", "err", err)
		}
		e.ckptMu.Unlock()
	}
	e.wg.Add(1)
	go e.syncLoop()
	return e, nil
}

// load reads the checkpoint, opens the slabs and the log and replays it.
func (e *Engine) load() error {
	start := time.Now()
	for _, name := range []string{logName + ".tmp", ckptName + ".tmp"} {
		if err := os.Remove(filepath.Join(e.dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("storage: remove stale %s: %w", name, err)
		}
	}
	if err := e.st.openExisting(); err != nil {
		return err
	}
	tree := newTree()
	var (
		h       ckptHeader
		hasCkpt bool
	)
	ckptPath := filepath.Join(e.dir, ckptName)
	data, err := os.ReadFile(ckptPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("storage: read checkpoint %s: %w", ckptPath, err)
	default:
		hasCkpt = true
		items := make([]item, 0, 1024)
		h, err = decodeCheckpoint(data, func(it item) error {
			it.key = it.key[:len(it.key):len(it.key)]
			items = append(items, it)
			return nil
		})
		if err != nil {
			return fmt.Errorf("storage: checkpoint %s: %w", ckptPath, err)
		}
		for _, it := range items {
			tree.ReplaceOrInsert(it)
		}
		e.nextID.Store(h.nextID)
	}
	if e.nextID.Load() == 0 {
		e.nextID.Store(1)
	}
	e.tree = tree
	for _, it := range items(tree) {
		e.account(it, 1)
	}
	if err := e.rebuildBitmaps(true); err != nil {
		return err
	}

	f, err := os.OpenFile(e.path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		if hasCkpt {
			return fmt.Errorf("storage: log %s is missing but checkpoint %s exists: %w", e.path, ckptPath, ErrCorrupt)
		}
		if err := createLog(e.dir, e.path, 1); err != nil {
			return err
		}
		f, err = os.OpenFile(e.path, os.O_RDWR, 0)
	}
	if err != nil {
		return fmt.Errorf("storage: open log %s: %w", e.path, err)
	}
	e.f = f
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("storage: stat log %s: %w", e.path, err)
	}
	size := fi.Size()
	hdr := make([]byte, fileHeaderSize)
	if size >= fileHeaderSize {
		if err := readFullAt(f, hdr, 0); err != nil {
			return fmt.Errorf("storage: open log %s: %w", e.path, err)
		}
	}
	from := int64(fileHeaderSize)
	if size >= fileHeaderSize && checkFileHeader(hdr) == nil {
		e.gen = logGen(hdr)
		switch {
		case hasCkpt && e.gen == h.oldGen:
			from = h.logOff
		case hasCkpt && e.gen == h.newGen:
		case hasCkpt:
			return fmt.Errorf("storage: open log %s: offset 12: log generation %d does not match checkpoint %s (generations %d/%d): %w",
				e.path, e.gen, ckptPath, h.oldGen, h.newGen, ErrCorrupt)
		case e.gen != 1:
			return fmt.Errorf("storage: open log %s: offset 12: log generation %d but no checkpoint %s: %w",
				e.path, e.gen, ckptPath, ErrCorrupt)
		}
	}
	e.pmu.Lock()
	e.replaying = true
	e.pmu.Unlock()
	end, records, err := replayLogFrom(f, size, from, func(ops []op) error {
		locs, err := e.writeValues(ops)
		if err != nil {
			return err
		}
		ownKeys(ops)
		e.mu.Lock()
		e.applyOps(ops, locs, 0)
		e.mu.Unlock()
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: open log %s: %w", e.path, err)
	}
	e.pmu.Lock()
	e.replaying = false
	e.pmu.Unlock()
	if end < size {
		e.logger.Warn("truncating torn tail of log (an unacknowledged write interrupted by a crash)",
			"file", e.path, "offset", end, "bytes", size-end)
		if err := f.Truncate(end); err != nil {
			return fmt.Errorf("storage: truncate torn tail of log %s at offset %d: %w", e.path, end, err)
		}
		e.truncated = size - end
	}
	// Everything replayed is now durable, so the slots it unreferenced can
	// be reused: rebuild the bitmaps from the final index.
	if records > 0 || end < size {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("storage: fsync log %s: %w", e.path, err)
		}
	}
	if err := e.rebuildBitmaps(false); err != nil {
		return err
	}
	if err := e.removeOrphanLarge(); err != nil {
		return fmt.Errorf("storage: remove unreferenced large values: %w", err)
	}
	e.off, e.ckptOff = end, from
	e.logBytes.Store(end)
	e.recovered = records
	e.logger.Info("opened", "file", e.path, "records", records, "keys", e.tree.Len(),
		"live_bytes", e.liveBytes, "log_bytes", end, "took", time.Since(start))
	return nil
}

func items(t *btree.BTreeG[item]) []item {
	out := make([]item, 0, t.Len())
	t.Ascend(func(it item) bool { out = append(out, it); return true })
	return out
}

// rebuildBitmaps recomputes every slab's allocation bitmap from the index.
// With check (the index is the checkpoint's) it also verifies that every
// referenced slot lies inside its file and records the checkpoint's slot
// extents, below which Compact must not truncate.
func (e *Engine) rebuildBitmaps(check bool) error {
	for _, s := range e.st.all() {
		s.mu.Lock()
		s.used, s.nUsed, s.hint, s.pending = nil, 0, 0, 0
		if check {
			s.ckptSlots = 0
		}
		s.mu.Unlock()
	}
	var err error
	e.tree.Ascend(func(it item) bool {
		if it.loc.class == classNone || it.loc.class == classLarge {
			return true
		}
		s := e.st.existing(it.loc.class)
		if s == nil {
			err = fmt.Errorf("storage: slab file %s referenced by key %q is missing: %w",
				filepath.Join(e.dir, slabName(int(it.loc.class))), it.key, ErrCorrupt)
			return false
		}
		s.mu.Lock()
		if check && int(it.loc.slot) >= s.nslots {
			err = fmt.Errorf("storage: slab %s: offset %d: file ends before slot %d of key %q: %w",
				s.path, s.off(it.loc.slot), it.loc.slot, it.key, ErrCorrupt)
		}
		if check {
			s.ckptSlots = max(s.ckptSlots, int(it.loc.slot)+1)
		}
		n := s.nslots
		s.setLocked(it.loc.slot)
		s.nslots = max(n, s.nslots)
		s.mu.Unlock()
		return err == nil
	})
	return err
}

func (e *Engine) removeOrphanLarge() error {
	ids, err := e.st.largeIDs()
	if err != nil || len(ids) == 0 {
		return err
	}
	live := map[uint64]bool{}
	e.tree.Ascend(func(it item) bool {
		if it.loc.class == classLarge {
			live[it.loc.id] = true
		}
		return true
	})
	for _, id := range ids {
		if !live[id] {
			if err := os.Remove(e.st.largePath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// createLog atomically creates an empty log of generation gen.
func createLog(dir, path string, gen uint64) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("storage: create log %s: %w", tmp, err)
	}
	_, err = f.Write(encodeLogHeader(logVersion, gen))
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

// ownKeys replaces the key of every op with a private copy (all keys of
// the batch share one allocation), so the index never aliases a caller's
// or a read buffer's memory.
func ownKeys(ops []op) {
	n := 0
	for _, o := range ops {
		n += len(o.key)
	}
	buf := make([]byte, 0, n)
	for i := range ops {
		s := len(buf)
		buf = append(buf, ops[i].key...)
		ops[i].key = buf[s:len(buf):len(buf)]
	}
}

// account adds (sign 1) or removes (sign -1) an item from the counters.
// The caller holds mu (or has exclusive access).
func (e *Engine) account(it item, sign int64) {
	e.liveBytes += sign * itemSize(it)
	e.rawBytes += sign * int64(it.loc.vlen)
	e.storedVals += sign * int64(it.loc.size)
}

// applyOps applies ops with their value locations to the index. The caller
// holds mu. seq is the log record's sequence number.
func (e *Engine) applyOps(ops []op, locs []loc, seq uint64) {
	e.ver++
	var freed []loc
	for i, o := range ops {
		switch o.kind {
		case opPut:
			it := item{key: o.key, loc: locs[i]}
			if old, ok := e.tree.ReplaceOrInsert(it); ok {
				e.account(old, -1)
				freed = append(freed, old.loc)
			}
			e.account(it, 1)
		case opDelete:
			if old, ok := e.tree.Delete(item{key: o.key}); ok {
				e.account(old, -1)
				freed = append(freed, old.loc)
			}
		}
	}
	e.pmu.Lock()
	if !e.replaying {
		for _, l := range freed {
			if l.class != classNone {
				e.pending = append(e.pending, pendingFree{ver: e.ver, seq: seq, l: l})
				e.markPending(l)
			}
		}
	}
	e.pmu.Unlock()
}

func (e *Engine) markPending(l loc) {
	if l.class == classLarge || l.class == classNone {
		return
	}
	if s := e.st.existing(l.class); s != nil {
		s.mu.Lock()
		s.pending++
		s.mu.Unlock()
	}
}

// freeNow releases locations that were never visible to any reader.
func (e *Engine) freeNow(locs []loc) {
	for _, l := range locs {
		e.release(l, false)
	}
}

func (e *Engine) release(l loc, wasPending bool) {
	switch l.class {
	case classNone:
	case classLarge:
		if l.id != 0 {
			os.Remove(e.st.largePath(l.id))
		}
	default:
		if l.id == 0 {
			return
		}
		if s := e.st.existing(l.class); s != nil {
			s.release(l.slot, wasPending)
		}
	}
}

// reclaim releases the pending frees that have become safe to reuse.
func (e *Engine) reclaim() {
	if e.isClosed.Load() {
		return // a later Open may own the files now
	}
	synced := e.syncedSeq.Load()
	e.pmu.Lock()
	defer e.pmu.Unlock()
	minVer := uint64(math.MaxUint64)
	for v := range e.readers {
		minVer = min(minVer, v)
	}
	i := 0
	for ; i < len(e.pending); i++ {
		p := e.pending[i]
		if p.seq > synced || p.ver > minVer {
			break
		}
		e.release(p.l, true)
	}
	if i > 0 {
		e.pending = append(e.pending[:0], e.pending[i:]...)
	}
	j := 0
	for ; j < len(e.relocPending); j++ {
		p := e.relocPending[j]
		if p.ckpt > e.ckptInstalled || p.ver > minVer {
			break
		}
		e.release(p.l, true)
	}
	if j > 0 {
		e.relocPending = append(e.relocPending[:0], e.relocPending[j:]...)
	}
}

// register records a reader of index version v. The caller holds mu.
func (e *Engine) register(v uint64) {
	e.pmu.Lock()
	e.readers[v]++
	e.pmu.Unlock()
}

func (e *Engine) unregister(v uint64) {
	e.pmu.Lock()
	if e.readers[v]--; e.readers[v] <= 0 {
		delete(e.readers, v)
	}
	e.pmu.Unlock()
	e.reclaim()
}

// encodeValue returns the stored form of v and its flags.
func (e *Engine) encodeValue(v []byte) ([]byte, uint8) {
	if e.opts.Compression == CompressionNone || len(v) < compressMin {
		return v, 0
	}
	c := zstdEnc.EncodeAll(v, make([]byte, 0, len(v)/2))
	rc, cc := classFor(len(v)), classFor(len(c))
	if cc < rc || (rc == classLarge && len(c) < len(v)-len(v)/8) {
		return c, flagCompressed
	}
	return v, 0
}

// writeValues stores the values of the puts in ops in fresh slots (or large
// files) and returns each op's location. The slots are not referenced by
// anything yet, so writing them needs no lock; on error the caller frees
// the returned locations.
func (e *Engine) writeValues(ops []op) ([]loc, error) {
	locs := make([]loc, len(ops))
	payloads := make([][]byte, len(ops))
	nput := 0
	for i, o := range ops {
		if o.kind == opPut && len(o.value) > 0 {
			nput++
			if nput <= parallelEncodeMin {
				_ = i
			}
		}
	}
	if nput == 0 {
		for i := range locs {
			locs[i].class = classNone
		}
		return locs, nil
	}
	encodeRange := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if o := ops[i]; o.kind == opPut && len(o.value) > 0 {
				p, fl := e.encodeValue(o.value)
				payloads[i] = p
				locs[i] = loc{size: uint32(len(p)), vlen: uint32(len(o.value)), flags: fl, class: classFor(len(p))}
			}
		}
	}
	if workers := runtime.GOMAXPROCS(0); nput > parallelEncodeMin && workers > 1 {
		var wg sync.WaitGroup
		per := (len(ops) + workers - 1) / workers
		for lo := 0; lo < len(ops); lo += per {
			wg.Add(1)
			go func(lo, hi int) { defer wg.Done(); encodeRange(lo, hi) }(lo, min(lo+per, len(ops)))
		}
		wg.Wait()
	} else {
		encodeRange(0, len(ops))
	}
	id := e.nextID.Add(uint64(nput)) - uint64(nput)
	var order []int
	for i, o := range ops {
		if o.kind != opPut || len(o.value) == 0 {
			locs[i] = loc{class: classNone}
			continue
		}
		locs[i].id = id
		id++
		if locs[i].class == classLarge {
			if err := e.writeLarge(o.key, locs[i], payloads[i]); err != nil {
				return locs, err
			}
			continue
		}
		s, err := e.st.slab(locs[i].class)
		if err != nil {
			locs[i].id = 0
			return locs, err
		}
		locs[i].slot = s.alloc()
		order = append(order, i)
	}
	// Write slots, one pwrite per run of adjacent slots of a class.
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(locs[a].class, locs[b].class); c != 0 {
			return c
		}
		return cmp.Compare(locs[a].slot, locs[b].slot)
	})
	var buf []byte
	for i := 0; i < len(order); {
		first := locs[order[i]]
		s := e.st.existing(first.class)
		j := i + 1
		for j < len(order) && locs[order[j]].class == first.class && locs[order[j]].slot == locs[order[j-1]].slot+1 &&
			int64(j-i)*s.size < 4<<20 {
			j++
		}
		last := locs[order[j-1]]
		n := int(int64(last.slot-first.slot)*s.size) + slotHeaderSize + int(last.size)
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		for _, k := range order[i:j] {
			l := locs[k]
			at := int(int64(l.slot-first.slot) * s.size)
			slotHeader(buf[at:], ops[k].key, l, payloads[k])
			end := at + slotHeaderSize + copy(buf[at+slotHeaderSize:], payloads[k])
			if k != order[j-1] {
				clear(buf[end : at+int(s.size)])
			}
		}
		if _, err := s.f.WriteAt(buf, s.off(first.slot)); err != nil {
			if e.isClosed.Load() {
				return locs, ErrClosed
			}
			return locs, fmt.Errorf("storage: write slab %s at offset %d: %w", s.path, s.off(first.slot), err)
		}
		i = j
	}
	return locs, nil
}

func (e *Engine) writeLarge(key []byte, l loc, payload []byte) error {
	if err := os.MkdirAll(e.st.largeDir, 0o755); err != nil {
		return fmt.Errorf("storage: create %s: %w", e.st.largeDir, err)
	}
	path := e.st.largePath(l.id)
	buf := make([]byte, largeHeaderSize, largeHeaderSize+len(payload))
	copy(buf, largeMagic)
	slotHeader(buf[8:], key, l, payload)
	buf = append(buf, payload...)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		os.Remove(path)
		return fmt.Errorf("storage: write large value %s: %w", path, err)
	}
	e.unsyncedMu.Lock()
	e.unsyncedLarge = append(e.unsyncedLarge, l.id)
	e.unsyncedMu.Unlock()
	return nil
}

// Apply implements Writer.
//
// The values are compressed and written to fresh slots first, outside any
// lock (in parallel for large batches); then, under the writer mutex, the
// batch record is appended to the log and the index is updated to point at
// the new slots. The slots the batch unreferences are released once the
// record is durable and no older reader remains.
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
	if e.isClosed.Load() || !e.st.acquire() {
		return ErrClosed
	}
	defer e.st.release()
	if err := e.fatalErr(); err != nil {
		return fmt.Errorf("storage: apply: engine stopped accepting writes after an I/O error: %w", err)
	}
	locs, err := e.writeValues(ops)
	if err != nil {
		e.freeNow(locs)
		return err
	}
	ownKeys(ops)

	e.wmu.Lock()
	if e.closed {
		e.wmu.Unlock()
		e.freeNow(locs)
		return ErrClosed
	}
	if err := e.fatalErr(); err != nil {
		e.wmu.Unlock()
		e.freeNow(locs)
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
		e.freeNow(locs)
		return err
	}
	e.off += int64(len(rec))
	e.logBytes.Store(e.off)
	seq := e.writtenSeq.Load() + 1
	e.mu.Lock()
	e.applyOps(ops, locs, seq)
	e.mu.Unlock()
	e.writtenSeq.Store(seq)
	e.batches.Add(1)
	if e.checkpointDue() && time.Since(e.lastCkptFail) > autoCompactRetry &&
		e.checkpointng.CompareAndSwap(false, true) {
		e.wg.Add(1)
		go e.backgroundCheckpoint()
	}
	e.wmu.Unlock()

	if d == Hard {
		if err := e.syncTo(seq); err != nil {
			return err
		}
	}
	e.reclaim()
	return nil
}

// checkpointDue reports whether enough log has accumulated since the last
// checkpoint. The caller holds wmu (or has exclusive access during Open).
func (e *Engine) checkpointDue() bool {
	return e.off-e.ckptOff > autoCompactMinDead
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
			e.syncedSeq.Store(target)
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
	// previous log whose contents the checkpoint carried into f) before the
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
		e.syncedSeq.Store(n)
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
			if e.syncTo(e.writtenSeq.Load()) == nil {
				e.reclaim()
			}
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
	err := e.syncTo(e.writtenSeq.Load())
	e.reclaim()
	return err
}

// Close waits for background work, fsyncs every write, writes a checkpoint
// if much log has accumulated since the last one, closes the files and
// releases the directory lock. Writes after Close return ErrClosed; so do
// reads on the Engine (snapshots and iterators taken earlier remain
// readable until released). Close is idempotent: later calls return nil.
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
	e.ckptMu.Lock()
	defer e.ckptMu.Unlock()

	var errs []error
	if err := e.syncTo(e.writtenSeq.Load()); err != nil {
		errs = append(errs, err)
	} else if e.off-e.ckptOff > closeCheckpointMin {
		if err := e.checkpoint(true); err != nil {
			e.logger.Warn("checkpoint on close failed", "err", err)
		}
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
	e.cache.drop()
	e.st.release()
	if err := unlockDir(e.lock); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// value returns the value stored at it.loc, from the cache or the slab.
// The caller guarantees the slot is not released meanwhile.
func (e *Engine) value(it item, fill bool) ([]byte, error) {
	if it.loc.class == classNone {
		return []byte{}, nil
	}
	if v, ok := e.cache.get(it.loc.id); ok {
		return v, nil // verified when it was read from disk
	}
	var buf *[]byte
	if it.loc.flags&flagCompressed != 0 && it.loc.class != classLarge {
		// The value is decoded into a new slice, so the read buffer can
		// be reused.
		buf = getReadBuf(slotHeaderSize + int(it.loc.size))
		defer readBufs.Put(buf)
	}
	var into []byte
	if buf != nil {
		into = *buf
	}
	p, err := e.st.readSlot(it.key, it.loc, into)
	if err != nil {
		return nil, err
	}
	v, err := decodeValue(p, it.loc)
	if err != nil {
		return nil, fmt.Errorf("storage: value of key %q (%s): %w", it.key, e.where(it.loc), err)
	}
	if fill {
		e.cache.put(it.loc.id, v)
	}
	return v, nil
}

func (e *Engine) where(l loc) string {
	if l.class == classLarge {
		return e.st.largePath(l.id)
	}
	if s := e.st.existing(l.class); s != nil {
		return fmt.Sprintf("slab %s offset %d", s.path, s.off(l.slot))
	}
	return "?"
}

// readBufs holds buffers for reading slots whose payload is decoded into a
// new slice (compressed values), so the read buffer is not retained.
var readBufs = sync.Pool{New: func() any { return new([]byte) }}

// getReadBuf returns a pooled buffer of n bytes; put it back in readBufs.
func getReadBuf(n int) *[]byte {
	b := readBufs.Get().(*[]byte)
	if cap(*b) < n {
		*b = make([]byte, n)
	}
	*b = (*b)[:n]
	return b
}

// decodeValue turns a verified stored payload into the value.
func decodeValue(p []byte, l loc) ([]byte, error) {
	if l.flags&flagCompressed == 0 {
		return p[:len(p):len(p)], nil
	}
	v, err := zstdDec.DecodeAll(p, make([]byte, 0, l.vlen))
	if err != nil || len(v) != int(l.vlen) {
		return nil, fmt.Errorf("decompress: %d bytes, want %d, %v: %w", len(v), l.vlen, err, ErrCorrupt)
	}
	return v[:len(v):len(v)], nil
}

// Get implements Reader. It returns ErrClosed after Close. An empty key is
// never present.
func (e *Engine) Get(key []byte) ([]byte, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.tree == nil {
		return nil, ErrClosed
	}
	it, ok := e.tree.Get(item{key: key})
	if !ok {
		return nil, ErrNotFound
	}
	return e.value(it, true)
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

// view is a registered, immutable clone of the index: its slots are not
// reused and its files stay open until release.
type view struct {
	e    *Engine
	tree *btree.BTreeG[item]
	ver  uint64
	once sync.Once
}

// newView clones the index, or returns nil after Close.
func (e *Engine) newView() *view {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tree == nil || !e.st.acquire() {
		return nil
	}
	e.register(e.ver)
	return &view{e: e, tree: e.tree.Clone(), ver: e.ver}
}

// dup returns another registration of the same view.
func (v *view) dup() *view {
	if !v.e.st.acquire() {
		return nil
	}
	v.e.register(v.ver)
	return &view{e: v.e, tree: v.tree, ver: v.ver}
}

func (v *view) release() {
	v.once.Do(func() {
		v.e.unregister(v.ver)
		v.e.st.release()
	})
}

// NewIterator implements Reader. The iterator reads from a snapshot taken
// when it is created, so it is unaffected by later writes and never blocks
// them; it pins the slots it may read until Close. After Close of the
// engine it returns an iterator whose Err is ErrClosed.
func (e *Engine) NewIterator(o IterOptions) Iterator {
	return newIterator(e.newView(), o)
}

// Snapshot returns a consistent point-in-time view of the engine. The caller
// should Release it when done: until then the slots it references are not
// reused, so an unreleased snapshot holds on to disk space as well as the
// tree nodes it shares with the engine. After Close it returns a snapshot
// whose reads return ErrClosed.
func (e *Engine) Snapshot() Snapshot {
	s := &snapshot{}
	if v := e.newView(); v != nil {
		s.v.Store(v)
	}
	return s
}

// Stats returns current statistics.
func (e *Engine) Stats() Stats {
	var st Stats
	e.mu.RLock()
	if e.tree != nil {
		st.Keys = e.tree.Len()
	}
	st.LiveBytes, st.RawValueBytes, st.StoredValueBytes = e.liveBytes, e.rawBytes, e.storedVals
	e.mu.RUnlock()
	st.LogBytes = e.logBytes.Load()
	st.Batches = e.batches.Load()
	st.Fsyncs = e.fsyncs.Load()
	st.Compactions = e.compactions.Load()
	st.RecoveredRecords = e.recovered
	st.TruncatedBytes = e.truncated
	st.CompressionRatio = 1
	if st.StoredValueBytes > 0 {
		st.CompressionRatio = float64(st.RawValueBytes) / float64(st.StoredValueBytes)
	}
	for _, s := range e.st.all() {
		s.mu.Lock()
		st.Classes = append(st.Classes, ClassStats{SlotSize: int(s.size), Used: s.nUsed, Free: s.nslots - s.nUsed})
		st.SlabFileBytes += slabHeaderSize + int64(s.nslots)*s.size
		s.mu.Unlock()
	}
	if ids, err := e.st.largeIDs(); err == nil {
		for _, id := range ids {
			if fi, err := os.Stat(e.st.largePath(id)); err == nil {
				st.LargeBytes += fi.Size()
			}
		}
	}
	if fi, err := os.Stat(filepath.Join(e.dir, ckptName)); err == nil {
		st.CheckpointBytes = fi.Size()
	}
	st.CacheHits, st.CacheMisses = e.cache.stats()
	if n := st.CacheHits + st.CacheMisses; n > 0 {
		st.CacheHitRate = float64(st.CacheHits) / float64(n)
	}
	st.CacheUsedBytes, st.CacheEntries = e.cache.usage()
	st.CacheCapacity = max(e.cache.capacity, 0)
	return st
}

// snapshot is a released-on-demand view.
type snapshot struct {
	v atomic.Pointer[view]
}

var _ Snapshot = (*snapshot)(nil)

func (s *snapshot) Get(key []byte) ([]byte, error) {
	v := s.v.Load()
	if v == nil {
		return nil, ErrClosed
	}
	it, ok := v.tree.Get(item{key: key})
	if !ok {
		return nil, ErrNotFound
	}
	return v.e.value(it, true)
}

func (s *snapshot) Has(key []byte) (bool, error) {
	v := s.v.Load()
	if v == nil {
		return false, ErrClosed
	}
	return v.tree.Has(item{key: key}), nil
}

func (s *snapshot) NewIterator(o IterOptions) Iterator {
	v := s.v.Load()
	if v == nil {
		return newIterator(nil, o)
	}
	return newIterator(v.dup(), o)
}

func (s *snapshot) Release() {
	if v := s.v.Swap(nil); v != nil {
		v.release()
	}
}
