package storage

import (
	"bytes"
	"os"
	"testing"
)

func fuzzSeedRecords() [][]byte {
	return [][]byte{
		encodeRecord([]op{{kind: opPut, key: []byte("k"), value: []byte("v")}}),
		encodeRecord([]op{{kind: opDelete, key: []byte("k")}}),
		encodeRecord([]op{
			{kind: opPut, key: []byte("a"), value: nil},
			{kind: opDelete, key: []byte("b")},
			{kind: opPut, key: bytes.Repeat([]byte("k"), 200), value: bytes.Repeat([]byte("v"), 300)},
		}),
	}
}

// FuzzDecodeRecord feeds arbitrary bytes to the record and batch decoders.
// They must never panic, and whatever they accept must re-encode to exactly
// the bytes they consumed.
func FuzzDecodeRecord(f *testing.F) {
	for _, rec := range fuzzSeedRecords() {
		f.Add(rec)
		f.Add(rec[:len(rec)-1])
		f.Add(rec[recordHeaderSize:])
		bad := bytes.Clone(rec)
		bad[len(bad)-1] ^= 1
		f.Add(bad)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Add([]byte{7, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 1, 'k'})
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, n, err := decodeRecord(data, nil)
		if err == nil {
			if n < recordHeaderSize+minPayloadSize || n > len(data) {
				t.Fatalf("decodeRecord consumed %d of %d bytes", n, len(data))
			}
			if re := encodeRecord(ops); !bytes.Equal(re, data[:n]) {
				t.Fatalf("re-encoding differs:\n got %x\nwant %x", re, data[:n])
			}
		}
		ops, err = decodeBatch(data, nil)
		if err == nil {
			if re := encodeRecord(ops); !bytes.Equal(re[recordHeaderSize:], data) {
				t.Fatalf("re-encoding of batch differs:\n got %x\nwant %x", re[recordHeaderSize:], data)
			}
			for _, o := range ops {
				if len(o.key) == 0 || (o.kind != opPut && o.kind != opDelete) {
					t.Fatalf("decoded invalid op %+v", o)
				}
			}
		}
	})
}

// FuzzReplay feeds arbitrary log files to replay. It must never panic; when
// it accepts a file, the valid prefix it reports must replay cleanly to the
// same ops.
func FuzzReplay(f *testing.F) {
	var log []byte
	log = append(log, encodeFileHeader()...)
	for _, rec := range fuzzSeedRecords() {
		log = append(log, rec...)
	}
	f.Add(log)
	f.Add(log[:len(log)-3])
	f.Add(append(bytes.Clone(log), 0, 0, 0, 0, 0, 0, 0, 0, 0))
	mid := bytes.Clone(log)
	mid[fileHeaderSize+recordHeaderSize+5] ^= 0xff
	f.Add(mid)
	f.Add(encodeFileHeader())
	f.Fuzz(func(t *testing.T, data []byte) {
		var count int
		end, records, err := replayLog(bytes.NewReader(data), int64(len(data)), func(ops []op) { count += len(ops) })
		if err != nil {
			return
		}
		if end < fileHeaderSize || end > int64(len(data)) {
			t.Fatalf("end %d outside [%d, %d]", end, fileHeaderSize, len(data))
		}
		var count2 int
		end2, records2, err := replayLog(bytes.NewReader(data[:end]), end, func(ops []op) { count2 += len(ops) })
		if err != nil || end2 != end || records2 != records || count2 != count {
			t.Fatalf("replay of valid prefix: end %d records %d ops %d err %v; want %d %d %d",
				end2, records2, count2, err, end, records, count)
		}
	})
}

// FuzzCheckpoint feeds arbitrary bytes to the checkpoint decoder: it must
// never panic, and what it accepts must re-encode to the same entries.
func FuzzCheckpoint(f *testing.F) {
	var buf bytes.Buffer
	tr := newTree()
	tr.ReplaceOrInsert(item{key: []byte("a"), loc: loc{class: classNone}})
	tr.ReplaceOrInsert(item{key: []byte("b"), loc: loc{class: 3, slot: 7, id: 5, size: 10, vlen: 10}})
	tr.ReplaceOrInsert(item{key: []byte("c"), loc: loc{class: classLarge, id: 6, size: 100, vlen: 900, flags: flagCompressed}})
	dir := f.TempDir()
	if err := writeCheckpoint(dir, ckptHeader{oldGen: 1, newGen: 2, logOff: fileHeaderSize, nextID: 9}, tr, nil); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(dir + "/" + ckptName)
	if err != nil {
		f.Fatal(err)
	}
	buf.Write(data)
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:ckptHeaderSize])
	f.Add(buf.Bytes()[:len(data)-1])
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []item
		h, err := decodeCheckpoint(data, func(it item) error { got = append(got, it); return nil })
		if err != nil {
			return
		}
		if uint64(len(got)) != h.count {
			t.Fatalf("accepted %d entries, header says %d", len(got), h.count)
		}
		for _, it := range got {
			re, rest, err := decodeCkptEntry(appendCkptEntry(nil, it))
			if err != nil || len(rest) != 0 || !bytes.Equal(re.key, it.key) || re.loc != it.loc {
				t.Fatalf("entry %+v does not round-trip: %+v %v", it, re, err)
			}
		}
	})
}

// FuzzSlot feeds arbitrary slot bytes to the slot verifier: it must never
// panic and never accept bytes that were not written for that key and
// location.
func FuzzSlot(f *testing.F) {
	l := loc{id: 42, size: 5, vlen: 5, class: 0}
	slot := make([]byte, slotHeaderSize+5)
	copy(slot[slotHeaderSize:], "hello")
	slotHeader(slot, []byte("key"), l, slot[slotHeaderSize:])
	f.Add(slot, []byte("key"))
	f.Add(slot[:10], []byte("key"))
	f.Add(slot, []byte("kez"))
	f.Fuzz(func(t *testing.T, b, key []byte) {
		p, err := checkSlot(b, key, l)
		if err != nil {
			return
		}
		want := make([]byte, slotHeaderSize+len(p))
		copy(want[slotHeaderSize:], p)
		slotHeader(want, key, l, p)
		if !bytes.Equal(want, b[:len(want)]) {
			t.Fatalf("accepted a slot that does not re-encode")
		}
		checkSlabHeader(b, 64)
	})
}
