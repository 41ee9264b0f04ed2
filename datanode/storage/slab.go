package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Slab layout constants. See doc.go.
const (
	slabMagic      = "PHDBSLAB"
	slabVersion    = 1
	slabHeaderSize = 32 // magic, version u32, slot size u32, 12 reserved, crc u32

	// slotHeaderSize is crc u32 + length/flags u32 + value id u64.
	slotHeaderSize = 16

	minSlotSize = 64
	maxSlotSize = 64 << 10
	// maxSlotPayload is the largest stored value that fits in a slot;
	// anything bigger is a large object.
	maxSlotPayload = maxSlotSize - slotHeaderSize

	classNone  = 255 // empty value: nothing stored
	classLarge = 254 // one file per value under large/

	flagCompressed = 1

	largeDirName = "large"
	largeMagic   = "PHDBLOB1"
	// largeHeaderSize is magic (8) followed by a slot header.
	largeHeaderSize = 8 + slotHeaderSize
)

// slotSizes are the size classes: 8 steps per doubling from 64 B to 64 KiB,
// so a slot wastes at most 1/8 of its size to rounding.
var slotSizes = func() []int {
	var s []int
	for p := minSlotSize; p < maxSlotSize; p *= 2 {
		for k := range 8 {
			s = append(s, p+k*p/8)
		}
	}
	return append(s, maxSlotSize)
}()

var numClasses = len(slotSizes)

// classFor returns the smallest class whose slots hold a stored value of n
// bytes, or classLarge.
func classFor(n int) uint8 {
	if n > maxSlotPayload {
		return classLarge
	}
	i, _ := slices.BinarySearch(slotSizes, n+slotHeaderSize)
	return uint8(i)
}

// loc says where a value is stored. It is immutable once in the index.
type loc struct {
	id    uint64 // unique per stored value (per write); also the large file name
	slot  uint32 // slot index within the class file
	size  uint32 // stored (possibly compressed) length
	vlen  uint32 // logical value length
	class uint8
	flags uint8
}

// slotHeader encodes the header of a slot (or large file) holding payload
// for key. The CRC covers the key, the rest of the header and the payload,
// so a slot that holds another key's value, or a stale value, never
// verifies.
func slotHeader(dst []byte, key []byte, l loc, payload []byte) {
	binary.LittleEndian.PutUint32(dst[4:8], l.size|uint32(l.flags)<<24)
	binary.LittleEndian.PutUint64(dst[8:16], l.id)
	c := crc32.Update(checksum(key), castagnoli, dst[4:16])
	c = crc32.Update(c, castagnoli, payload)
	binary.LittleEndian.PutUint32(dst[0:4], c)
}

// checkSlot verifies a slot (header + at least l.size payload bytes) read
// for key at l and returns its payload.
func checkSlot(b []byte, key []byte, l loc) ([]byte, error) {
	if len(b) < slotHeaderSize+int(l.size) {
		return nil, fmt.Errorf("slot of %d bytes is shorter than its %d-byte value", len(b), l.size)
	}
	lf := binary.LittleEndian.Uint32(b[4:8])
	if size, flags := lf&0xffffff, uint8(lf>>24); size != l.size || flags != l.flags {
		return nil, fmt.Errorf("slot header says %d bytes flags %#x, index says %d bytes flags %#x", size, flags, l.size, l.flags)
	}
	if id := binary.LittleEndian.Uint64(b[8:16]); id != l.id {
		return nil, fmt.Errorf("slot holds value id %d, index says %d", id, l.id)
	}
	payload := b[slotHeaderSize : slotHeaderSize+int(l.size)]
	c := crc32.Update(checksum(key), castagnoli, b[4:16])
	c = crc32.Update(c, castagnoli, payload)
	if c != binary.LittleEndian.Uint32(b[0:4]) {
		return nil, errors.New("slot checksum mismatch")
	}
	return payload, nil
}

func encodeSlabHeader(slotSize int) []byte {
	h := make([]byte, slabHeaderSize)
	copy(h, slabMagic)
	binary.LittleEndian.PutUint32(h[8:12], slabVersion)
	binary.LittleEndian.PutUint32(h[12:16], uint32(slotSize))
	binary.LittleEndian.PutUint32(h[28:32], checksum(h[:28]))
	return h
}

func checkSlabHeader(h []byte, slotSize int) error {
	if len(h) < slabHeaderSize {
		return fmt.Errorf("file header: %d bytes, want %d: %w", len(h), slabHeaderSize, ErrCorrupt)
	}
	if string(h[:8]) != slabMagic || checksum(h[:28]) != binary.LittleEndian.Uint32(h[28:32]) {
		return fmt.Errorf("file header: bad magic or checksum: %w", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(h[8:12]); v != slabVersion {
		return fmt.Errorf("file header: unsupported slab version %d", v)
	}
	if s := binary.LittleEndian.Uint32(h[12:16]); int(s) != slotSize {
		return fmt.Errorf("file header: slot size %d, want %d: %w", s, slotSize, ErrCorrupt)
	}
	return nil
}

func slabName(class int) string { return fmt.Sprintf("slab-%05d.dat", slotSizes[class]) }

// slab is the file of one size class and its allocation bitmap. A set bit
// is a slot that is live or whose release is pending (see pendingFree); a
// clear bit is free. The bitmap is not stored: Open rebuilds it from the
// index.
type slab struct {
	class int
	size  int64
	path  string
	f     *os.File

	mu      sync.Mutex
	used    []uint64
	nUsed   int // set bits
	hint    int // no zero bit in used[:hint]
	nslots  int // the file holds slots [0, nslots)
	pending int // set bits whose release is pending
	// ckptSlots bounds the slots the checkpoint on disk references: all
	// are below it. Truncation never cuts the file below it (see
	// truncateSlabs). Written under ckptMu and mu.
	ckptSlots int
}

func (s *slab) off(slot uint32) int64 { return slabHeaderSize + int64(slot)*s.size }

func (s *slab) setLocked(slot uint32) {
	w, b := int(slot/64), slot%64
	for w >= len(s.used) {
		s.used = append(s.used, 0)
	}
	if s.used[w]&(1<<b) == 0 {
		s.used[w] |= 1 << b
		s.nUsed++
	}
	if int(slot) >= s.nslots {
		s.nslots = int(slot) + 1
	}
}

// alloc returns the lowest free slot, marking it used.
func (s *slab) alloc() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.hint < len(s.used) && s.used[s.hint] == ^uint64(0) {
		s.hint++
	}
	slot := uint32(s.hint * 64)
	if s.hint < len(s.used) {
		slot += uint32(bits.TrailingZeros64(^s.used[s.hint]))
	}
	s.setLocked(slot)
	return slot
}

// release clears slot, making it free for reuse.
func (s *slab) release(slot uint32, wasPending bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, b := int(slot/64), slot%64
	if w < len(s.used) && s.used[w]&(1<<b) != 0 {
		s.used[w] &^= 1 << b
		s.nUsed--
		if w < s.hint {
			s.hint = w
		}
	}
	if wasPending {
		s.pending--
	}
}

// store owns the value files. It is reference counted so that snapshots and
// iterators can keep reading after the Engine is closed.
type store struct {
	dir      string
	largeDir string

	mu    sync.Mutex
	refs  int
	slabs []*slab // by class; nil until first used
}

func newStore(dir string) *store {
	return &store{dir: dir, largeDir: filepath.Join(dir, largeDirName), refs: 1, slabs: make([]*slab, numClasses)}
}

func (st *store) acquire() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.refs == 0 {
		return false
	}
	st.refs++
	return true
}

func (st *store) release() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.refs--
	if st.refs == 0 {
		for _, s := range st.slabs {
			if s != nil {
				s.f.Close()
			}
		}
	}
}

// openExisting opens every slab file in dir.
func (st *store) openExisting() error {
	for c := range numClasses {
		path := filepath.Join(st.dir, slabName(c))
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("storage: open slab %s: %w", path, err)
		}
		h := make([]byte, slabHeaderSize)
		if err := readFullAt(f, h, 0); err == nil {
			err = checkSlabHeader(h, slotSizes[c])
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("storage: slab %s: offset 0: %w", path, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("storage: stat slab %s: %w", path, err)
		}
		s := &slab{class: c, size: int64(slotSizes[c]), path: path, f: f}
		s.nslots = int((fi.Size() - slabHeaderSize + s.size - 1) / s.size)
		st.slabs[c] = s
	}
	return nil
}

// slab returns the slab of class c, creating its file if needed.
func (st *store) slab(c uint8) (*slab, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if s := st.slabs[c]; s != nil {
		return s, nil
	}
	if st.refs == 0 {
		return nil, ErrClosed
	}
	path := filepath.Join(st.dir, slabName(int(c)))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err == nil {
		_, err = f.WriteAt(encodeSlabHeader(slotSizes[c]), 0)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("storage: create slab %s: %w", path, err)
	}
	s := &slab{class: int(c), size: int64(slotSizes[c]), path: path, f: f}
	st.slabs[c] = s
	return s, nil
}

// existing returns the slab of class c or nil.
func (st *store) existing(c uint8) *slab {
	st.mu.Lock()
	defer st.mu.Unlock()
	if int(c) >= len(st.slabs) {
		return nil
	}
	return st.slabs[c]
}

func (st *store) all() []*slab {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []*slab
	for _, s := range st.slabs {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (st *store) largePath(id uint64) string {
	return filepath.Join(st.largeDir, strconv.FormatUint(id, 16)+".val")
}

// largeIDs lists the ids of the large-object files on disk.
func (st *store) largeIDs() ([]uint64, error) {
	ents, err := os.ReadDir(st.largeDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".val")
		if !ok {
			os.Remove(filepath.Join(st.largeDir, e.Name())) // a stale .tmp
			continue
		}
		if id, err := strconv.ParseUint(name, 16, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// readSlot reads and verifies the value stored at l for key, returning
// the stored payload (still compressed if l.flags says so).
func (st *store) readSlot(key []byte, l loc, buf []byte) ([]byte, error) {
	if l.class == classLarge {
		path := st.largePath(l.id)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("storage: read large value %s: %w", path, err)
		}
		if len(b) < largeHeaderSize || string(b[:8]) != largeMagic {
			return nil, fmt.Errorf("storage: large value %s: offset 0: bad header: %w", path, ErrCorrupt)
		}
		p, err := checkSlot(b[8:], key, l)
		if err != nil {
			return nil, fmt.Errorf("storage: large value %s: offset 8: %v: %w", path, err, ErrCorrupt)
		}
		return p, nil
	}
	s := st.existing(l.class)
	if s == nil {
		return nil, fmt.Errorf("storage: slab file %s is missing: %w", slabName(int(l.class)), ErrCorrupt)
	}
	n := slotHeaderSize + int(l.size)
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	off := s.off(l.slot)
	if err := readFullAt(s.f, buf, off); err != nil {
		if errors.Is(err, os.ErrClosed) {
			return nil, ErrClosed
		}
		return nil, fmt.Errorf("storage: read slab %s at offset %d: %w: %w", s.path, off, err, ErrCorrupt)
	}
	p, err := checkSlot(buf, key, l)
	if err != nil {
		return nil, fmt.Errorf("storage: slab %s: slot at offset %d: %v: %w", s.path, off, err, ErrCorrupt)
	}
	return p, nil
}
