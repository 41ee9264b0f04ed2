// Package ycsb is a YCSB-style load generator that runs the same workloads
// against PhotonDB (through the official RethinkDB Go driver) and PostgreSQL
// (through pgx, a table (id text primary key, doc jsonb)), side by side.
//
// The workloads are those of issue 5's benchmark: point reads by primary key,
// single-document inserts with hard durability, inserts in batches, YCSB A
// (50/50 read/update on a Zipfian key distribution) and a secondary-index
// range query returning 100 documents. Each runs for a fixed duration with a
// fixed number of client connections, after a load phase; latencies go into
// a log-linear histogram per client.
//
// The program is tests/bench/cmd/ycsb; tests/bench/run.sh (make bench-e2e)
// starts both servers and runs it.
package ycsb

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
)

// NumFields is the number of string fields in a document (YCSB's default).
const NumFields = 10

// fieldNames are the names of the payload fields, field0..field9.
var fieldNames = func() [NumFields]string {
	var n [NumFields]string
	for i := range n {
		n[i] = "field" + strconv.Itoa(i)
	}
	return n
}()

// IndexField is the numeric field carrying the secondary index: a loaded
// record keynum has n == keynum, so the range [lo, lo+100) holds exactly 100
// loaded documents. Inserted records get n >= the record count.
const IndexField = "n"

// Doc is one benchmark document.
type Doc struct {
	ID     string
	N      int64
	Fields [NumFields]string
}

// Map is the document as the RethinkDB driver sends it.
func (d *Doc) Map() map[string]interface{} {
	m := make(map[string]interface{}, NumFields+2)
	m["id"] = d.ID
	m[IndexField] = d.N
	for i, f := range d.Fields {
		m[fieldNames[i]] = f
	}
	return m
}

// JSON is the document as PostgreSQL stores it in the jsonb column.
func (d *Doc) JSON() []byte {
	b, err := json.Marshal(d.Map())
	if err != nil {
		panic(err) // strings and ints only: cannot fail
	}
	return b
}

// Key is the primary key of record keynum. Keys are spread over the key
// space (YCSB's hashed insert order) by a bijective 64-bit mix, so distinct
// record numbers never collide.
func Key(keynum int64) string {
	return fmt.Sprintf("user%020d", mix64(uint64(keynum)))
}

// mix64 is the splitmix64 finaliser, a bijection on uint64.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomPool is a block of random printable bytes values are cut from, so
// generating a document costs no per-byte random numbers.
var randomPool = func() string {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 1<<16)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}()

// randomString returns n pseudo-random printable bytes.
func randomString(rng *rand.Rand, n int) string {
	if n > len(randomPool) {
		n = len(randomPool)
	}
	off := rng.IntN(len(randomPool) - n + 1)
	return randomPool[off : off+n]
}

// fieldLen is the length of each payload field such that the document's
// JSON encoding is about docSize bytes.
func fieldLen(docSize int) int {
	probe := Doc{ID: Key(0), N: 1 << 30}
	overhead := len(probe.JSON()) // empty fields: names, quotes, id, n
	l := (docSize - overhead) / NumFields
	if l < 1 {
		l = 1
	}
	return l
}

// NewDoc builds record keynum with random payload fields of length flen.
func NewDoc(rng *rand.Rand, keynum int64, flen int) Doc {
	d := Doc{ID: Key(keynum), N: keynum}
	for i := range d.Fields {
		d.Fields[i] = randomString(rng, flen)
	}
	return d
}
