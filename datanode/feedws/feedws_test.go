package feedws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/shard"
	"github.com/photondb-io/photondb/datanode/storage"
)

func setup(t *testing.T) (*shard.Store, string) {
	t.Helper()
	eng, err := storage.Open(t.TempDir(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	st, err := shard.Open(eng, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateTable(context.Background(), reql.TableConfig{DB: "test", Name: "t", PrimaryKey: "id", Durability: "soft"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&Handler{Store: st})
	t.Cleanup(srv.Close)
	return st, "ws" + strings.TrimPrefix(srv.URL, "http")
}

func write(t *testing.T, st *shard.Store, docs ...map[string]any) {
	t.Helper()
	tbl, err := st.OpenTable(context.Background(), "test", "t")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		d := d
		op := &reql.WriteOp{Key: d["id"], Apply: func(map[string]any) (map[string]any, error) { return d, nil }}
		if err := tbl.Write(context.Background(), []*reql.WriteOp{op}, "soft"); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, c *websocket.Conn) frame {
	t.Helper()
	var f frame
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := c.ReadJSON(&f); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return f
}

func TestWebSocketFeed(t *testing.T) {
	st, url := setup(t)
	write(t, st, map[string]any{"id": 1.0, "kind": "a"})
	c, _, err := websocket.DefaultDialer.Dial(url+"/api/changes?db=test&table=t&include_initial=true&include_types=true&filter="+`{"kind":"a"}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if f := read(t, c); f.Type != "initial" || f.NewVal.(map[string]any)["id"] != 1.0 {
		t.Fatalf("initial frame %+v", f)
	}
	write(t, st, map[string]any{"id": 2.0, "kind": "b"}) // filtered out
	write(t, st, map[string]any{"id": 3.0, "kind": "a"})
	f := read(t, c)
	if f.Type != "add" || f.OldVal != nil || f.NewVal.(map[string]any)["id"] != 3.0 {
		t.Fatalf("change frame %+v", f)
	}
	write(t, st, map[string]any{"id": 3.0, "kind": "b"}) // leaves the filter
	if f := read(t, c); f.Type != "remove" || f.NewVal != nil {
		t.Fatalf("leave frame %+v", f)
	}
	if _, err := st.DropTable(context.Background(), "test", "t"); err != nil {
		t.Fatal(err)
	}
	if f := read(t, c); f.Error != "Changefeed aborted (table unavailable)." {
		t.Fatalf("drop frame %+v", f)
	}
}

func TestWebSocketErrors(t *testing.T) {
	_, url := setup(t)
	tests := []struct {
		query string
		code  int
	}{
		{"", http.StatusBadRequest},
		{"?table=nope", http.StatusNotFound},
		{"?table=t&filter=notjson", http.StatusBadRequest},
	}
	for _, tt := range tests {
		_, resp, err := websocket.DefaultDialer.Dial(url+"/api/changes"+tt.query, nil)
		if err == nil || resp == nil || resp.StatusCode != tt.code {
			t.Errorf("%q: err %v, response %v, want HTTP %d", tt.query, err, resp, tt.code)
		}
	}
}
