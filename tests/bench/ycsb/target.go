package ycsb

import "context"

// Target is one database under test.
type Target interface {
	// Name is the column heading ("PhotonDB", "PostgreSQL").
	Name() string
	// Setup (re)creates the empty table and its secondary index.
	Setup(ctx context.Context) error
	// AfterLoad runs once the load phase is done (statistics, index wait).
	AfterLoad(ctx context.Context) error
	// Connect opens one client connection.
	Connect(ctx context.Context) (Client, error)
}

// Client is one connection; used by one goroutine at a time.
type Client interface {
	// Read fetches the whole document with primary key key; a missing
	// document is an error.
	Read(ctx context.Context, key string) error
	// Insert writes one new document with hard durability.
	Insert(ctx context.Context, d *Doc) error
	// InsertBatch writes the documents in one statement/query.
	InsertBatch(ctx context.Context, docs []Doc) error
	// Update sets one payload field of an existing document.
	Update(ctx context.Context, key, field, value string) error
	// Range fetches the documents whose index field is in [lo, hi), at most
	// limit of them, and returns how many came back.
	Range(ctx context.Context, lo, hi int64, limit int) (int, error)
	Close() error
}
