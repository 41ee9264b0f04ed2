package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/google/btree"
)

const (
	ckptName       = "index.ckpt"
	ckptMagic      = "PHDBCKP1"
	ckptVersion    = 1
	ckptHeaderSize = 56
	ckptChunkSize  = 1 << 20
	// ckptMinEntry is the smallest encoded entry: 1-byte key length, 1-byte
	// key, class, four 1-byte varints and flags.
	ckptMinEntry = 1 + 1 + 1 + 4 + 1
)

// ckptHeader says which log state a checkpoint covers: if the log's
// generation is oldGen, replay it from logOff; if it is newGen (the log was
// already rewritten to hold only records after the checkpoint), replay it
// from the start.
type ckptHeader struct {
	oldGen, newGen uint64
	logOff         int64
	nextID         uint64 // every value id in the checkpoint is below it
	count          uint64
}

func encodeCkptHeader(h ckptHeader) []byte {
	b := make([]byte, ckptHeaderSize)
	copy(b, ckptMagic)
	binary.LittleEndian.PutUint32(b[8:12], ckptVersion)
	binary.LittleEndian.PutUint64(b[12:20], h.oldGen)
	binary.LittleEndian.PutUint64(b[20:28], uint64(h.logOff))
	binary.LittleEndian.PutUint64(b[28:36], h.newGen)
	binary.LittleEndian.PutUint64(b[36:44], h.nextID)
	binary.LittleEndian.PutUint64(b[44:52], h.count)
	binary.LittleEndian.PutUint32(b[52:56], checksum(b[:52]))
	return b
}

func appendCkptEntry(dst []byte, it item) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(it.key)))
	dst = append(dst, it.key...)
	dst = append(dst, it.loc.class)
	dst = binary.AppendUvarint(dst, uint64(it.loc.slot))
	dst = binary.AppendUvarint(dst, it.loc.id)
	dst = binary.AppendUvarint(dst, uint64(it.loc.size))
	dst = binary.AppendUvarint(dst, uint64(it.loc.vlen))
	return append(dst, it.loc.flags)
}

// decodeCheckpoint validates and decodes a whole checkpoint file. The
// returned keys alias data. Errors give the byte offset of the damage.
func decodeCheckpoint(data []byte, each func(item) error) (ckptHeader, error) {
	var h ckptHeader
	if len(data) < ckptHeaderSize {
		return h, fmt.Errorf("offset 0: file of %d bytes is shorter than the header: %w", len(data), ErrCorrupt)
	}
	if string(data[:8]) != ckptMagic || checksum(data[:52]) != binary.LittleEndian.Uint32(data[52:56]) {
		return h, fmt.Errorf("offset 0: bad header magic or checksum: %w", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(data[8:12]); v != ckptVersion {
		return h, fmt.Errorf("offset 8: unsupported checkpoint version %d", v)
	}
	h.oldGen = binary.LittleEndian.Uint64(data[12:20])
	h.logOff = int64(binary.LittleEndian.Uint64(data[20:28]))
	h.newGen = binary.LittleEndian.Uint64(data[28:36])
	h.nextID = binary.LittleEndian.Uint64(data[36:44])
	h.count = binary.LittleEndian.Uint64(data[44:52])
	if h.newGen != h.oldGen+1 || h.logOff < fileHeaderSize {
		return h, fmt.Errorf("offset 0: inconsistent header: %w", ErrCorrupt)
	}
	var n uint64
	var prev []byte
	off := ckptHeaderSize
	for off < len(data) {
		if len(data)-off < 8 {
			return h, fmt.Errorf("offset %d: truncated chunk header: %w", off, ErrCorrupt)
		}
		l := int(binary.LittleEndian.Uint32(data[off:]))
		if l == 0 || l > len(data)-off-8 {
			return h, fmt.Errorf("offset %d: chunk length %d out of range: %w", off, l, ErrCorrupt)
		}
		p := data[off+8 : off+8+l]
		if checksum(p) != binary.LittleEndian.Uint32(data[off+4:]) {
			return h, fmt.Errorf("offset %d: chunk checksum mismatch: %w", off, ErrCorrupt)
		}
		for len(p) > 0 {
			it, rest, err := decodeCkptEntry(p)
			if err != nil {
				return h, fmt.Errorf("offset %d: chunk entry: %v: %w", off, err, ErrCorrupt)
			}
			if it.loc.id >= h.nextID && it.loc.class != classNone {
				return h, fmt.Errorf("offset %d: value id %d not below next id %d: %w", off, it.loc.id, h.nextID, ErrCorrupt)
			}
			if prev != nil && string(prev) >= string(it.key) {
				return h, fmt.Errorf("offset %d: keys out of order: %w", off, ErrCorrupt)
			}
			prev = it.key
			n++
			if n > h.count {
				return h, fmt.Errorf("offset %d: more than %d entries: %w", off, h.count, ErrCorrupt)
			}
			if err := each(it); err != nil {
				return h, err
			}
			p = rest
		}
		off += 8 + l
	}
	if n != h.count {
		return h, fmt.Errorf("offset %d: %d entries, header says %d (truncated): %w", off, n, h.count, ErrCorrupt)
	}
	return h, nil
}

func decodeCkptEntry(p []byte) (item, []byte, error) {
	var it item
	key, p, err := readChunk(p, MaxKeySize)
	if err != nil {
		return it, nil, err
	}
	if len(key) == 0 || len(p) < 1 {
		return it, nil, errors.New("empty key or truncated entry")
	}
	it.key = key
	it.loc.class = p[0]
	p = p[1:]
	var v [4]uint64
	for i := range v {
		x, w := binary.Uvarint(p)
		if w <= 0 || w != uvarintLen(x) {
			return it, nil, errors.New("bad varint")
		}
		v[i] = x
		p = p[w:]
	}
	if len(p) < 1 {
		return it, nil, errors.New("truncated entry")
	}
	it.loc.flags = p[0]
	p = p[1:]
	if v[0] > 1<<32-1 || v[2] > maxSlotSizeFor(it.loc.class) || v[3] > MaxValueSize {
		return it, nil, errors.New("location out of range")
	}
	it.loc.slot, it.loc.id, it.loc.size, it.loc.vlen = uint32(v[0]), v[1], uint32(v[2]), uint32(v[3])
	switch {
	case it.loc.class == classNone:
		if it.loc.size != 0 || it.loc.vlen != 0 || it.loc.flags != 0 {
			return it, nil, errors.New("empty value with a location")
		}
	case it.loc.class != classLarge && int(it.loc.class) >= numClasses:
		return it, nil, errors.New("unknown size class")
	case it.loc.flags&^flagCompressed != 0:
		return it, nil, errors.New("unknown flags")
	case it.loc.flags == 0 && it.loc.size != it.loc.vlen:
		return it, nil, errors.New("uncompressed length mismatch")
	}
	return it, p, nil
}

func maxSlotSizeFor(class uint8) uint64 {
	switch {
	case class == classLarge:
		return MaxValueSize
	case int(class) < numClasses:
		return uint64(slotSizes[class] - slotHeaderSize)
	}
	return 0
}

// writeCheckpoint writes every item of t to dir/index.ckpt atomically
// (temporary file, fsync, rename, directory fsync).
func writeCheckpoint(dir string, h ckptHeader, t *btree.BTreeG[item], closed *atomic.Bool) error {
	path := filepath.Join(dir, ckptName)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h.count = uint64(t.Len())
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := w.Write(encodeCkptHeader(h)); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	chunk := make([]byte, 8, ckptChunkSize+MaxKeySize+64)
	flush := func() error {
		binary.LittleEndian.PutUint32(chunk[0:4], uint32(len(chunk)-8))
		binary.LittleEndian.PutUint32(chunk[4:8], checksum(chunk[8:]))
		_, err := w.Write(chunk)
		chunk = chunk[:8]
		if err == nil && closed != nil && closed.Load() {
			err = ErrClosed
		}
		return err
	}
	t.Ascend(func(it item) bool {
		chunk = appendCkptEntry(chunk, it)
		if len(chunk) >= ckptChunkSize {
			err = flush()
		}
		return err == nil
	})
	if err == nil && len(chunk) > 8 {
		err = flush()
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	ok = true
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return syncDir(dir)
}
