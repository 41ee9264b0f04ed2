package drivers_test

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// rssMB reads a process's resident set size.
func rssMB(t *testing.T, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc on this system: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "VmRSS:") {
			kb, _ := strconv.ParseFloat(strings.Fields(sc.Text())[1], 64)
			return kb / 1024
		}
	}
	t.Fatal("VmRSS not found")
	return 0
}

// A table much larger than the cache: scanning it, reading it in index
// order and counting it keep the server's memory bounded (the documents
// are not all held in memory).
func TestLargeTableBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes about 300 MB")
	}
	// A soft memory limit makes the Go runtime collect before growing past
	// it: RSS then tracks what the server really holds.
	t.Setenv("GOMEMLIMIT", "160MiB")
	srv := startServerArgs(t, t.TempDir(), "--cache-size", "16")
	sess := connect(t, srv)
	runOne(t, sess, r.TableCreate("big"))
	runOne(t, sess, r.Table("big").IndexCreate("n"))
	const docs, batch, payload = 100000, 500, 3000 // ~290 MB of incompressible data
	for i := 0; i < docs; i += batch {
		rows := make([]map[string]any, 0, batch)
		for j := i; j < i+batch; j++ {
			b := make([]byte, payload/2)
			rand.Read(b)
			rows = append(rows, map[string]any{"id": j, "n": docs - j, "blob": hex.EncodeToString(b)})
		}
		res, err := r.Table("big").Insert(rows, r.InsertOpts{Durability: "soft"}).RunWrite(sess)
		if err != nil || res.Inserted != batch {
			t.Fatalf("insert batch %d: %v (%+v)", i/batch, err, res)
		}
	}
	runOne(t, sess, r.Table("big").IndexWait())
	pid := srv.cmd.Process.Pid
	before := rssMB(t, pid)

	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if mb := int64(rssMB(t, pid)); mb > peak.Load() {
				peak.Store(mb)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	read := func(name string, term r.Term) {
		cur, err := term.Run(sess)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		n := 0
		var row map[string]any
		for cur.Next(&row) {
			n++
		}
		if err := cur.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n != docs {
			t.Fatalf("%s read %d documents, want %d", name, n, docs)
		}
	}
	read("table scan", r.Table("big"))
	read("order_by index", r.Table("big").OrderBy(r.OrderByOpts{Index: "n"}))
	if n := runCount(t, sess, r.Table("big").Count()); n != docs {
		t.Fatalf("count %d", n)
	}
	close(stop)
	wg.Wait()
	dataMB := float64(docs*payload) / (1 << 20)
	t.Logf("data %.0f MB, cache 16 MB; server RSS before reads %.0f MB, peak during reads %d MB", dataMB, before, peak.Load())
	// Under the 160 MiB soft limit, a server holding the table (286 MB)
	// would have to exceed it; one that streams stays near it.
	if float64(peak.Load()) > 220 {
		t.Fatalf("peak RSS %d MB while reading %.0f MB of documents with a 16 MB cache: memory is not bounded", peak.Load(), dataMB)
	}
}
