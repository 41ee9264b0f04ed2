package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/photondb-io/photondb/shared/health"
)

// status implements `photondb status`: it reads /health and /_metrics of a
// running server and prints a short summary. The exit code is 0 when the
// server reports ok, 1 when it is down, starting or unreachable.
func status(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "HTTP address of the server (host:port or URL)")
	timeout := fs.Duration("timeout", 5*time.Second, "time allowed for each request")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: photondb status [flags]\n\nPrints a short summary of a running server from its /health and /_metrics.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	base := strings.TrimSuffix(*addr, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	rep, err := fetchHealth(ctx, base)
	if err != nil {
		fmt.Fprintln(stderr, "photondb status:", err)
		return 1
	}
	fams, err := fetchMetrics(ctx, base)
	if err != nil {
		fmt.Fprintln(stderr, "photondb status:", err)
		return 1
	}
	printStatus(stdout, base, rep, fams)
	if rep.Status != "ok" {
		return 1
	}
	return 0
}

func get(ctx context.Context, url string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: read body: %w", url, err)
	}
	return b, resp.StatusCode, nil
}

// fetchHealth reads /health; a 503 still carries the report.
func fetchHealth(ctx context.Context, base string) (health.Report, error) {
	var rep health.Report
	b, code, err := get(ctx, base+"/health")
	if err != nil {
		return rep, err
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return rep, fmt.Errorf("GET %s/health: status %d, not a health report: %w", base, code, err)
	}
	return rep, nil
}

func fetchMetrics(ctx context.Context, base string) (map[string]*dto.MetricFamily, error) {
	b, code, err := get(ctx, base+"/_metrics")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s/_metrics: status %d", base, code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("GET %s/_metrics: parse: %w", base, err)
	}
	return fams, nil
}

// metricSum adds up the values of every series of a family (counters,
// gauges and untyped), optionally only those whose label matches.
func metricSum(fams map[string]*dto.MetricFamily, name string, label, value string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	var sum float64
	for _, m := range f.GetMetric() {
		if label != "" && !hasLabel(m, label, value) {
			continue
		}
		switch {
		case m.GetCounter() != nil:
			sum += m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			sum += m.GetGauge().GetValue()
		case m.GetUntyped() != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue() == value
		}
	}
	return false
}

// byLabel sums a family's series by one label's value.
func byLabel(fams map[string]*dto.MetricFamily, name, label string) map[string]float64 {
	out := map[string]float64{}
	f := fams[name]
	if f == nil {
		return out
	}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out[l.GetValue()] += m.GetGauge().GetValue() + m.GetCounter().GetValue()
			}
		}
	}
	return out
}

func printStatus(w io.Writer, base string, rep health.Report, fams map[string]*dto.MetricFamily) {
	up := time.Duration(rep.UptimeSeconds * float64(time.Second)).Round(time.Second)
	fmt.Fprintf(w, "photondb at %s: %s (up %s)\n", base, rep.Status, up)

	names := make([]string, 0, len(rep.Components))
	for n := range rep.Components {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, 0, len(names))
	for _, n := range names {
		c := rep.Components[n]
		p := n + " " + c.Status
		if c.Reason != "" {
			p += " (" + c.Reason + ")"
		}
		parts = append(parts, p)
	}
	fmt.Fprintf(w, "components: %s\n", strings.Join(parts, ", "))

	roles := byLabel(fams, "rethinkdb_cluster_nodes", "role")
	roleNames := make([]string, 0, len(roles))
	var nodes float64
	for r, n := range roles {
		roleNames = append(roleNames, fmt.Sprintf("%s %g", r, n))
		nodes += n
	}
	sort.Strings(roleNames)
	var maxLag float64
	for _, l := range byLabel(fams, "rethinkdb_replication_lag_seconds", "node") {
		maxLag = max(maxLag, l)
	}
	fmt.Fprintf(w, "cluster:    %g node(s) (%s), max replication lag %gs\n", nodes, strings.Join(roleNames, ", "), maxLag)

	total := metricSum(fams, "photondb_queries_total", "", "")
	failed := total - metricSum(fams, "photondb_queries_total", "result", "ok")
	fmt.Fprintf(w, "queries:    %.0f total, %.0f failed, %.1f/s\n", total, failed, metricSum(fams, "rethinkdb_queries_per_second", "", ""))
	fmt.Fprintf(w, "drivers:    %.0f connection(s), %.0f open cursor(s)\n",
		metricSum(fams, "rethinkdb_active_connections", "", ""), metricSum(fams, "photondb_cursors_open", "", ""))
	fmt.Fprintf(w, "process:    cpu %.1f%%, memory %s\n",
		metricSum(fams, "rethinkdb_cpu_usage_percent", "", ""), bytesString(metricSum(fams, "rethinkdb_memory_usage_bytes", "", "")))
	if fams["photondb_storage_keys"] != nil {
		fmt.Fprintf(w, "storage:    %.0f keys, %s live, cache hit %.1f%%\n",
			metricSum(fams, "photondb_storage_keys", "", ""), bytesString(metricSum(fams, "photondb_storage_live_bytes", "", "")),
			100*metricSum(fams, "photondb_storage_cache_hit_ratio", "", ""))
	}
}

func bytesString(b float64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%.0f B", b)
	}
	div, exp := float64(unit), 0
	for n := b / unit; n >= unit && exp < 4; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", b/div, "KMGTP"[exp])
}
