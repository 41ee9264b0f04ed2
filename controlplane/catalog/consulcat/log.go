package consulcat

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/photondb-io/photondb/controlplane/catalog"
)

// logRecord is the JSON stored at <prefix>_catalog/log/<seq>: the changes
// one Put, Delete or Txn committed.
type logRecord struct {
	Seq     uint64      `json:"seq"`
	Changes []logChange `json:"changes"`
}

type logChange struct {
	Key     string `json:"key"`
	Value   []byte `json:"value,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

var errCorrupt = errors.New("corrupt change record")

// decodeRecord parses and checks the record stored for sequence seq. It
// returns an error, never panics, on malformed input.
func decodeRecord(raw []byte, seq uint64) (logRecord, error) {
	var rec logRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return logRecord{}, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	if rec.Seq != seq {
		return logRecord{}, fmt.Errorf("%w: holds sequence %d, want %d", errCorrupt, rec.Seq, seq)
	}
	if len(rec.Changes) == 0 || len(rec.Changes) > catalog.MaxTxnOps {
		return logRecord{}, fmt.Errorf("%w: %d changes", errCorrupt, len(rec.Changes))
	}
	for i, ch := range rec.Changes {
		if !catalog.ValidKey(ch.Key) {
			return logRecord{}, fmt.Errorf("%w: change %d has malformed key %q", errCorrupt, i, ch.Key)
		}
		switch {
		case ch.Deleted && ch.Value != nil:
			return logRecord{}, fmt.Errorf("%w: change %d deletes %q but has a value", errCorrupt, i, ch.Key)
		case !ch.Deleted && ch.Value == nil:
			rec.Changes[i].Value = []byte{} // an empty value is omitted
		}
	}
	return rec, nil
}
