package ycsb

import (
	"context"
	"errors"
	"fmt"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// Photon is PhotonDB through the official RethinkDB Go driver.
type Photon struct {
	Addr     string // host:port of the driver port
	User     string // "admin" when empty
	Password string
	DB       string // "bench" when empty
	Table    string // "usertable" when empty
}

func (p *Photon) Name() string { return "PhotonDB" }

func (p *Photon) db() string {
	if p.DB == "" {
		return "bench"
	}
	return p.DB
}

func (p *Photon) table() string {
	if p.Table == "" {
		return "usertable"
	}
	return p.Table
}

const (
	photonConnectTimeout = 15 * time.Second
	photonQueryTimeout   = 60 * time.Second
)

// session opens one driver session holding exactly one connection. The
// driver's handshake has no deadline of its own, so it is bounded here.
func (p *Photon) session(ctx context.Context) (*r.Session, error) {
	user := p.User
	if user == "" {
		user = "admin"
	}
	opts := r.ConnectOpts{
		Address:      p.Addr,
		Username:     user,
		Password:     p.Password,
		InitialCap:   1,
		MaxOpen:      1,
		Timeout:      5 * time.Second,
		ReadTimeout:  photonQueryTimeout,
		WriteTimeout: photonQueryTimeout,
	}
	type res struct {
		s   *r.Session
		err error
	}
	ch := make(chan res, 1)
	go func() {
		s, err := r.Connect(opts)
		ch <- res{s, err}
	}()
	t := time.NewTimer(photonConnectTimeout)
	defer t.Stop()
	select {
	case v := <-ch:
		return v.s, v.err
	case <-t.C:
		go func() { // close the session if it shows up late
			if v := <-ch; v.s != nil {
				v.s.Close()
			}
		}()
		return nil, fmt.Errorf("connect to %s: no answer within %v", p.Addr, photonConnectTimeout)
	case <-ctx.Done():
		go func() {
			if v := <-ch; v.s != nil {
				v.s.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// WaitReady retries connecting until the server answers or timeout passes.
func (p *Photon) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		s, err := p.session(ctx)
		if err == nil {
			s.Close()
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("PhotonDB at %s not ready after %v: %v", p.Addr, timeout, last)
}

func (p *Photon) Setup(ctx context.Context) error {
	s, err := p.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	var dbs []string
	if err := r.DBList().ReadAll(&dbs, s); err != nil {
		return fmt.Errorf("dbList: %w", err)
	}
	found := false
	for _, d := range dbs {
		found = found || d == p.db()
	}
	if !found {
		if _, err := r.DBCreate(p.db()).RunWrite(s); err != nil {
			return fmt.Errorf("dbCreate: %w", err)
		}
	}
	var tables []string
	if err := r.DB(p.db()).TableList().ReadAll(&tables, s); err != nil {
		return fmt.Errorf("tableList: %w", err)
	}
	for _, t := range tables {
		if t == p.table() {
			if _, err := r.DB(p.db()).TableDrop(t).RunWrite(s); err != nil {
				return fmt.Errorf("tableDrop: %w", err)
			}
		}
	}
	if _, err := r.DB(p.db()).TableCreate(p.table(), r.TableCreateOpts{Durability: "hard"}).RunWrite(s); err != nil {
		return fmt.Errorf("tableCreate: %w", err)
	}
	if _, err := r.DB(p.db()).Table(p.table()).IndexCreate(IndexField).RunWrite(s); err != nil {
		return fmt.Errorf("indexCreate: %w", err)
	}
	if _, err := r.DB(p.db()).Table(p.table()).IndexWait(IndexField).Run(s); err != nil {
		return fmt.Errorf("indexWait: %w", err)
	}
	return nil
}

func (p *Photon) AfterLoad(ctx context.Context) error {
	s, err := p.session(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	cur, err := r.DB(p.db()).Table(p.table()).IndexWait().Run(s)
	if err != nil {
		return fmt.Errorf("indexWait: %w", err)
	}
	return cur.Close()
}

func (p *Photon) Connect(ctx context.Context) (Client, error) {
	s, err := p.session(ctx)
	if err != nil {
		return nil, err
	}
	return &photonClient{s: s, t: r.DB(p.db()).Table(p.table())}, nil
}

type photonClient struct {
	s *r.Session
	t r.Term
}

var (
	hardInsert = r.InsertOpts{Durability: "hard"}
	hardUpdate = r.UpdateOpts{Durability: "hard"}
)

func (c *photonClient) Read(ctx context.Context, key string) error {
	cur, err := c.t.Get(key).Run(c.s, r.RunOpts{Context: ctx})
	if err != nil {
		return err
	}
	defer cur.Close()
	b, ok := cur.NextResponse()
	if !ok {
		if err := cur.Err(); err != nil {
			return err
		}
		return fmt.Errorf("get(%q): no response", key)
	}
	if len(b) < 2 || string(b) == "null" {
		return fmt.Errorf("get(%q): document missing", key)
	}
	return nil
}

func writeErr(w r.WriteResponse, want int, what string) error {
	if w.Errors > 0 {
		return fmt.Errorf("%s: %d errors, first: %s", what, w.Errors, w.FirstError)
	}
	if got := w.Inserted + w.Replaced + w.Unchanged; got != want {
		return fmt.Errorf("%s: %d documents written, want %d", what, got, want)
	}
	return nil
}

func (c *photonClient) Insert(ctx context.Context, d *Doc) error {
	w, err := c.t.Insert(d.Map(), hardInsert).RunWrite(c.s, r.RunOpts{Context: ctx})
	if err != nil {
		return err
	}
	return writeErr(w, 1, "insert")
}

func (c *photonClient) InsertBatch(ctx context.Context, docs []Doc) error {
	arr := make([]interface{}, len(docs))
	for i := range docs {
		arr[i] = docs[i].Map()
	}
	w, err := c.t.Insert(arr, hardInsert).RunWrite(c.s, r.RunOpts{Context: ctx})
	if err != nil {
		return err
	}
	return writeErr(w, len(docs), "batch insert")
}

func (c *photonClient) Update(ctx context.Context, key, field, value string) error {
	w, err := c.t.Get(key).Update(map[string]interface{}{field: value}, hardUpdate).RunWrite(c.s, r.RunOpts{Context: ctx})
	if err != nil {
		return err
	}
	return writeErr(w, 1, "update")
}

func (c *photonClient) Range(ctx context.Context, lo, hi int64, limit int) (int, error) {
	cur, err := c.t.Between(lo, hi, r.BetweenOpts{Index: IndexField}).Limit(limit).Run(c.s, r.RunOpts{Context: ctx})
	if err != nil {
		return 0, err
	}
	defer cur.Close()
	n := 0
	for n <= limit { // bounded: the query has a limit
		if _, ok := cur.NextResponse(); !ok {
			break
		}
		n++
	}
	if err := cur.Err(); err != nil {
		return n, err
	}
	if n > limit {
		return n, errors.New("between: more documents than the limit")
	}
	return n, nil
}

func (c *photonClient) Close() error { return c.s.Close() }
