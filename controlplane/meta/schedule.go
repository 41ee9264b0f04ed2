package meta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"

	"github.com/photondb-io/photondb/controlplane/catalog"
	"github.com/photondb-io/photondb/controlplane/scheduler"
	m "github.com/photondb-io/photondb/shared/meta"
)

// Reconcile is one round of the scheduler: it places every table's shard
// replicas on the registry's nodes (scheduler.Place: spread, balanced,
// minimal movement) and writes the shard maps that changed, each with a
// check-and-set so a concurrent round cannot overwrite a newer map.
func (s *Service) Reconcile(ctx context.Context, reg Registry, log *slog.Logger) error {
	nodes, err := s.Nodes(ctx, reg)
	if err != nil {
		return fmt.Errorf("scheduler: list nodes: %w", err)
	}
	tables, err := s.AllTables(ctx, "")
	if err != nil {
		return fmt.Errorf("scheduler: list tables: %w", err)
	}
	maps, versions, err := s.ShardMaps(ctx)
	if err != nil {
		return fmt.Errorf("scheduler: list shard maps: %w", err)
	}
	snodes := make([]scheduler.Node, 0, len(nodes))
	for _, n := range nodes {
		snodes = append(snodes, scheduler.Node{ID: n.ID, Tags: n.Tags, Healthy: n.Healthy, Draining: n.Draining})
	}
	specs := make([]scheduler.TableSpec, 0, len(tables))
	current := map[string]scheduler.ShardMap{}
	for _, t := range tables {
		specs = append(specs, scheduler.TableSpec{ID: t.ID, Shards: t.Shards, Replicas: t.Replicas})
		if sm, ok := maps[t.ID]; ok {
			cur := make(scheduler.ShardMap, 0, len(sm.Shards))
			for _, sh := range sm.Shards {
				cur = append(cur, scheduler.Shard{Index: sh.Index, Replicas: sh.Replicas, Primary: sh.Primary})
			}
			current[t.ID] = cur
		}
	}
	plan, err := scheduler.DefaultOptions().Place(snodes, specs, current)
	if err != nil {
		return fmt.Errorf("scheduler: place: %w", err)
	}
	for _, w := range plan.Warnings {
		log.Warn("scheduler: table not placed as configured", "err", w)
	}
	for _, t := range tables {
		placed, ok := plan.Placement[t.ID]
		if !ok {
			continue
		}
		sm := m.ShardMap{TableID: t.ID, Shards: make([]m.Shard, 0, len(placed))}
		for _, sh := range placed {
			sm.Shards = append(sm.Shards, m.Shard{Index: sh.Index, Primary: sh.Primary, Replicas: append([]string{}, sh.Replicas...)})
		}
		if old, ok := maps[t.ID]; ok && reflect.DeepEqual(old, sm) {
			continue
		}
		expect := catalog.Absent
		if v, ok := versions[t.ID]; ok {
			expect = int64(v)
		}
		if err := s.PutShardMap(ctx, sm, expect); errors.Is(err, catalog.ErrConflict) {
			continue // someone placed it meanwhile; the next round sees it
		} else if err != nil {
			return fmt.Errorf("scheduler: write shard map of %s.%s: %w", t.DB, t.Name, err)
		}
		log.Info("scheduler: placed table", "table", t.DB+"."+t.Name, "shards", len(sm.Shards))
	}
	return nil
}
