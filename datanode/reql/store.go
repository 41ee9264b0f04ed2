package reql

import (
	"context"
	"encoding/json"

	"github.com/photondb-io/photondb/datanode/changefeed"
)

// The evaluator never touches files: tables and the database catalog are
// reached through Store, which the shard layer implements. The same query
// therefore runs on one node or across shards.

// DBConfig is a database's entry in the catalog.
type DBConfig struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TableConfig is a table's entry in the catalog.
type TableConfig struct {
	ID         string `json:"id"`
	DB         string `json:"db"`
	DBID       string `json:"db_id"`
	Name       string `json:"name"`
	PrimaryKey string `json:"primary_key"`
	Durability string `json:"durability"` // "hard" or "soft"
	Shards     int    `json:"shards"`
	Replicas   int    `json:"replicas"`
	// Indexes are the table's secondary indexes.
	Indexes []IndexConfig `json:"indexes,omitempty"`
	// WriteHook is the table's write hook (set_write_hook), nil when none.
	WriteHook *WriteHookConfig `json:"write_hook,omitempty"`
}

// WriteHookConfig is a table's write hook: a deterministic ReQL function
// (context, old_val, new_val) -> new_val, stored as its wire JSON, run on
// every write to the table (see terms_hook.go).
type WriteHookConfig struct {
	Function json.RawMessage `json:"function"` // wire JSON of a three-argument FUNC term
}

// IndexConfig is a secondary index: a deterministic ReQL function of a
// document (stored as its wire JSON) whose value(s) key the index.
type IndexConfig struct {
	ID       string          `json:"id"` // index entries are keyed by ID, so a rename moves nothing
	Name     string          `json:"name"`
	Function json.RawMessage `json:"function"` // wire JSON of a one-argument FUNC term
	Multi    bool            `json:"multi"`
	Geo      bool            `json:"geo"`
	Ready    bool            `json:"ready"` // backfill finished
}

// FeedOptions describe a changefeed subscription.
type FeedOptions struct {
	Key       any // nil: every document
	QueueSize int
	Initial   bool   // also read the starting documents
	Since     uint64 // with HasSince: replay the retained changes after this position
	HasSince  bool
}

// FeedNotRetained is the error for resuming a feed from a position whose
// following changes are no longer retained.
func FeedNotRetained(pos uint64) error {
	return newErr(ErrOpFailed, "Cannot resume the changefeed from position %d: changes after it are no longer retained (see --feed-retention).", pos)
}

// IndexStatus is an index with its backfill progress.
type IndexStatus struct {
	IndexConfig
	Progress float64 // 0..1 while building, 1 when ready
}

// KeyRange bounds a scan over encoded keys (EncodeKey/EncodeIndexKey);
// a nil bound is unbounded.
type KeyRange struct {
	Lower, Upper         []byte
	LowerOpen, UpperOpen bool
}

// Store is the catalog of databases and tables. Errors are *Error values with
// RethinkDB's messages (see DBNotFound and friends).
type Store interface {
	// CreateDB creates a database (cfg.ID is generated when empty); DBExists
	// if the name is taken.
	CreateDB(ctx context.Context, cfg DBConfig) (DBConfig, error)
	// RenameDB renames a database; its tables follow.
	RenameDB(ctx context.Context, oldName, newName string) error
	// RenameTable renames a table within its database.
	RenameTable(ctx context.Context, db, oldName, newName string) error
	// DropDB drops a database and all its tables, returning what was dropped.
	DropDB(ctx context.Context, name string) (DBConfig, []TableConfig, error)
	// ListDBs lists the user databases sorted by name.
	ListDBs(ctx context.Context) ([]DBConfig, error)
	// GetDB looks a database up; DBNotFound if absent.
	GetDB(ctx context.Context, name string) (DBConfig, error)
	// CreateTable creates a table; cfg.ID is generated when empty.
	CreateTable(ctx context.Context, cfg TableConfig) (TableConfig, error)
	// DropTable drops a table and (eventually) its data.
	DropTable(ctx context.Context, db, name string) (TableConfig, error)
	// ListTables lists a database's tables sorted by name.
	ListTables(ctx context.Context, db string) ([]TableConfig, error)
	// OpenTable returns a handle on a table; TableNotFound if absent.
	OpenTable(ctx context.Context, db, name string) (TableStore, error)
	// CreateIndex adds a secondary index and starts building it in the
	// background; writes maintain it from the moment it exists.
	CreateIndex(ctx context.Context, db, table string, ix IndexConfig) (IndexConfig, error)
	// DropIndex removes a secondary index and its entries.
	DropIndex(ctx context.Context, db, table, name string) error
	// SetWriteHook sets a table's write hook (nil removes it) in its
	// persisted configuration.
	SetWriteHook(ctx context.Context, db, table string, hook *WriteHookConfig) error
	// ReconfigureTable changes a table's shard and replica counts, returning
	// the configuration before and after.
	ReconfigureTable(ctx context.Context, db, table string, shards, replicas int) (old, updated TableConfig, err error)
	// Sync flushes every write acknowledged so far to stable storage.
	Sync(ctx context.Context) error
	// RenameIndex renames a secondary index; with overwrite an index
	// already named newName is dropped first.
	RenameIndex(ctx context.Context, db, table, oldName, newName string, overwrite bool) error
}

// TableStore reads and writes one table's documents.
type TableStore interface {
	// Config is the table's catalog entry.
	Config() TableConfig
	// Get returns the document with primary key key, or nil if absent.
	Get(ctx context.Context, key any) (map[string]any, error)
	// Scan iterates the documents in primary key order over a consistent
	// snapshot; the iterator must be closed.
	Scan(ctx context.Context, reverse bool) DocIterator
	// Count returns the number of documents.
	Count(ctx context.Context) (int64, error)
	// Subscribe starts a changefeed on the table (key nil) or on one
	// document. With initial, it also returns the documents the feed starts
	// from (the table, or the document), read atomically with the
	// subscription so that no change is missed or seen twice.
	Subscribe(ctx context.Context, o FeedOptions) (*changefeed.Sub, DocIterator, error)
	// Indexes returns the secondary indexes with their build progress.
	Indexes() []IndexStatus
	// IndexScan iterates documents in the order of an index (the primary
	// key when index is the primary key's name) over the encoded index
	// values in r. A document appears once per matching index value.
	IndexScan(ctx context.Context, index string, r KeyRange, reverse bool) (DocIterator, error)
	// Write applies ops; each op's Apply runs with its key locked, so a
	// read-modify-write of one document is atomic. Per-op failures are left
	// in op.Err and do not abort the others; the returned error is for
	// failures of the whole call (storage errors).
	Write(ctx context.Context, ops []*WriteOp, durability string) error
}

// DocIterator iterates documents. Next returns false at the end or on error.
type DocIterator interface {
	Next() bool
	Doc() map[string]any
	Err() error
	Close() error
}

// WriteOp is one document's write: Apply computes the new document from the
// current one (nil when absent); returning nil deletes (or leaves absent).
type WriteOp struct {
	Key   any
	Apply func(old map[string]any) (map[string]any, error)
	// Generated is set when insert generated Key (the document had none).
	Generated bool

	// Filled in by Write.
	Old, New map[string]any
	Err      error
	// hidden is set by a system table when the write changed what its
	// rows do not show (a password): the write counts as a replacement
	// even though Old and New are equal.
	hidden bool
}

// DBNotFound is RethinkDB's error for a missing database.
func DBNotFound(name string) error {
	return newErr(ErrOpFailed, "Database `%s` does not exist.", name)
}

// DBExists is RethinkDB's error for creating a database that exists.
func DBExists(name string) error {
	return newErr(ErrOpFailed, "Database `%s` already exists.", name)
}

// TableNotFound is RethinkDB's error for a missing table.
func TableNotFound(db, name string) error {
	return newErr(ErrOpFailed, "Table `%s.%s` does not exist.", db, name)
}

// TableExists is RethinkDB's error for creating a table that exists.
func TableExists(db, name string) error {
	return newErr(ErrOpFailed, "Table `%s.%s` already exists.", db, name)
}

// IndexExists is RethinkDB's error for creating an index that exists.
func IndexExists(db, table, name string) error {
	return newErr(ErrOpFailed, "Index `%s` already exists on table `%s.%s`.", name, db, table)
}

// IndexNotFound is RethinkDB's error for a missing index.
func IndexNotFound(db, table, name string) error {
	return newErr(ErrOpFailed, "Index `%s` was not found on table `%s.%s`.", name, db, table)
}

// IndexNotReady is RethinkDB's error for reading an index still being built.
func IndexNotReady(db, table, name string) error {
	return newErr(ErrOpFailed, "Index `%s` on table `%s.%s` was accessed before its construction was finished.", name, db, table)
}

// FeedAborted is RethinkDB's error ending a changefeed whose table went away.
func FeedAborted() error {
	return newErr(ErrOpFailed, "Changefeed aborted (table unavailable).")
}
