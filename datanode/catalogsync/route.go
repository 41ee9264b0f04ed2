package catalogsync

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/photondb-io/photondb/datanode/reql"
)

// ApplyTimeout bounds how long a routed DDL waits for the node to apply
// the catalog change it made.
const ApplyTimeout = 30 * time.Second

// Route wraps the node's store so that schema changes go to the control
// plane first and reach the store by catalog sync; everything else goes
// straight to the store.
func (s *Syncer) Route(inner reql.Store) reql.Store { return &routed{Store: inner, s: s} }

type routed struct {
	reql.Store
	s *Syncer
}

// ddlError turns a control-plane answer into the ReQL error a driver
// expects: the control plane speaks RethinkDB's messages, so they pass
// through; an unreachable control plane is an OP_FAILED naming the cause.
func ddlError(err error) error {
	var p *Problem
	if errors.As(err, &p) {
		if p.Status == http.StatusUnprocessableEntity || p.Status == http.StatusBadRequest {
			return reql.QueryLogicError(p.Detail)
		}
		return reql.OpFailedError(p.Detail)
	}
	return reql.OpFailedError(fmt.Sprintf("Cannot change the schema: the control plane did not answer (%v).", err))
}

// await waits for the node to apply the change committed at seq.
func (r *routed) await(ctx context.Context, seq uint64) error {
	wctx, cancel := context.WithTimeout(ctx, ApplyTimeout)
	defer cancel()
	if err := r.s.WaitApplied(wctx, seq); err != nil {
		return reql.OpFailedError(fmt.Sprintf("The schema change was committed but this node has not applied it yet (%v).", err))
	}
	return nil
}

func (r *routed) CreateDB(ctx context.Context, cfg reql.DBConfig) (reql.DBConfig, error) {
	seq, err := r.s.client.CreateDB(ctx, cfg.Name, cfg.ID)
	if err != nil {
		return reql.DBConfig{}, ddlError(err)
	}
	if err := r.await(ctx, seq); err != nil {
		return reql.DBConfig{}, err
	}
	return r.Store.GetDB(ctx, cfg.Name)
}

func (r *routed) DropDB(ctx context.Context, name string) (reql.DBConfig, []reql.TableConfig, error) {
	d, err := r.Store.GetDB(ctx, name)
	if err != nil {
		return reql.DBConfig{}, nil, err
	}
	tables, err := r.Store.ListTables(ctx, name)
	if err != nil {
		return reql.DBConfig{}, nil, err
	}
	seq, err := r.s.client.DropDB(ctx, name)
	if err != nil {
		return reql.DBConfig{}, nil, ddlError(err)
	}
	return d, tables, r.await(ctx, seq)
}

func (r *routed) RenameDB(ctx context.Context, oldName, newName string) error {
	seq, err := r.s.client.Rename(ctx, oldName, "", newName)
	if err != nil {
		return ddlError(err)
	}
	return r.await(ctx, seq)
}

func (r *routed) RenameTable(ctx context.Context, db, oldName, newName string) error {
	seq, err := r.s.client.Rename(ctx, db, oldName, newName)
	if err != nil {
		return ddlError(err)
	}
	return r.await(ctx, seq)
}

func (r *routed) CreateTable(ctx context.Context, cfg reql.TableConfig) (reql.TableConfig, error) {
	seq, err := r.s.client.CreateTable(ctx, cfg.DB, TableSpec{ID: cfg.ID, Name: cfg.Name, PrimaryKey: cfg.PrimaryKey,
		Shards: cfg.Shards, Replicas: cfg.Replicas, Durability: cfg.Durability})
	if err != nil {
		return reql.TableConfig{}, ddlError(err)
	}
	if err := r.await(ctx, seq); err != nil {
		return reql.TableConfig{}, err
	}
	return r.table(ctx, cfg.DB, cfg.Name)
}

func (r *routed) table(ctx context.Context, db, name string) (reql.TableConfig, error) {
	tables, err := r.Store.ListTables(ctx, db)
	if err != nil {
		return reql.TableConfig{}, err
	}
	for _, t := range tables {
		if t.Name == name {
			return t, nil
		}
	}
	return reql.TableConfig{}, reql.TableNotFound(db, name)
}

func (r *routed) DropTable(ctx context.Context, db, name string) (reql.TableConfig, error) {
	t, err := r.table(ctx, db, name)
	if err != nil {
		return reql.TableConfig{}, err
	}
	seq, err := r.s.client.DropTable(ctx, db, name)
	if err != nil {
		return reql.TableConfig{}, ddlError(err)
	}
	return t, r.await(ctx, seq)
}

func (r *routed) ReconfigureTable(ctx context.Context, db, name string, shards, replicas int) (reql.TableConfig, reql.TableConfig, error) {
	old, err := r.table(ctx, db, name)
	if err != nil {
		return old, old, err
	}
	seq, err := r.s.client.Reconfigure(ctx, db, name, shards, replicas)
	if err != nil {
		return old, old, ddlError(err)
	}
	if err := r.await(ctx, seq); err != nil {
		return old, old, err
	}
	updated, err := r.table(ctx, db, name)
	return old, updated, err
}
