package storage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// replayLog reads a log of size bytes from r and calls apply, in order, with
// the ops of every valid record. The ops alias a buffer reused across calls.
//
// It returns end, the offset just past the last valid record. If end < size
// the bytes after it are a torn tail: a damaged record with no valid record
// anywhere after it, which can only be an interrupted, unacknowledged
// append, and which the caller should truncate. Damage followed by a valid
// record, a damaged file header, or a checksummed record that does not
// decode is corruption: replayLog returns an error wrapping ErrCorrupt that
// gives the offset. apply is never called for a record after the damage.
func replayLog(r io.ReaderAt, size int64, apply func([]op)) (end int64, records int, err error) {
	return replayLogFrom(r, size, fileHeaderSize, func(ops []op) error { apply(ops); return nil })
}

// replayLogFrom is replayLog starting at offset from (>= fileHeaderSize), a
// record boundary recorded by a checkpoint. An error returned by apply stops
// the replay and is returned as is.
func replayLogFrom(r io.ReaderAt, size, from int64, apply func([]op) error) (end int64, records int, err error) {
	hdr := make([]byte, fileHeaderSize)
	if size < fileHeaderSize {
		return 0, 0, fmt.Errorf("offset 0: file of %d bytes is shorter than the %d-byte header: %w",
			size, fileHeaderSize, ErrCorrupt)
	}
	if err := readFullAt(r, hdr, 0); err != nil {
		return 0, 0, fmt.Errorf("read file header: %w", err)
	}
	if err := checkFileHeader(hdr); err != nil {
		return 0, 0, fmt.Errorf("offset 0: %w", err)
	}

	if from < fileHeaderSize || from > size {
		return 0, 0, fmt.Errorf("offset %d: checkpoint replay start lies outside the %d-byte log: %w", from, size, ErrCorrupt)
	}
	body := size - from
	br := bufio.NewReaderSize(io.NewSectionReader(r, from, body), int(min(body+1, 1<<20)))
	var (
		rh      [recordHeaderSize]byte
		payload []byte
		ops     []op
	)
	off := from
	for off < size {
		reason := ""
		if size-off < recordHeaderSize {
			reason = "short record header"
		} else if _, err := io.ReadFull(br, rh[:]); err != nil {
			return 0, records, fmt.Errorf("read record at offset %d: %w", off, err)
		} else if n := binary.LittleEndian.Uint32(rh[0:4]); n < minPayloadSize || n > MaxBatchSize {
			reason = fmt.Sprintf("implausible payload length %d", n)
		} else if int64(n) > size-off-recordHeaderSize {
			reason = fmt.Sprintf("record of %d bytes extends past end of file", n)
		} else {
			if cap(payload) < int(n) {
				payload = make([]byte, n)
			}
			payload = payload[:n]
			if _, err := io.ReadFull(br, payload); err != nil {
				return 0, records, fmt.Errorf("read record at offset %d: %w", off, err)
			}
			if checksum(payload) != binary.LittleEndian.Uint32(rh[4:8]) {
				reason = "checksum mismatch"
			}
		}
		if reason != "" {
			next, found, err := findValidRecord(r, off+1, size)
			if err != nil {
				return 0, records, fmt.Errorf("scan after damaged record at offset %d: %w", off, err)
			}
			if found {
				return 0, records, fmt.Errorf("record at offset %d: %s, but a valid record follows at offset %d: %w",
					off, reason, next, ErrCorrupt)
			}
			return off, records, nil // torn tail
		}
		ops, err = decodeBatch(payload, ops[:0])
		if err != nil {
			// The checksum matched, so these bytes were written as they
			// are: not a torn write.
			return 0, records, fmt.Errorf("record at offset %d: %v: %w", off, err, ErrCorrupt)
		}
		if err := apply(ops); err != nil {
			return 0, records, err
		}
		records++
		off += recordHeaderSize + int64(len(payload))
	}
	return off, records, nil
}

// findValidRecord scans [start, size) of r for an offset at which a
// complete, checksummed, decodable record begins.
//
// Garbage can make almost every offset look like a record header with a
// plausible length, so each candidate is first screened cheaply on the bytes
// at hand (op count, first op kind and key length), then decoded, which
// costs one step per op rather than per byte, and only then checksummed.
func findValidRecord(r io.ReaderAt, start, size int64) (int64, bool, error) {
	const (
		window = 1 << 20
		// overlap covers a record header and the payload bytes that
		// plausibleStart looks at.
		overlap = recordHeaderSize + batchHeaderSize + 1 + binary.MaxVarintLen32
	)
	buf := make([]byte, max(0, min(window+overlap, size-start)))
	var (
		big []byte // payloads that extend past the buffer
		ops []op
	)
	for base := start; size-base >= recordHeaderSize+minPayloadSize; base += window {
		n := int(min(int64(len(buf)), size-base))
		if err := readFullAt(r, buf[:n], base); err != nil {
			return 0, false, err
		}
		for i := 0; i < window && i+recordHeaderSize+minPayloadSize <= n; i++ {
			pos := base + int64(i)
			l := binary.LittleEndian.Uint32(buf[i:])
			if l < minPayloadSize || l > MaxBatchSize || int64(l) > size-pos-recordHeaderSize ||
				!plausibleStart(buf[i+recordHeaderSize:n], l) {
				continue
			}
			var payload []byte
			if j := i + recordHeaderSize + int(l); j <= n {
				payload = buf[i+recordHeaderSize : j]
			} else {
				if cap(big) < int(l) {
					big = make([]byte, l)
				}
				payload = big[:l]
				if err := readFullAt(r, payload, pos+recordHeaderSize); err != nil {
					return 0, false, err
				}
			}
			var err error
			if ops, err = decodeBatch(payload, ops[:0]); err != nil {
				continue
			}
			if checksum(payload) == binary.LittleEndian.Uint32(buf[i+4:]) {
				return pos, true, nil
			}
		}
	}
	return 0, false, nil
}

// plausibleStart reports whether p, a prefix of a candidate payload of
// length l, could begin a valid batch. It errs on the side of true when p is
// too short to tell.
func plausibleStart(p []byte, l uint32) bool {
	if len(p) < batchHeaderSize+1 {
		return true
	}
	count := binary.LittleEndian.Uint32(p)
	if count == 0 || count > (l-batchHeaderSize)/minOpSize {
		return false
	}
	if kind := p[batchHeaderSize]; kind != opPut && kind != opDelete {
		return false
	}
	keyLen, w := binary.Uvarint(p[batchHeaderSize+1:])
	if w == 0 {
		return true // varint runs past p
	}
	return w > 0 && keyLen > 0 && keyLen <= MaxKeySize && keyLen < uint64(l)
}

// readFullAt fills b from r at off. Unlike a bare ReadAt it accepts the
// io.EOF that may accompany a read ending exactly at the end of the file.
func readFullAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read %d bytes at offset %d: %w", len(b), off, err)
}
