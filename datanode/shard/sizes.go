package shard

import (
	"context"
	"fmt"

	"github.com/photondb-io/photondb/datanode/storage"
)

// TableSize is the bytes a table's documents and index entries take in
// the engine (keys and values as stored, before compression).
type TableSize struct {
	ID, DB, Name string
	Bytes        int64
}

// TableSizes measures every user table by scanning its key ranges: a cost
// proportional to the data, so callers cache it.
func (s *Store) TableSizes(ctx context.Context) ([]TableSize, error) {
	dbs, err := s.ListDBs(ctx)
	if err != nil {
		return nil, err
	}
	var out []TableSize
	for _, d := range dbs {
		tables, err := s.ListTables(ctx, d.Name)
		if err != nil {
			return nil, err
		}
		for _, t := range tables {
			var n int64
			for _, prefix := range []string{prefixData + t.ID + "/", prefixIndex + t.ID + "/"} {
				it := s.eng.NewIterator(storage.IterOptions{Prefix: []byte(prefix)})
				for it.Next() {
					n += int64(len(it.Key()) + len(it.Value()))
					if ctx.Err() != nil {
						break
					}
				}
				err := it.Err()
				it.Close()
				if err != nil {
					return nil, fmt.Errorf("measure table %s.%s: %w", t.DB, t.Name, err)
				}
				if ctx.Err() != nil {
					return nil, ctx.Err()
				}
			}
			out = append(out, TableSize{ID: t.ID, DB: t.DB, Name: t.Name, Bytes: n})
		}
	}
	return out, nil
}
