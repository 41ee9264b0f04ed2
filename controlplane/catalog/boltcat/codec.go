package boltcat

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/photondb-io/photondb/controlplane/catalog"
)

// Stored entry: create index (8 bytes), modify index (8 bytes), value.
const entryHeader = 16

func encodeEntry(create, modify uint64, value []byte) []byte {
	b := make([]byte, entryHeader, entryHeader+len(value))
	binary.BigEndian.PutUint64(b[0:8], create)
	binary.BigEndian.PutUint64(b[8:16], modify)
	return append(b, value...)
}

// decodeEntry copies raw (which bbolt owns) into an Entry.
func decodeEntry(key string, raw []byte) (catalog.Entry, error) {
	if len(raw) < entryHeader {
		return catalog.Entry{}, fmt.Errorf("corrupt entry %q: %d bytes", key, len(raw))
	}
	return catalog.Entry{
		Key:         key,
		CreateIndex: binary.BigEndian.Uint64(raw[0:8]),
		ModifyIndex: binary.BigEndian.Uint64(raw[8:16]),
		Value:       append([]byte{}, raw[entryHeader:]...),
	}, nil
}

// Log record: uvarint count, then per change a flag byte (1 = deleted),
// uvarint key length, key, and for a put uvarint value length, value.
const flagDeleted = 1

func encodeChanges(changes []catalog.Change) []byte {
	size := binary.MaxVarintLen64
	for _, ch := range changes {
		size += 1 + 2*binary.MaxVarintLen64 + len(ch.Key) + len(ch.Value)
	}
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(changes)))
	for _, ch := range changes {
		var flags byte
		if ch.Deleted {
			flags = flagDeleted
		}
		b = append(b, flags)
		b = binary.AppendUvarint(b, uint64(len(ch.Key)))
		b = append(b, ch.Key...)
		if !ch.Deleted {
			b = binary.AppendUvarint(b, uint64(len(ch.Value)))
			b = append(b, ch.Value...)
		}
	}
	return b
}

var errCorrupt = errors.New("corrupt change record")

// decodeChanges parses a log record, copying out of raw. It never panics
// on malformed input.
func decodeChanges(raw []byte) ([]catalog.Change, error) {
	d := decoder{b: raw}
	n := d.uvarint()
	// Each change takes at least three bytes, which bounds the allocation.
	if d.err != nil || n == 0 || n > uint64(len(d.b))/3 {
		return nil, fmt.Errorf("%w: bad change count", errCorrupt)
	}
	out := make([]catalog.Change, 0, n)
	for i := uint64(0); i < n; i++ {
		flags := d.byte()
		key := string(d.bytes())
		var ch catalog.Change
		switch flags {
		case 0:
			ch = catalog.Change{Key: key, Value: append([]byte{}, d.bytes()...)}
		case flagDeleted:
			ch = catalog.Change{Key: key, Deleted: true}
		default:
			return nil, fmt.Errorf("%w: change %d has flags %#x", errCorrupt, i, flags)
		}
		if d.err != nil {
			return nil, fmt.Errorf("%w: change %d: %v", errCorrupt, i, d.err)
		}
		if !catalog.ValidKey(key) {
			return nil, fmt.Errorf("%w: change %d has malformed key %q", errCorrupt, i, key)
		}
		out = append(out, ch)
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(d.b))
	}
	return out, nil
}

// decoder reads from b, recording the first error and returning zero
// values after it.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errors.New("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = errors.New("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = fmt.Errorf("length %d exceeds the %d bytes left", n, len(d.b))
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
