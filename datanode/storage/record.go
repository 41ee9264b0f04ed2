package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// On-disk constants. See doc.go for the layout they describe.
const (
	logMagic   = "PHDBLOG1"
	logVersion = 2

	// fileHeaderSize is magic (8) + version (u32) + generation (u64) +
	// CRC32C of the first 20 bytes (u32).
	fileHeaderSize = 24

	// recordHeaderSize is payload length (u32) + CRC32C of the payload (u32).
	recordHeaderSize = 8

	// batchHeaderSize is the op count (u32) at the start of every payload.
	batchHeaderSize = 4

	// minOpSize is the smallest encoded op: a delete of a one-byte key.
	minOpSize = 1 + 1 + 1

	// minPayloadSize is the smallest valid payload: one op.
	minPayloadSize = batchHeaderSize + minOpSize
)

// Op kinds as stored in the log.
const (
	opPut    byte = 1
	opDelete byte = 2
)

// Size limits enforced when a batch is built and again when the log is read.
const (
	// MaxKeySize is the largest key, in bytes, a Batch accepts.
	MaxKeySize = 64 << 10
	// MaxValueSize is the largest value, in bytes, a Batch accepts.
	MaxValueSize = 256 << 20
	// MaxBatchSize is the largest encoded batch, in bytes, a Batch accepts.
	// It bounds the memory a single log record can make replay allocate.
	MaxBatchSize = 512 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// op is one decoded operation. key and value alias the buffer they were
// decoded from.
type op struct {
	kind  byte
	key   []byte
	value []byte
}

// encodedOpSize is the number of payload bytes op occupies.
func encodedOpSize(kind byte, keyLen, valueLen int) int {
	n := 1 + uvarintLen(uint64(keyLen)) + keyLen
	if kind == opPut {
		n += uvarintLen(uint64(valueLen)) + valueLen
	}
	return n
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// appendOp appends the encoding of one op to dst.
func appendOp(dst []byte, kind byte, key, value []byte) []byte {
	dst = append(dst, kind)
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	dst = append(dst, key...)
	if kind == opPut {
		dst = binary.AppendUvarint(dst, uint64(len(value)))
		dst = append(dst, value...)
	}
	return dst
}

// sealRecord fills in the record header of rec, whose first
// recordHeaderSize+batchHeaderSize bytes are reserved and whose remaining
// bytes are count encoded ops.
func sealRecord(rec []byte, count int) {
	payload := rec[recordHeaderSize:]
	binary.LittleEndian.PutUint32(payload[0:4], uint32(count))
	binary.LittleEndian.PutUint32(rec[0:4], uint32(len(payload)))
	binary.LittleEndian.PutUint32(rec[4:8], checksum(payload))
}

// encodeRecord returns a complete record holding ops. It is used by
// compaction and tests; Batch builds its record incrementally.
func encodeRecord(ops []op) []byte {
	rec := make([]byte, recordHeaderSize+batchHeaderSize, 64)
	for _, o := range ops {
		rec = appendOp(rec, o.kind, o.key, o.value)
	}
	sealRecord(rec, len(ops))
	return rec
}

// errDecode is returned (wrapped) by the decoders for malformed input. It is
// internal: callers turn it into an ErrCorrupt error that names the file and
// offset.
var errDecode = errors.New("malformed batch")

// decodeBatch decodes a record payload, appending the ops to dst. The
// returned ops alias payload. The whole payload is validated before anything
// is returned, so a caller never sees part of a malformed batch.
func decodeBatch(payload []byte, dst []op) ([]op, error) {
	if len(payload) < minPayloadSize {
		return dst, fmt.Errorf("%w: payload of %d bytes is too short", errDecode, len(payload))
	}
	count := binary.LittleEndian.Uint32(payload)
	p := payload[batchHeaderSize:]
	if count == 0 {
		return dst, fmt.Errorf("%w: zero ops", errDecode)
	}
	if uint64(count) > uint64(len(p)/minOpSize) {
		return dst, fmt.Errorf("%w: %d ops cannot fit in %d bytes", errDecode, count, len(p))
	}
	start := len(dst)
	for i := uint32(0); i < count; i++ {
		if len(p) == 0 {
			return dst[:start], fmt.Errorf("%w: op %d: truncated", errDecode, i)
		}
		kind := p[0]
		p = p[1:]
		if kind != opPut && kind != opDelete {
			return dst[:start], fmt.Errorf("%w: op %d: unknown kind %d", errDecode, i, kind)
		}
		key, rest, err := readChunk(p, MaxKeySize)
		if err != nil {
			return dst[:start], fmt.Errorf("%w: op %d: key: %v", errDecode, i, err)
		}
		if len(key) == 0 {
			return dst[:start], fmt.Errorf("%w: op %d: empty key", errDecode, i)
		}
		p = rest
		var value []byte
		if kind == opPut {
			value, rest, err = readChunk(p, MaxValueSize)
			if err != nil {
				return dst[:start], fmt.Errorf("%w: op %d: value: %v", errDecode, i, err)
			}
			p = rest
		}
		dst = append(dst, op{kind: kind, key: key, value: value})
	}
	if len(p) != 0 {
		return dst[:start], fmt.Errorf("%w: %d trailing bytes", errDecode, len(p))
	}
	return dst, nil
}

// readChunk reads a canonical uvarint length followed by that many bytes.
func readChunk(p []byte, max int) (chunk, rest []byte, err error) {
	n, w := binary.Uvarint(p)
	if w <= 0 {
		return nil, nil, errors.New("bad length varint")
	}
	if w != uvarintLen(n) {
		return nil, nil, errors.New("non-canonical length varint")
	}
	if n > uint64(max) {
		return nil, nil, fmt.Errorf("length %d exceeds limit %d", n, max)
	}
	p = p[w:]
	if n > uint64(len(p)) {
		return nil, nil, fmt.Errorf("length %d exceeds remaining %d bytes", n, len(p))
	}
	return p[:n:n], p[n:], nil
}

// decodeRecord decodes one complete record from the start of b. It returns
// the ops, the number of bytes the record occupies, and an error if b does
// not start with a complete, checksummed, well-formed record.
func decodeRecord(b []byte, dst []op) ([]op, int, error) {
	if len(b) < recordHeaderSize {
		return dst, 0, fmt.Errorf("%w: short record header", errDecode)
	}
	n := binary.LittleEndian.Uint32(b[0:4])
	sum := binary.LittleEndian.Uint32(b[4:8])
	if n < minPayloadSize || n > MaxBatchSize {
		return dst, 0, fmt.Errorf("%w: implausible payload length %d", errDecode, n)
	}
	if uint64(n) > uint64(len(b)-recordHeaderSize) {
		return dst, 0, fmt.Errorf("%w: record of %d bytes is truncated", errDecode, n)
	}
	payload := b[recordHeaderSize : recordHeaderSize+int(n)]
	if checksum(payload) != sum {
		return dst, 0, fmt.Errorf("%w: checksum mismatch", errDecode)
	}
	ops, err := decodeBatch(payload, dst)
	if err != nil {
		return ops, 0, err
	}
	return ops, recordHeaderSize + int(n), nil
}

// encodeFileHeader returns the header of a generation-1 log.
func encodeFileHeader() []byte { return encodeLogHeader(logVersion, 1) }

// encodeLogHeader returns the 24-byte header every log file starts with.
func encodeLogHeader(version uint32, gen uint64) []byte {
	h := make([]byte, fileHeaderSize)
	copy(h, logMagic)
	binary.LittleEndian.PutUint32(h[8:12], version)
	binary.LittleEndian.PutUint64(h[12:20], gen)
	binary.LittleEndian.PutUint32(h[20:24], checksum(h[:20]))
	return h
}

// logGen returns the generation of a log header that checkFileHeader
// accepted.
func logGen(h []byte) uint64 { return binary.LittleEndian.Uint64(h[12:20]) }

// checkFileHeader validates a log file header.
func checkFileHeader(h []byte) error {
	if len(h) < fileHeaderSize {
		return fmt.Errorf("file header: %d bytes, want %d: %w", len(h), fileHeaderSize, ErrCorrupt)
	}
	if string(h[:8]) != logMagic {
		return fmt.Errorf("file header: bad magic %q: %w", h[:8], ErrCorrupt)
	}
	if checksum(h[:20]) != binary.LittleEndian.Uint32(h[20:24]) {
		return fmt.Errorf("file header: checksum mismatch: %w", ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(h[8:12]); v != logVersion {
		return fmt.Errorf("file header: unsupported log version %d (this build reads version %d)", v, logVersion)
	}
	return nil
}
