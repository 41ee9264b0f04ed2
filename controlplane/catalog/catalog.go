// Package catalog is the control plane's metadata store: a small, versioned,
// ordered key-value space with check-and-set writes, multi-key transactions
// and a gap-free change stream that watchers follow.
//
// Two backends implement Catalog and pass the same contract tests
// (catalogtest): Consul KV for `photondb controlplane` (consulcat) and an
// embedded bbolt file for `photondb serve` (boltcat). The typed model
// (tenants, databases, tables, shard maps, nodes, tokens) lives above this
// package; here values are opaque bytes.
//
// Versions. Every committed change (a Put, a Delete or a whole Txn) gets
// the next catalog version, a number that only grows. An Entry's
// ModifyIndex is the version of the change that last wrote it; a writer
// passes it back as the expected version to update safely (check-and-set),
// and the REST API shows it as the resource's ETag. With Consul the
// ModifyIndex is Consul's own; the change sequence is kept beside it.
//
// Watches. Changes(after) returns the changes committed after sequence
// number `after`, in commit order, blocking until there is at least one
// (or the context ends). Every change is delivered, none coalesced, as long
// as the watcher keeps within the retained window; a watcher that falls
// further behind gets ErrCompacted and must List again and resume from the
// sequence List returned.
package catalog

import (
	"context"
	"errors"
	"strings"
)

// Errors every backend returns (wrapped) for the same conditions.
var (
	// ErrNotFound: the key does not exist.
	ErrNotFound = errors.New("catalog: key not found")
	// ErrConflict: a check-and-set or transaction check failed because the
	// key changed (or exists, or is missing) since the caller read it.
	ErrConflict = errors.New("catalog: version conflict")
	// ErrCompacted: the changes after the requested sequence are no longer
	// retained; List and resume from its sequence.
	ErrCompacted = errors.New("catalog: changes compacted")
	// ErrClosed: the catalog was closed.
	ErrClosed = errors.New("catalog: closed")
)

// Any is the expected version that matches whatever is stored (or nothing).
const Any int64 = -1

// Absent is the expected version that matches only a missing key.
const Absent int64 = 0

// Entry is one stored key.
type Entry struct {
	Key         string
	Value       []byte
	CreateIndex uint64 // version of the change that created the key
	ModifyIndex uint64 // version of the change that last wrote it
}

// OpKind is the kind of a transaction operation.
type OpKind int

const (
	// OpPut stores Value at Key if Key's version matches Expect.
	OpPut OpKind = iota + 1
	// OpDelete deletes Key if its version matches Expect (deleting a
	// missing key with Expect Any succeeds).
	OpDelete
	// OpCheck only checks that Key's version matches Expect.
	OpCheck
)

// Op is one operation of a transaction.
type Op struct {
	Kind  OpKind
	Key   string
	Value []byte
	// Expect is the version Key must have: Any, Absent, or a ModifyIndex.
	Expect int64
}

// Change is one committed change to one key, as watchers see it.
type Change struct {
	Seq     uint64 // the change's sequence number (one per Put/Delete/Txn)
	Key     string
	Value   []byte // nil for a delete
	Deleted bool
}

// Catalog is the metadata store. Keys are slash-separated paths without a
// leading slash ("tenants/acme/dbs/shop"); values are opaque bytes of at
// most MaxValueBytes. All methods are safe for concurrent use.
type Catalog interface {
	// Get returns the entry at key, or ErrNotFound.
	Get(ctx context.Context, key string) (Entry, error)
	// List returns the entries whose keys start with prefix, sorted by key,
	// and the change sequence the listing reflects (resume Changes there).
	List(ctx context.Context, prefix string) ([]Entry, uint64, error)
	// Put stores value at key if key's version matches expect (Any,
	// Absent or a ModifyIndex; ErrConflict otherwise) and returns the
	// entry's new ModifyIndex.
	Put(ctx context.Context, key string, value []byte, expect int64) (uint64, error)
	// Delete removes key if its version matches expect. Deleting a
	// missing key is ErrNotFound unless expect is Any.
	Delete(ctx context.Context, key string, expect int64) error
	// Txn applies ops atomically: all checks hold and every op is applied,
	// or nothing is (ErrConflict names no key; use Get to find out). At most
	// MaxTxnOps ops. It returns the ModifyIndex the written keys now carry.
	Txn(ctx context.Context, ops []Op) (uint64, error)
	// Changes returns the changes with Seq > after in commit order,
	// waiting until there is at least one or ctx ends (then ctx's error).
	// Only changes whose key starts with prefix are returned, but the wait
	// ends at any change; the returned next is where to resume.
	Changes(ctx context.Context, prefix string, after uint64) (changes []Change, next uint64, err error)
	// Close releases the backend; later calls return ErrClosed.
	Close() error
}

// Limits every backend enforces (ErrInvalid beyond them). They keep every
// write within a Consul agent's default limits (512 KiB per transaction
// request, where each value travels twice, base64-encoded: in its key and
// in the change log), so PhotonDB runs on an unmodified Consul. Metadata
// values are small: a table is ~300 bytes, a 64-shard, 16-replica shard map
// ~45 KiB.
const (
	MaxTxnOps     = 48
	MaxValueBytes = 64 << 10
	// MaxTxnBytes bounds the keys and values one Put or Txn writes.
	MaxTxnBytes = 96 << 10
)

// ValidKey reports whether key is a well-formed catalog key: non-empty,
// no leading or trailing slash, no empty segment, printable ASCII.
func ValidKey(key string) bool {
	if key == "" || strings.HasPrefix(key, "/") || strings.HasSuffix(key, "/") || strings.Contains(key, "//") {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}
