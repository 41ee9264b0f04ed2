package storage

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"time"

	"github.com/google/btree"
)

// Compact reclaims disk space while reads and writes go on:
//
//  1. In every slab file with free slots, it moves the values stored in the
//     highest slots into the lowest free ones (a copy of the slot, then an
//     index update that a concurrent write to the same key wins).
//  2. It writes a checkpoint, which also truncates the log to the records
//     written during the checkpoint.
//  3. It releases the slots freed so far (those still pinned by snapshots,
//     iterators or unsynced log records stay allocated) and truncates each
//     slab file after its last allocated slot, or after the last slot the
//     checkpoint references if that is higher (see truncateSlabs).
//
// Steps 1-3 run again if the first checkpoint freed slots that a second
// relocation pass can fill. Concurrent calls are serialized. It returns ErrClosed if
// the engine is closed first. The engine also checkpoints by itself (not
// compacting slabs) when 64 MiB of log has accumulated since the last
// checkpoint.
func (e *Engine) Compact() error {
	e.ckptMu.Lock()
	defer e.ckptMu.Unlock()
	if e.isClosed.Load() {
		return ErrClosed
	}
	for pass := range 2 {
		moved, err := e.relocate()
		if err != nil {
			return err
		}
		if pass > 0 && moved == 0 {
			break
		}
		if err := e.checkpoint(false); err != nil {
			return err
		}
		e.reclaim()
		if err := e.truncateSlabs(); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) backgroundCheckpoint() {
	defer e.wg.Done()
	defer e.checkpointng.Store(false)
	e.ckptMu.Lock()
	defer e.ckptMu.Unlock()
	if err := e.checkpoint(false); err != nil && !errors.Is(err, ErrClosed) {
		e.logger.Error("background checkpoint failed", "err", err)
		e.wmu.Lock()
		e.lastCkptFail = time.Now()
		e.wmu.Unlock()
	} else if err == nil {
		e.reclaim()
	}
}

// relocate moves values from high slots into lower free slots of the same
// class. The caller holds ckptMu.
func (e *Engine) relocate() (moved int, err error) {
	target := map[uint8]uint32{}
	for _, s := range e.st.all() {
		s.mu.Lock()
		if s.nslots > s.nUsed {
			target[uint8(s.class)] = uint32(s.nUsed)
		}
		s.mu.Unlock()
	}
	if len(target) == 0 {
		return 0, nil
	}
	v := e.newView()
	if v == nil {
		return 0, ErrClosed
	}
	var cands []item
	v.tree.Ascend(func(it item) bool {
		if t, ok := target[it.loc.class]; ok && it.loc.class != classLarge && it.loc.slot >= t {
			cands = append(cands, it)
		}
		return true
	})
	v.release()
	var buf []byte
	for i, it := range cands {
		if i%256 == 0 && e.isClosed.Load() {
			return moved, ErrClosed
		}
		s := e.st.existing(it.loc.class)
		ns := s.alloc()
		if ns >= it.loc.slot {
			s.release(ns, false)
			continue
		}
		n := slotHeaderSize + int(it.loc.size)
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		err := readFullAt(s.f, buf, s.off(it.loc.slot))
		if err == nil {
			_, err = checkSlot(buf, it.key, it.loc)
		}
		if err != nil {
			s.release(ns, false)
			e.mu.RLock()
			cur, ok := e.tree.Get(it)
			e.mu.RUnlock()
			if ok && cur.loc == it.loc {
				return moved, fmt.Errorf("storage: compact: slab %s: slot at offset %d: %v: %w", s.path, s.off(it.loc.slot), err, ErrCorrupt)
			}
			continue // overwritten meanwhile
		}
		if _, err := s.f.WriteAt(buf, s.off(ns)); err != nil {
			s.release(ns, false)
			return moved, fmt.Errorf("storage: compact: write slab %s at offset %d: %w", s.path, s.off(ns), err)
		}
		nl := it.loc
		nl.slot = ns
		e.mu.Lock()
		cur, ok := e.tree.Get(it)
		if e.tree == nil || !ok || cur.loc != it.loc {
			e.mu.Unlock()
			s.release(ns, false)
			continue
		}
		e.tree.ReplaceOrInsert(item{key: cur.key, loc: nl})
		e.ver++
		e.pmu.Lock()
		e.relocPending = append(e.relocPending, pendingFree{ver: e.ver, ckpt: e.ckptCaptures + 1, l: it.loc})
		e.pmu.Unlock()
		e.mu.Unlock()
		e.markPending(it.loc)
		moved++
	}
	return moved, nil
}

// truncateSlabs shrinks every slab file to end after its last allocated
// slot, but not below the slots the installed checkpoint references. The
// caller holds ckptMu.
//
// Slots above the last allocated one are free, so no reader can be using
// them. They may still be referenced by the checkpoint on disk, though: a
// write that lands between the checkpoint's capture of the index and its
// installation unreferences a slot the checkpoint holds, and releases it
// once its log record is durable (recovery replays that record, so the
// slot's content no longer matters). Its position does: Open checks every
// slot the checkpoint references against the file length before replaying
// the log, so the file must keep covering them until a later checkpoint
// no longer references them.
func (e *Engine) truncateSlabs() error {
	for _, s := range e.st.all() {
		s.mu.Lock()
		hw := 0
		for w := len(s.used) - 1; w >= 0; w-- {
			if s.used[w] != 0 {
				hw = w*64 + 64 - bits.LeadingZeros64(s.used[w])
				break
			}
		}
		hw = max(hw, s.ckptSlots)
		var err error
		if hw < s.nslots {
			if err = s.f.Truncate(s.off(uint32(hw))); err == nil {
				s.nslots = hw
				if n := (hw + 63) / 64; n < len(s.used) {
					s.used = s.used[:n]
				}
			}
		}
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("storage: compact: truncate slab %s: %w", s.path, err)
		}
	}
	return nil
}

// testHookCheckpointCaptured, if set, runs in checkpoint right after the
// index has been captured (no lock held), so tests can interleave writes.
var testHookCheckpointCaptured func()

// checkpoint writes the index to index.ckpt and truncates the log to the
// records written since. The caller holds ckptMu; closing says Close is
// calling (writers are already shut out).
//
// It works in four steps:
//  1. Under wmu, clone the index and note the log offset and generation it
//     corresponds to (index and log are always updated together under wmu).
//  2. Fsync the log up to that offset, the slab files and new large
//     values, so that everything the clone references is durable.
//  3. Write the clone as the checkpoint (temporary file, fsync, rename,
//     directory fsync). It says: if the log is still of this generation,
//     replay it from the noted offset; if it is of the next generation,
//     from its start.
//  4. Write a log of the next generation holding the records after the
//     offset, copy the last few under wmu, fsync, rename it over the log,
//     fsync the directory and switch writers to it.
//
// A crash at any point leaves a checkpoint and a log that together hold
// every acknowledged batch.
func (e *Engine) checkpoint(closing bool) (err error) {
	start := time.Now()
	e.wmu.Lock()
	if e.closed && !closing {
		e.wmu.Unlock()
		return ErrClosed
	}
	if ferr := e.fatalErr(); ferr != nil {
		e.wmu.Unlock()
		return fmt.Errorf("storage: checkpoint: engine stopped accepting writes after an I/O error: %w", ferr)
	}
	e.mu.Lock()
	snap := e.tree.Clone()
	e.mu.Unlock()
	e.pmu.Lock()
	e.ckptCaptures++
	capNo := e.ckptCaptures
	e.pmu.Unlock()
	old, snapOff, gen, seq := e.f, e.off, e.gen, e.writtenSeq.Load()
	h := ckptHeader{oldGen: gen, newGen: gen + 1, logOff: snapOff, nextID: e.nextID.Load()}
	e.unsyncedMu.Lock()
	large := e.unsyncedLarge
	e.unsyncedLarge = nil
	e.unsyncedMu.Unlock()
	e.wmu.Unlock()
	if testHookCheckpointCaptured != nil {
		testHookCheckpointCaptured()
	}
	defer func() {
		if err != nil { // fsync them next time
			e.unsyncedMu.Lock()
			e.unsyncedLarge = append(e.unsyncedLarge, large...)
			e.unsyncedMu.Unlock()
		}
	}()

	// Step 2.
	if err := e.syncTo(seq); err != nil {
		return err
	}
	for _, s := range e.st.all() {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("storage: checkpoint: fsync slab %s: %w", s.path, err)
		}
	}
	for _, id := range large {
		f, err := os.Open(e.st.largePath(id))
		if err != nil {
			continue // already deleted
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return fmt.Errorf("storage: checkpoint: fsync %s: %w", e.st.largePath(id), err)
		}
	}
	if len(large) > 0 {
		if err := syncDir(e.st.largeDir); err != nil {
			return fmt.Errorf("storage: checkpoint: %w", err)
		}
	}
	if err := syncDir(e.dir); err != nil { // new slab files
		return fmt.Errorf("storage: checkpoint: %w", err)
	}

	// Step 3. Until the new checkpoint is known to be installed, either
	// it or the old one may be on disk: truncation must spare the slots of
	// both.
	extents := slotExtents(snap)
	e.setCkptSlots(extents, true)
	closed := &e.isClosed
	if closing {
		closed = nil
	}
	if err := writeCheckpoint(e.dir, h, snap, closed); err != nil {
		return fmt.Errorf("storage: checkpoint: %w", err)
	}
	e.setCkptSlots(extents, false)
	e.pmu.Lock()
	e.ckptInstalled = capNo
	e.pmu.Unlock()

	// Step 4.
	tmp := e.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("storage: checkpoint: create %s: %w", tmp, err)
	}
	installed := false
	defer func() {
		if !installed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(encodeLogHeader(logVersion, gen+1)); err != nil {
		return fmt.Errorf("storage: checkpoint: write %s: %w", tmp, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("storage: checkpoint: write %s: %w", tmp, err)
	}
	e.wmu.Lock()
	mid := e.off
	e.wmu.Unlock()
	if err := copyRecords(f, old, snapOff, mid); err != nil {
		return fmt.Errorf("storage: checkpoint: copy %s to %s: %w", e.path, tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: checkpoint: fsync %s: %w", tmp, err)
	}
	e.wmu.Lock()
	defer e.wmu.Unlock()
	if e.closed && !closing {
		return ErrClosed
	}
	end := e.off
	if err := copyRecords(f, old, mid, end); err != nil {
		return fmt.Errorf("storage: checkpoint: copy %s to %s: %w", e.path, tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("storage: checkpoint: fsync %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, e.path); err != nil {
		return fmt.Errorf("storage: checkpoint: rename %s: %w", tmp, err)
	}
	installed = true
	e.logMu.Lock()
	e.f = f
	e.logMu.Unlock()
	old.Close()
	e.off = fileHeaderSize + (end - snapOff)
	e.ckptOff = fileHeaderSize
	e.gen = gen + 1
	e.logBytes.Store(e.off)
	if err := syncDir(e.dir); err != nil {
		// The rename may not be durable: after a crash the old log could
		// come back, which the checkpoint still pairs with correctly, but
		// missing writes acknowledged from now on. Stop writes.
		err = fmt.Errorf("storage: checkpoint: %w", err)
		e.setFatal(err)
		return err
	}
	e.markSynced()
	e.compactions.Add(1)
	e.logger.Info("checkpoint", "keys", snap.Len(), "log_bytes", e.off, "took", time.Since(start))
	return nil
}

// slotExtents returns, per class, one more than the highest slot t
// references (0 if none).
func slotExtents(t *btree.BTreeG[item]) []int {
	ext := make([]int, numClasses)
	t.Ascend(func(it item) bool {
		if c := it.loc.class; c != classNone && c != classLarge {
			ext[c] = max(ext[c], int(it.loc.slot)+1)
		}
		return true
	})
	return ext
}

// setCkptSlots records the slot extents of a checkpoint being written
// (merge: the previous one may still be the one on disk) or installed.
// The caller holds ckptMu.
func (e *Engine) setCkptSlots(ext []int, merge bool) {
	for _, s := range e.st.all() {
		s.mu.Lock()
		if merge {
			s.ckptSlots = max(s.ckptSlots, ext[s.class])
		} else {
			s.ckptSlots = ext[s.class]
		}
		s.mu.Unlock()
	}
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
