package wire

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/shared/telemetry"
)

// BenchmarkObserveQuery is the per-query cost of the wire layer's
// instrumentation alone (begin, reply, end), bare and with the SDK.
func BenchmarkObserveQuery(b *testing.B) {
	q, err := reql.Compile(json.RawMessage(`[16,[[15,["bench"]],1]]`), nil)
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, inst := range []bool{false, true} {
		name := "bare"
		in := Instrumentation{}
		if inst {
			name = "instrumented"
			m, err := telemetry.NewMetrics(nil)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := telemetry.NewTracing(context.Background(), nil, func(string) string { return "" })
			if err != nil {
				b.Fatal(err)
			}
			in = Instrumentation{Meters: m.Provider(), Tracers: tr.Provider()}
		}
		o, err := newObserver(in, log)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				qo := o.begin(ctx, q)
				qo.reply(nil, 1, 40)
				qo.end()
			}
		})
	}
}
