package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// storageUsage is the bytes the tenant's tables take on the healthy data
// nodes (measured by them, at most 5 s old).
func (rs *REST) storageUsage(ctx context.Context, tenant string) (int64, error) {
	dbs, err := rs.Meta.ListDatabases(ctx, tenant)
	if err != nil {
		return 0, err
	}
	owned := map[string]bool{}
	for _, d := range dbs {
		owned[d.Name] = true
	}
	var total int64
	_, err = rs.nodeCall(ctx, http.MethodGet, "/_node/tables", func(r io.Reader) error {
		var body struct {
			Tables []struct {
				DB    string `json:"db"`
				Bytes int64  `json:"bytes"`
			} `json:"tables"`
		}
		if err := json.NewDecoder(r).Decode(&body); err != nil {
			return err
		}
		for _, t := range body.Tables {
			if owned[t.DB] {
				total += t.Bytes
			}
		}
		return nil
	})
	return total, err
}

// checkStorageQuota refuses (403) a write that would add data when the
// tenant already stores its quota of bytes. A data node that cannot be
// measured does not block writes (logged).
func (rs *REST) checkStorageQuota(ctx context.Context, tenant string) error {
	t, err := rs.Meta.GetTenant(ctx, tenant)
	if err != nil || t.Quotas.StorageBytes <= 0 {
		return nil
	}
	used, err := rs.storageUsage(ctx, tenant)
	if err != nil {
		rs.Log.Warn("storage quota: could not measure usage", "tenant", tenant, "err", err)
		return nil
	}
	if used >= t.Quotas.StorageBytes {
		return huma.Error403Forbidden(fmt.Sprintf("Quota exceeded: tenant `%s` stores %d bytes, at most %d.", tenant, used, t.Quotas.StorageBytes))
	}
	return nil
}

// growingTerms are the ReQL terms that can add data (ql2.proto numbers):
// INSERT, UPDATE, REPLACE, TABLE_CREATE, INDEX_CREATE, DB_CREATE.
var growingTerms = map[int]bool{56: true, 53: true, 55: true, 60: true, 75: true, 57: true}

// growsData reports whether a wire term tree contains a term that can add
// data (deletes, drops and reads do not).
func growsData(term json.RawMessage) bool {
	var v any
	if err := json.Unmarshal(term, &v); err != nil {
		return true // not ours to judge: let the quota apply
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch t := v.(type) {
		case []any:
			if len(t) >= 1 {
				if n, ok := t[0].(float64); ok && growingTerms[int(n)] {
					return true
				}
			}
			for _, x := range t {
				if walk(x) {
					return true
				}
			}
		case map[string]any:
			for _, x := range t {
				if walk(x) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}
