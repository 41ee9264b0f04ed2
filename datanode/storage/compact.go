package storage

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/google/btree"
)

// compactRecordSize is the payload size compaction aims for per record.
const compactRecordSize = 1 << 20

// Compact rewrites the log so that it holds only live data, then atomically
// replaces the old log with it. Reads and writes continue while it runs;
// writers are held up only while the last few records are copied and the new
// log is fsynced and renamed into place. Concurrent calls are serialized. It
// returns ErrClosed if the engine is closed before it finishes, in which case
// the old log stays in use.
//
// The engine also compacts by itself, on Open and after writes, when the dead
// bytes in the log exceed both twice the live bytes and 64 MiB.
func (e *Engine) Compact() error {
	e.compactMu.Lock()
	defer e.compactMu.Unlock()
	return e.compact()
}

func (e *Engine) backgroundCompact() {
	defer e.wg.Done()
	defer e.compacting.Store(false)
	e.compactMu.Lock()
	defer e.compactMu.Unlock()
	if err := e.compact(); err != nil && !errors.Is(err, ErrClosed) {
		e.logger.Error("background compaction failed", "err", err)
		e.wmu.Lock()
		e.lastCompactFail = time.Now()
		e.wmu.Unlock()
	}
}

// compact does the work of Compact. The caller holds compactMu (or has
// exclusive access during Open).
//
// It works in three phases:
//  1. Under wmu, clone the index and note the log offset it corresponds to
//     (the index and the log are always updated together under wmu).
//  2. Without locks, write the clone to a temporary file, copy the records
//     appended to the old log since the clone, and fsync.
//  3. Under wmu, copy the few records appended during phase 2, fsync, rename
//     the temporary file over the log, fsync the directory and switch
//     writers to the new file.
//
// A crash before the rename leaves the old log in place (and a stale
// temporary file that Open deletes); after it, the new log, which holds
// every record the old one did, in compacted form.
func (e *Engine) compact() (err error) {
	start := time.Now()
	e.wmu.Lock()
	if e.closed {
		e.wmu.Unlock()
		return ErrClosed
	}
	if ferr := e.fatalErr(); ferr != nil {
		e.wmu.Unlock()
		return fmt.Errorf("storage: compact: engine stopped accepting writes after an I/O error: %w", ferr)
	}
	e.mu.Lock()
	snap := e.tree.Clone()
	e.mu.Unlock()
	old, snapOff, oldSize := e.f, e.off, e.off
	e.wmu.Unlock()

	tmp := e.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("storage: compact: create %s: %w", tmp, err)
	}
	installed := false
	defer func() {
		if !installed {
			f.Close()
			os.Remove(tmp)
		}
	}()

	// Phase 2.
	w := bufio.NewWriterSize(f, 1<<20)
	n, err := writeSnapshot(w, snap, &e.isClosed)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fmt.Errorf("storage: compact: write %s: %w", tmp, err)
	}
	e.wmu.Lock()
	mid := e.off
	e.wmu.Unlock()
	if err := copyRecords(f, old, snapOff, mid); err != nil {
		return fmt.Errorf("storage: compact: copy %s to %s: %w", e.path, tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: compact: fsync %s: %w", tmp, err)
	}

	// Phase 3.
	e.wmu.Lock()
	defer e.wmu.Unlock()
	if e.closed {
		return ErrClosed
	}
	end := e.off
	if err := copyRecords(f, old, mid, end); err != nil {
		return fmt.Errorf("storage: compact: copy %s to %s: %w", e.path, tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: compact: fsync %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, e.path); err != nil {
		return fmt.Errorf("storage: compact: rename %s: %w", tmp, err)
	}
	// The new file is the log now, whatever happens next.
	installed = true
	e.logMu.Lock()
	e.f = f
	e.logMu.Unlock()
	old.Close()
	e.off = n + (end - snapOff)
	e.logBytes.Store(e.off)
	if err := syncDir(e.dir); err != nil {
		// The rename may not be durable: after a crash the old log could
		// come back, missing writes acknowledged from now on. Stop writes.
		err = fmt.Errorf("storage: compact: %w", err)
		e.setFatal(err)
		return err
	}
	// The new file was fsynced after every record written so far.
	e.markSynced()
	e.compactions.Add(1)
	e.logger.Info("compacted log", "file", e.path, "from_bytes", oldSize, "to_bytes", e.off,
		"keys", snap.Len(), "took", time.Since(start))
	return nil
}

// writeSnapshot writes a complete log (file header and records) holding
// every item of t as puts, and returns its size. It gives up with ErrClosed
// if closed becomes true.
func writeSnapshot(w io.Writer, t *btree.BTreeG[item], closed *atomic.Bool) (int64, error) {
	n, err := w.Write(encodeFileHeader())
	written := int64(n)
	if err != nil {
		return written, err
	}
	rec := make([]byte, recordHeaderSize+batchHeaderSize, 2*compactRecordSize)
	count := 0
	flush := func() error {
		sealRecord(rec, count)
		n, err := w.Write(rec)
		written += int64(n)
		rec, count = rec[:recordHeaderSize+batchHeaderSize], 0
		if err != nil {
			return err
		}
		if closed.Load() {
			return ErrClosed
		}
		return nil
	}
	t.Ascend(func(it item) bool {
		if count > 0 && len(rec)+encodedOpSize(opPut, len(it.key), len(it.value)) > compactRecordSize {
			if err = flush(); err != nil {
				return false
			}
		}
		rec = appendOp(rec, opPut, it.key, it.value)
		count++
		return true
	})
	if err == nil && count > 0 {
		err = flush()
	}
	return written, err
}

// copyRecords appends the bytes [from, to) of src to dst at dst's current
// file offset.
func copyRecords(dst, src *os.File, from, to int64) error {
	if to <= from {
		return nil
	}
	n, err := io.Copy(dst, io.NewSectionReader(src, from, to-from))
	if err == nil && n != to-from {
		err = io.ErrUnexpectedEOF
	}
	return err
}
