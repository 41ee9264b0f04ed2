package drivers_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	r "gopkg.in/rethinkdb/rethinkdb-go.v6"
)

// briefMetrics are the metric names of the design brief, which operators'
// dashboards use as they are.
var briefMetrics = []string{
	"rethinkdb_cpu_usage_percent",
	"rethinkdb_memory_usage_bytes",
	"rethinkdb_queries_per_second",
	"rethinkdb_active_connections",
	"rethinkdb_cluster_nodes",
	"rethinkdb_replication_lag_seconds",
}

// scrape fetches and parses the server's /_metrics.
func scrape(t testing.TB, s *server) map[string]*dto.MetricFamily {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/_metrics", s.HTTPPort))
	if err != nil {
		t.Fatalf("GET /_metrics: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /_metrics: status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /_metrics: Content-Type %q, want the Prometheus text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /_metrics: %v", err)
	}
	return fams
}

// value sums a family's series whose labels include want (counters,
// gauges, and histogram sample counts).
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	var sum float64
series:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

func TestMetricsEndpoint(t *testing.T) {
	srv := startServer(t, t.TempDir())
	before := scrape(t, srv)
	for _, name := range briefMetrics {
		if before[name] == nil {
			t.Errorf("/_metrics lacks %s", name)
		}
	}
	if got := value(before, "rethinkdb_cluster_nodes", map[string]string{"role": "datanode"}); got != 1 {
		t.Errorf("rethinkdb_cluster_nodes{role=datanode} = %v, want 1", got)
	}
	if f := before["rethinkdb_replication_lag_seconds"]; f != nil {
		if len(f.GetMetric()) != 1 || f.GetMetric()[0].GetLabel()[0].GetName() != "node" || f.GetMetric()[0].GetGauge().GetValue() != 0 {
			t.Errorf("rethinkdb_replication_lag_seconds = %v, want one series {node=...} 0", f.GetMetric())
		}
	}
	if got := value(before, "rethinkdb_memory_usage_bytes", nil); got <= 0 {
		t.Errorf("rethinkdb_memory_usage_bytes = %v, want > 0", got)
	}

	sess := connect(t, srv)
	runOne(t, sess, r.TableCreate("observed"))
	docs := make([]map[string]any, 10)
	for i := range docs {
		docs[i] = map[string]any{"id": i, "v": strings.Repeat("x", i)}
	}
	runOne(t, sess, r.Table("observed").Insert(docs))
	runOne(t, sess, r.Table("observed").Get(3))
	if n := len(runAll(t, sess, r.Table("observed"))); n != 10 {
		t.Fatalf("table scan returned %d rows, want 10", n)
	}
	runCount(t, sess, r.Table("observed").Count())
	runErr(t, sess, r.Table("missing"))
	const queries = 6 // table_create, insert, get, scan, count, error

	after := scrape(t, srv)
	for _, name := range briefMetrics {
		if after[name] == nil {
			t.Errorf("/_metrics lacks %s after queries", name)
		}
	}
	moved := func(name string, labels map[string]string, atLeast float64) {
		t.Helper()
		d := value(after, name, labels) - value(before, name, labels)
		if d < atLeast {
			t.Errorf("%s%v moved by %v, want at least %v", name, labels, d, atLeast)
		}
	}
	moved("photondb_queries_total", nil, queries)
	moved("photondb_queries_total", map[string]string{"family": "write", "result": "ok"}, 1)
	moved("photondb_queries_total", map[string]string{"family": "read", "result": "ok"}, 3)
	moved("photondb_queries_total", map[string]string{"family": "admin", "result": "ok"}, 1)
	moved("photondb_queries_total", map[string]string{"result": "runtime_error"}, 1)
	moved("photondb_query_duration_seconds", nil, queries)
	moved("photondb_table_writes_total", map[string]string{"db": "test", "table": "observed"}, 10)
	moved("photondb_table_reads_total", map[string]string{"db": "test", "table": "observed"}, 1+10+10)
	moved("photondb_cursors_total", nil, 1)
	moved("photondb_driver_connections_total", map[string]string{"result": "ok"}, 1)
	moved("photondb_storage_batches_total", nil, 2)
	moved("photondb_http_requests_total", map[string]string{"route": "/_metrics", "status": "200", "method": "GET"}, 1)
	if got := value(after, "rethinkdb_active_connections", nil); got < 1 {
		t.Errorf("rethinkdb_active_connections = %v with a session open, want >= 1", got)
	}
	if got := value(after, "rethinkdb_queries_per_second", nil); got <= 0 {
		t.Errorf("rethinkdb_queries_per_second = %v after %d queries, want > 0", got, queries)
	}
	if got := value(after, "photondb_storage_keys", nil); got < 10 {
		t.Errorf("photondb_storage_keys = %v, want >= 10", got)
	}
	if got := value(after, "photondb_cursors_open", nil); got != 0 {
		t.Errorf("photondb_cursors_open = %v after every cursor was read to the end, want 0", got)
	}

	// photondb status summarizes the same sources.
	cmd := exec.Command(serverBin, "status", "--addr", fmt.Sprintf("127.0.0.1:%d", srv.HTTPPort))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("photondb status: %v\n%s", err, out)
	}
	for _, want := range []string{": ok (up ", "storage ok", "1 node(s) (datanode 1)", "connection(s)", "queries:", "memory"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("photondb status output lacks %q:\n%s", want, out)
		}
	}
	m := regexp.MustCompile(`queries:\s+(\d+) total`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("photondb status output has no query total:\n%s", out)
	}
	if n, _ := strconv.Atoi(m[1]); n < queries {
		t.Errorf("photondb status reports %d queries, want at least %d:\n%s", n, queries, out)
	}
}

// A server that is not running makes `photondb status` fail with exit code 1.
func TestStatusUnreachable(t *testing.T) {
	cmd := exec.Command(serverBin, "status", "--addr", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--timeout", "2s")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("photondb status against a closed port: err %v, want exit code 1\n%s", err, out)
	}
}

// With --log-dir the log goes to a file too; a query over --slow-query-ms is
// logged with its summary and the trace id of its span.
func TestSlowQueryLogInLogFile(t *testing.T) {
	logDir := t.TempDir()
	srv := startServerArgs(t, t.TempDir(), "--log-dir", logDir, "--slow-query-ms", "1", "--log-format", "json")
	sess := connect(t, srv)
	// Long enough to pass 1 ms on any machine, short enough to stay fast.
	runCount(t, sess, r.Range(300000).Map(func(x r.Term) r.Term { return x.Add(1) }).Count())
	srv.Stop()

	f, err := os.Open(filepath.Join(logDir, "photondb.log"))
	if err != nil {
		t.Fatalf("log file: %v", err)
	}
	defer f.Close()
	var slow map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line %q is not JSON: %v", sc.Text(), err)
		}
		if rec["msg"] == "slow query" && strings.Contains(fmt.Sprint(rec["db.query.summary"]), "count") {
			slow = rec
		}
	}
	if slow == nil {
		b, _ := os.ReadFile(filepath.Join(logDir, "photondb.log"))
		t.Fatalf("no slow-query line for the count query in the log file:\n%s", tailString(string(b), 4000))
	}
	if id, _ := slow["trace_id"].(string); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) || strings.Trim(id, "0") == "" {
		t.Errorf("slow-query line has trace_id %q, want a 32-hex-digit id: %v", slow["trace_id"], slow)
	}
	if slow["level"] != "WARN" || slow["db.query.summary"] != "range.map.count" || slow["result"] != "ok" {
		t.Errorf("slow-query line %v: want level WARN, summary range.map.count, result ok", slow)
	}
	if d, _ := slow["duration_ms"].(float64); d < 1 {
		t.Errorf("slow-query line duration_ms %v, want >= 1", slow["duration_ms"])
	}
}

func tailString(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
