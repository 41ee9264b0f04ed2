package ycsb

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres is PostgreSQL through pgx: a table (id text primary key, doc
// jsonb) with an expression index on ((doc->>'n')::int).
type Postgres struct {
	DSN   string
	Table string // "usertable" when empty
}

func (p *Postgres) Name() string { return "PostgreSQL" }

func (p *Postgres) table() string {
	if p.Table == "" {
		return "usertable"
	}
	return p.Table
}

func (p *Postgres) conn(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(p.DSN)
	if err != nil {
		return nil, err
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	// Hard durability for every write, whatever the server's default.
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["synchronous_commit"] = "on"
	return pgx.ConnectConfig(ctx, cfg)
}

// WaitReady retries connecting until the server answers or timeout passes.
func (p *Postgres) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		c, err := p.conn(ctx)
		if err == nil {
			return c.Close(ctx)
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("PostgreSQL not ready after %v: %v", timeout, last)
}

func (p *Postgres) Setup(ctx context.Context) error {
	c, err := p.conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	t := pgx.Identifier{p.table()}.Sanitize()
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + t,
		"CREATE TABLE " + t + " (id text PRIMARY KEY, doc jsonb NOT NULL)",
		"CREATE INDEX ON " + t + " (((doc->>'" + IndexField + "')::int))",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

func (p *Postgres) AfterLoad(ctx context.Context) error {
	c, err := p.conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "VACUUM ANALYZE "+pgx.Identifier{p.table()}.Sanitize())
	return err
}

func (p *Postgres) Connect(ctx context.Context) (Client, error) {
	c, err := p.conn(ctx)
	if err != nil {
		return nil, err
	}
	t := pgx.Identifier{p.table()}.Sanitize()
	return &pgClient{
		c:      c,
		read:   "SELECT doc FROM " + t + " WHERE id = $1",
		insert: "INSERT INTO " + t + " (id, doc) VALUES ($1, $2::jsonb)",
		batch:  "INSERT INTO " + t + " (id, doc) SELECT k, d::jsonb FROM unnest($1::text[], $2::text[]) AS b(k, d)",
		update: "UPDATE " + t + " SET doc = jsonb_set(doc, ARRAY[$2::text], to_jsonb($3::text)) WHERE id = $1",
		rng: "SELECT doc FROM " + t + " WHERE ((doc->>'" + IndexField + "')::int) >= $1 AND ((doc->>'" +
			IndexField + "')::int) < $2 LIMIT $3",
	}, nil
}

type pgClient struct {
	c                                *pgx.Conn
	read, insert, batch, update, rng string
	buf                              []byte
}

func (c *pgClient) Read(ctx context.Context, key string) error {
	c.buf = c.buf[:0]
	if err := c.c.QueryRow(ctx, c.read, key).Scan(&c.buf); err != nil {
		return fmt.Errorf("read %q: %w", key, err)
	}
	if len(c.buf) < 2 {
		return fmt.Errorf("read %q: empty document", key)
	}
	return nil
}

func (c *pgClient) Insert(ctx context.Context, d *Doc) error {
	tag, err := c.c.Exec(ctx, c.insert, d.ID, string(d.JSON()))
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("insert: %d rows", tag.RowsAffected())
	}
	return nil
}

func (c *pgClient) InsertBatch(ctx context.Context, docs []Doc) error {
	ids := make([]string, len(docs))
	js := make([]string, len(docs))
	for i := range docs {
		ids[i] = docs[i].ID
		js[i] = string(docs[i].JSON())
	}
	tag, err := c.c.Exec(ctx, c.batch, ids, js)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != int64(len(docs)) {
		return fmt.Errorf("batch insert: %d rows, want %d", tag.RowsAffected(), len(docs))
	}
	return nil
}

func (c *pgClient) Update(ctx context.Context, key, field, value string) error {
	tag, err := c.c.Exec(ctx, c.update, key, field, value)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("update %q: %d rows", key, tag.RowsAffected())
	}
	return nil
}

func (c *pgClient) Range(ctx context.Context, lo, hi int64, limit int) (int, error) {
	rows, err := c.c.Query(ctx, c.rng, lo, hi, limit)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		c.buf = c.buf[:0]
		if err := rows.Scan(&c.buf); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func (c *pgClient) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.c.Close(ctx)
}
