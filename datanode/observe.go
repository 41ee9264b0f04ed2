package datanode

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/photondb-io/photondb/shared/telemetry"
)

// registerMetrics registers the node's observable metrics: the storage
// engine's statistics (read once per scrape from Engine.Stats) and this
// node's view of the cluster. Until replication lands a data node is a
// cluster of one: rethinkdb_cluster_nodes{role="datanode"} is 1 and its own
// rethinkdb_replication_lag_seconds is 0.
func (n *Node) registerMetrics(mp metric.MeterProvider) (metric.Registration, error) {
	obs := telemetry.NewObservables(mp, "datanode")
	m := obs.Meter
	gauge, fgauge, counter := obs.Gauge, obs.FloatGauge, obs.Counter
	keys := gauge("photondb_storage_keys", "Live keys in the storage engine (documents and catalog entries).")
	live := gauge("photondb_storage_live_bytes", "Encoded size of the live keys and values, in bytes.")
	logBytes := gauge("photondb_storage_log_bytes", "Size of the write-ahead log, in bytes.")
	slabBytes := gauge("photondb_storage_slab_file_bytes", "Size of the slab files, in bytes.")
	cacheUsed := gauge("photondb_storage_cache_used_bytes", "Bytes held by the value cache.")
	cacheCap := gauge("photondb_storage_cache_capacity_bytes", "Budget of the value cache, in bytes.")
	hitRatio := fgauge("photondb_storage_cache_hit_ratio", "Value cache hits over lookups since start (0 to 1).")
	compression := fgauge("photondb_storage_compression_ratio", "Raw over stored size of the live values.")
	batches := counter("photondb_storage_batches", "Write batches applied since start.")
	fsyncs := counter("photondb_storage_fsyncs", "Fsyncs of the write-ahead log for durability since start.")
	compactions := counter("photondb_storage_compactions", "Checkpoints (index snapshot written, log truncated) since start.")
	hits := counter("photondb_storage_cache_hits", "Value cache hits since start.")
	misses := counter("photondb_storage_cache_misses", "Value cache misses since start.")
	nodes := gauge("rethinkdb_cluster_nodes", "Nodes of the cluster, by role.")
	lag := fgauge("rethinkdb_replication_lag_seconds", "How far each node's replicas are behind their primaries, in seconds.")
	if err := obs.Err(); err != nil {
		return nil, err
	}
	roleDatanode := metric.WithAttributeSet(attribute.NewSet(attribute.String("role", "datanode")))
	self := metric.WithAttributeSet(attribute.NewSet(attribute.String("node", n.store.Identity().Name)))
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(nodes, 1, roleDatanode)
		o.ObserveFloat64(lag, 0, self)
		if n.closed.Load() {
			return nil // a closed engine has nothing to report
		}
		st := n.engine.Stats()
		o.ObserveInt64(keys, int64(st.Keys))
		o.ObserveInt64(live, st.LiveBytes)
		o.ObserveInt64(logBytes, st.LogBytes)
		o.ObserveInt64(slabBytes, st.SlabFileBytes)
		o.ObserveInt64(cacheUsed, st.CacheUsedBytes)
		o.ObserveInt64(cacheCap, st.CacheCapacity)
		o.ObserveFloat64(hitRatio, st.CacheHitRate)
		o.ObserveFloat64(compression, st.CompressionRatio)
		o.ObserveInt64(batches, int64(st.Batches))
		o.ObserveInt64(fsyncs, int64(st.Fsyncs))
		o.ObserveInt64(compactions, int64(st.Compactions))
		o.ObserveInt64(hits, int64(st.CacheHits))
		o.ObserveInt64(misses, int64(st.CacheMisses))
		return nil
	}, keys, live, logBytes, slabBytes, cacheUsed, cacheCap, hitRatio, compression,
		batches, fsyncs, compactions, hits, misses, nodes, lag)
	if err != nil {
		return nil, fmt.Errorf("datanode: register storage metrics: %w", err)
	}
	return reg, nil
}

// errStorageClosed is the storage health check's answer once Shutdown has
// closed the engine.
var errStorageClosed = errors.New("datanode: storage is closed")
