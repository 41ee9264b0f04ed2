package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// clusterQueryEngine is r.db('rethinkdb').table('stats').get(['cluster'])('query_engine').
var clusterQueryEngine = json.RawMessage(`[170,[[16,[[15,[[14,["rethinkdb"]],"stats"]],[2,["cluster"]]]],"query_engine"]]`)

// nodeStats is a data node's GET /_node/stats answer.
type nodeStats struct {
	ID        string `json:"id"`
	Keys      int64  `json:"keys"`
	LiveBytes int64  `json:"live_bytes"`
	DiskBytes int64  `json:"disk_bytes"`
}

// AdminStats is GET /api/v1/admin/stats.
type AdminStats struct {
	Databases         int     `json:"databases"`
	Tables            int     `json:"tables"`
	Documents         int64   `json:"documents" doc:"Documents in the tenant's tables."`
	Nodes             int     `json:"nodes"`
	StorageBytes      int64   `json:"storage_bytes" doc:"Bytes on disk over all healthy data nodes."`
	LiveBytes         int64   `json:"live_bytes" doc:"Bytes of live keys and values (uncompressed)."`
	QueriesPerSec     float64 `json:"queries_per_sec"`
	ReadDocsPerSec    float64 `json:"read_docs_per_sec"`
	WrittenDocsPerSec float64 `json:"written_docs_per_sec"`
	ClientsActive     float64 `json:"clients_active"`
}

// nodeCall sends an operator request to every healthy data node's HTTP
// port and decodes each answer with decode.
func (rs *REST) nodeCall(ctx context.Context, method, path string, decode func(io.Reader) error) (int, error) {
	nodes, err := rs.nodes(ctx)
	if err != nil {
		return 0, err
	}
	called := 0
	var errs []error
	for _, n := range nodes {
		if n.Status != "healthy" || n.HTTPPort == 0 {
			continue
		}
		scheme, client := rs.NodeScheme, rs.NodeClient
		if scheme == "" {
			scheme = "http"
		}
		if client == nil {
			client = http.DefaultClient
		}
		url := scheme + "://" + net.JoinHostPort(n.Address, strconv.Itoa(n.HTTPPort)) + path
		req, err := http.NewRequestWithContext(ctx, method, url, nil)
		if err != nil {
			return called, err
		}
		if rs.ClusterSecret != "" {
			req.Header.Set("Authorization", "Bearer "+rs.ClusterSecret)
		}
		resp, err := client.Do(req)
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n.ID, err))
			continue
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			errs = append(errs, fmt.Errorf("node %s: %s: %s", n.ID, resp.Status, b))
			continue
		}
		err = decode(resp.Body)
		resp.Body.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("node %s: %w", n.ID, err))
			continue
		}
		called++
	}
	return called, errors.Join(errs...)
}

func (rs *REST) registerAdmin(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "admin-stats", Method: http.MethodGet, Path: "/api/v1/admin/stats",
		Summary: "Counters of the tenant's data and the cluster", Tags: []string{"Admin"},
	}, func(ctx context.Context, _ *struct{}) (*reply[AdminStats], error) {
		var st AdminStats
		dbs, err := rs.Meta.ListDatabases(ctx, tenantOf(ctx))
		if err != nil {
			return nil, rs.problem(err)
		}
		st.Databases = len(dbs)
		tables, err := rs.Meta.AllTables(ctx, tenantOf(ctx))
		if err != nil {
			return nil, rs.problem(err)
		}
		st.Tables = len(tables)
		for _, t := range tables {
			if n, err := rs.Node.Count(ctx, t.DB, t.Name); err == nil {
				st.Documents += n
			}
		}
		st.Nodes, err = rs.nodeCall(ctx, http.MethodGet, "/_node/stats", func(r io.Reader) error {
			var ns nodeStats
			if err := json.NewDecoder(r).Decode(&ns); err != nil {
				return err
			}
			st.StorageBytes += ns.DiskBytes
			st.LiveBytes += ns.LiveBytes
			return nil
		})
		if err != nil {
			rs.Log.Warn("admin stats: a data node did not answer", "err", err)
		}
		if v, err := rs.Node.Query(ctx, clusterQueryEngine, ""); err == nil {
			if qe, ok := v.(map[string]any); ok {
				st.QueriesPerSec, _ = qe["queries_per_sec"].(float64)
				st.ReadDocsPerSec, _ = qe["read_docs_per_sec"].(float64)
				st.WrittenDocsPerSec, _ = qe["written_docs_per_sec"].(float64)
				st.ClientsActive, _ = qe["client_connections"].(float64)
			}
		}
		return &reply[AdminStats]{Body: st}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "admin-compact", Method: http.MethodPost, Path: "/api/v1/admin/compact",
		Summary: "Compact the storage of every healthy data node", Tags: []string{"Admin"},
		Description: "Moves live values down into freed slots and truncates the files; answers the bytes reclaimed on disk.",
		Errors:      []int{http.StatusServiceUnavailable},
	}, func(ctx context.Context, _ *struct{}) (*reply[AdminCompactBody], error) {
		if !operator(ctx) {
			return nil, huma.Error403Forbidden("Only the platform's operators may compact the cluster's storage.")
		}
		out := &reply[AdminCompactBody]{}
		n, err := rs.nodeCall(ctx, http.MethodPost, "/_node/compact", func(r io.Reader) error {
			var res struct {
				ReclaimedBytes int64 `json:"reclaimed_bytes"`
			}
			if err := json.NewDecoder(r).Decode(&res); err != nil {
				return err
			}
			out.Body.ReclaimedBytes += res.ReclaimedBytes
			return nil
		})
		if err != nil {
			return nil, huma.NewError(http.StatusServiceUnavailable, "Compaction failed: "+err.Error())
		}
		if n == 0 {
			return nil, huma.NewError(http.StatusServiceUnavailable, "No healthy data node to compact.")
		}
		out.Body.Compacted, out.Body.Nodes = true, n
		return out, nil
	})
}

// waitUnseenNodes waits (until deadline) for the healthy data nodes that
// report their catalog progress to another control-plane replica — this
// one has not heard from them — by asking them (GET /_node/stats).
func (rs *REST) waitUnseenNodes(ctx context.Context, seq uint64, deadline time.Time) bool {
	nodes, err := rs.Meta.Nodes(ctx, rs.Registry)
	if err != nil {
		return false
	}
	unseen := 0
	for _, n := range nodes {
		if n.Healthy && n.LastSeen.IsZero() && n.HTTPPort != 0 {
			unseen++
		}
	}
	if unseen == 0 {
		return true
	}
	clusterID, err := rs.Meta.ClusterID(ctx)
	if err != nil {
		return false
	}
	for {
		behind := 0
		_, err := rs.nodeCall(ctx, http.MethodGet, "/_node/stats", func(r io.Reader) error {
			var st struct {
				ClusterID  string `json:"cluster_id"`
				CatalogSeq uint64 `json:"catalog_seq"`
			}
			if err := json.NewDecoder(r).Decode(&st); err != nil {
				return err
			}
			if st.ClusterID == clusterID && st.CatalogSeq < seq {
				behind++
			}
			return nil
		})
		if err == nil && behind == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
}
