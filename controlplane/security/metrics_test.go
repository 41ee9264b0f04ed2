package security

import (
	"context"
	"net/http"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestRegisterMetrics(t *testing.T) {
	rc := newReceiver(t, nil)
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	g, srv := serve(t, Options{RateLimit: RateLimitOptions{Requests: 2}, Honeytrap: ReporterOptions{URL: rc.srv.URL}}, nil)
	reg, err := g.RegisterMetrics(mp)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()

	checkProblem(t, do(t, srv, req{from: "127.0.0.50", target: "/x?q=<script>"}), http.StatusForbidden)
	checkProblem(t, do(t, srv, req{from: "127.0.0.50", target: "/x"}), http.StatusForbidden)
	checkProblem(t, do(t, srv, req{from: "127.0.0.51", target: "/x?f=../../etc/passwd"}), http.StatusForbidden)
	for range 3 {
		do(t, srv, req{from: "127.0.0.52", target: "/x"})
	}
	eventually(t, 5*time.Second, "the events", func() bool { return g.Stats().Honeytrap.Sent == 2 })

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var points []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				points = d.DataPoints
			case metricdata.Gauge[int64]:
				points = d.DataPoints
			}
			for _, p := range points {
				key := m.Name
				for _, kv := range p.Attributes.ToSlice() {
					key += "{" + string(kv.Key) + "=" + kv.Value.Emit() + "}"
				}
				got[key] = p.Value
			}
		}
	}
	want := map[string]int64{
		"photondb_security_rate_limited":                                       1,
		"photondb_security_blocked":                                            1,
		"photondb_security_attacks{category=xss}":                              1,
		"photondb_security_attacks{category=path-traversal}":                   1,
		"photondb_security_attacks{category=sql-injection}":                    0,
		"photondb_security_blacklist_entries":                                  2,
		"photondb_security_honeytrap_events{result=sent}":                      2,
		"photondb_security_honeytrap_events{result=dropped}":                   0,
		"photondb_security_honeytrap_retries":                                  0,
		"photondb_security_honeytrap_queue":                                    0,
		"photondb_security_attacks{category=" + CategoryCommandInjection + "}": 0,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}
