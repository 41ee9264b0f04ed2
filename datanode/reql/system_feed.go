package reql

import (
	"context"
	"time"

	"github.com/photondb-io/photondb/datanode/changefeed"
)

// Changefeeds on the system tables. Their documents are computed, so a feed
// recomputes them when something may have changed — a catalog change made
// through the store (signalled by catalogStore), or, for the tables that
// describe live state (server_status, stats, jobs), once a second — and
// emits the differences by id.

// WithCatalogFeed wraps a store so that every successful catalog change
// (databases, tables, indexes) wakes the system tables' changefeeds.
func WithCatalogFeed(s Store) Store {
	return &catalogStore{Store: s, hub: changefeed.NewHub(0, 0, 0)}
}

type catalogStore struct {
	Store
	hub *changefeed.Hub
}

func (s *catalogStore) changed(err error) error {
	if err == nil {
		s.hub.Publish([]changefeed.Change{{}})
	}
	return err
}

func (s *catalogStore) CreateDB(ctx context.Context, cfg DBConfig) (DBConfig, error) {
	out, err := s.Store.CreateDB(ctx, cfg)
	return out, s.changed(err)
}

func (s *catalogStore) DropDB(ctx context.Context, name string) (DBConfig, []TableConfig, error) {
	d, t, err := s.Store.DropDB(ctx, name)
	return d, t, s.changed(err)
}

func (s *catalogStore) RenameDB(ctx context.Context, oldName, newName string) error {
	return s.changed(s.Store.RenameDB(ctx, oldName, newName))
}

func (s *catalogStore) RenameTable(ctx context.Context, db, oldName, newName string) error {
	return s.changed(s.Store.RenameTable(ctx, db, oldName, newName))
}

func (s *catalogStore) CreateTable(ctx context.Context, cfg TableConfig) (TableConfig, error) {
	out, err := s.Store.CreateTable(ctx, cfg)
	return out, s.changed(err)
}

func (s *catalogStore) DropTable(ctx context.Context, db, name string) (TableConfig, error) {
	out, err := s.Store.DropTable(ctx, db, name)
	return out, s.changed(err)
}

func (s *catalogStore) ReconfigureTable(ctx context.Context, db, table string, shards, replicas int) (TableConfig, TableConfig, error) {
	o, n, err := s.Store.ReconfigureTable(ctx, db, table, shards, replicas)
	return o, n, s.changed(err)
}

func (s *catalogStore) CreateIndex(ctx context.Context, db, table string, ix IndexConfig) (IndexConfig, error) {
	out, err := s.Store.CreateIndex(ctx, db, table, ix)
	return out, s.changed(err)
}

func (s *catalogStore) DropIndex(ctx context.Context, db, table, name string) error {
	return s.changed(s.Store.DropIndex(ctx, db, table, name))
}

func (s *catalogStore) RenameIndex(ctx context.Context, db, table, oldName, newName string, overwrite bool) error {
	return s.changed(s.Store.RenameIndex(ctx, db, table, oldName, newName, overwrite))
}

// liveSystemTables change without catalog changes; their feeds recompute
// once a second. (users and permissions change through the user store,
// which does not wake the catalog feeds.)
var liveSystemTables = map[string]bool{"server_status": true, "stats": true, "jobs": true, "users": true, "permissions": true}

// systemFeed is a changefeed on a system table.
type systemFeed struct {
	t       *systemTable
	sub     *changefeed.Sub // catalog changes (nil without a catalogStore)
	last    map[string]map[string]any
	order   []string
	out     []any
	started bool
	closed  bool

	includeInitial, includeStates, includeTypes bool
}

func (s *systemTable) feed(ctx context.Context, f *feedStream) (*systemFeed, error) {
	sf := &systemFeed{t: s, includeInitial: f.includeInitial, includeStates: f.includeStates, includeTypes: f.includeTypes}
	if cs, ok := s.c.env.Store.(*catalogStore); ok {
		sub, err := cs.hub.Subscribe("", 1)
		if err != nil {
			return nil, err
		}
		sf.sub = sub
	}
	docs, err := s.docs(ctx)
	if err != nil {
		sf.Close()
		return nil, err
	}
	sf.last = map[string]map[string]any{}
	for _, d := range docs {
		k := idKey(d["id"])
		sf.last[k] = d
		sf.order = append(sf.order, k)
	}
	return sf, nil
}

func idKey(id any) string {
	k, _ := EncodeIndexKey(id)
	return string(k)
}

func (sf *systemFeed) infinite() bool { return true }

func (sf *systemFeed) wakeChan() <-chan struct{} {
	if sf.sub == nil {
		return nil
	}
	return sf.sub.WakeChan()
}

func (sf *systemFeed) typed(m map[string]any, kind string) map[string]any {
	if sf.includeTypes {
		m["type"] = kind
	}
	return m
}

func (sf *systemFeed) Next(ctx context.Context) (any, bool, error) {
	for {
		if sf.closed {
			return nil, false, nil
		}
		if len(sf.out) > 0 {
			v := sf.out[0]
			sf.out = sf.out[1:]
			return v, true, nil
		}
		if !sf.started {
			sf.started = true
			if sf.includeStates {
				sf.out = append(sf.out, map[string]any{"state": "initializing"})
			}
			if sf.includeInitial {
				for _, k := range sf.order {
					sf.out = append(sf.out, sf.typed(map[string]any{"new_val": sf.last[k]}, "initial"))
				}
			}
			if sf.includeStates {
				sf.out = append(sf.out, map[string]any{"state": "ready"})
			}
			continue
		}
		if err := sf.wait(ctx); err != nil {
			return nil, false, err
		}
		if err := sf.diff(ctx); err != nil {
			return nil, false, err
		}
	}
}

// wait returns when the table may have changed (or, polling, at once with
// ErrWouldBlock when nothing signalled).
func (sf *systemFeed) wait(ctx context.Context) error {
	live := liveSystemTables[sf.t.name]
	signalled := func() bool {
		if sf.sub == nil {
			return false
		}
		_, ok, _ := sf.sub.TryNext()
		return ok
	}
	if polling(ctx) {
		if signalled() {
			return nil
		}
		return ErrWouldBlock
	}
	var tick <-chan time.Time
	if live || sf.sub == nil {
		tick = time.After(time.Second)
	}
	select {
	case <-sf.wakeChan():
		signalled()
		return nil
	case <-tick:
		return nil
	case <-ctx.Done():
		return newErr(ErrOpIndeterminate, "Query interrupted: %v.", ctx.Err())
	}
}

// diff recomputes the table and queues a change for every document that
// appeared, disappeared or changed.
func (sf *systemFeed) diff(ctx context.Context) error {
	docs, err := sf.t.docs(ctx)
	if err != nil {
		return err
	}
	next := map[string]map[string]any{}
	var order []string
	for _, d := range docs {
		k := idKey(d["id"])
		next[k] = d
		order = append(order, k)
		old, had := sf.last[k]
		switch {
		case !had:
			sf.out = append(sf.out, sf.typed(map[string]any{"old_val": nil, "new_val": d}, "add"))
		case !datumEqual(old, d):
			sf.out = append(sf.out, sf.typed(map[string]any{"old_val": old, "new_val": d}, "change"))
		}
	}
	for _, k := range sf.order {
		if _, still := next[k]; !still {
			sf.out = append(sf.out, sf.typed(map[string]any{"old_val": sf.last[k], "new_val": nil}, "remove"))
		}
	}
	sf.last, sf.order = next, order
	return nil
}

func (sf *systemFeed) Close() error {
	if !sf.closed {
		sf.closed = true
		if sf.sub != nil {
			sf.sub.Close()
		}
	}
	return nil
}
