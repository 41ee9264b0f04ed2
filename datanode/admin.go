package datanode

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// NodeStats is what GET /_node/stats answers: the storage engine's
// counters, for the control plane's admin stats.
type NodeStats struct {
	ID               string  `json:"id"`
	Name             string  `json:"name"`
	Keys             int     `json:"keys"`
	LiveBytes        int64   `json:"live_bytes"`
	DiskBytes        int64   `json:"disk_bytes"` // log + slabs + large objects + checkpoint
	CompressionRatio float64 `json:"compression_ratio"`
	CacheHitRate     float64 `json:"cache_hit_rate"`
	CacheUsedBytes   int64   `json:"cache_used_bytes"`
	// ClusterID and CatalogSeq say which catalog the node follows and how
	// far it has applied it (control planes wait on it after DDL).
	ClusterID  string `json:"cluster_id,omitempty"`
	CatalogSeq uint64 `json:"catalog_seq"`
}

func (n *Node) stats() NodeStats {
	st := n.engine.Stats()
	id := n.store.Identity()
	out := NodeStats{ID: id.ID, Name: id.Name, Keys: st.Keys, LiveBytes: st.LiveBytes,
		DiskBytes:        st.LogBytes + st.SlabFileBytes + st.LargeBytes + st.CheckpointBytes,
		CompressionRatio: st.CompressionRatio, CacheHitRate: st.CacheHitRate, CacheUsedBytes: st.CacheUsedBytes}
	if n.syncer != nil {
		out.ClusterID, out.CatalogSeq = n.syncer.Position()
	}
	return out
}

// AdminHandler serves the node's operator endpoints, which the control
// plane calls: GET /_node/stats and POST /_node/compact (compacts the
// storage; answers the bytes reclaimed on disk).
func (n *Node) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_node/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, n.stats())
	})
	mux.HandleFunc("GET /_node/tables", func(w http.ResponseWriter, r *http.Request) {
		sizes, err := n.tableSizes(r.Context())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"tables": sizes})
	})
	mux.HandleFunc("POST /_node/compact", func(w http.ResponseWriter, r *http.Request) {
		before := n.stats().DiskBytes
		start := time.Now()
		if err := n.engine.Compact(); err != nil {
			n.log.Error("compaction failed", "err", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "compaction failed: " + err.Error()})
			return
		}
		after := n.stats().DiskBytes
		n.log.Info("compacted storage", "before_bytes", before, "after_bytes", after, "took", time.Since(start))
		writeJSON(w, http.StatusOK, map[string]any{"compacted": true, "reclaimed_bytes": max(before-after, 0), "disk_bytes": after})
	})
	return mux
}

// tableSizeTTL is how long measured table sizes are reused (measuring
// scans the data).
const tableSizeTTL = 5 * time.Second

// tableSize is one table's size as GET /_node/tables answers it.
type tableSize struct {
	ID    string `json:"id"`
	DB    string `json:"db"`
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// tableSizes answers the last measurement at once; when it is older than
// tableSizeTTL a new one runs in the background (measuring scans the data,
// so a request — a quota check on a write — never waits for it). Only the
// very first call measures in line.
func (n *Node) tableSizes(ctx context.Context) ([]tableSize, error) {
	n.sizesMu.Lock()
	sizes, stale := n.sizes, time.Since(n.sizesAt) >= tableSizeTTL
	if sizes != nil && stale && !n.measuring {
		n.measuring = true
		go func() {
			_, _ = n.measureTables(context.Background())
		}()
	}
	n.sizesMu.Unlock()
	if sizes != nil {
		return sizes, nil
	}
	return n.measureTables(ctx)
}

// measureTables measures every table and keeps the result.
func (n *Node) measureTables(ctx context.Context) ([]tableSize, error) {
	measured, err := n.store.TableSizes(ctx)
	n.sizesMu.Lock()
	defer n.sizesMu.Unlock()
	n.measuring = false
	if err != nil {
		return nil, err
	}
	out := make([]tableSize, 0, len(measured))
	for _, t := range measured {
		out = append(out, tableSize{ID: t.ID, DB: t.DB, Name: t.Name, Bytes: t.Bytes})
	}
	n.sizes, n.sizesAt = out, time.Now()
	return out, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
