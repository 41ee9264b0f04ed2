package telemetry

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/metric"
)

// Observables creates observable instruments on one meter and collects
// their errors, so a component declares its metrics in a list and checks
// once: o := telemetry.NewObservables(mp, "datanode"); g := o.Gauge(...);
// ...; if err := o.Err(); err != nil {...}.
type Observables struct {
	Meter metric.Meter
	owner string
	errs  []error
}

// NewObservables returns a builder on the PhotonDB meter of mp; owner
// prefixes error messages.
func NewObservables(mp metric.MeterProvider, owner string) *Observables {
	return &Observables{Meter: mp.Meter(ScopeName), owner: owner}
}

func (o *Observables) fail(name string, err error) {
	if err != nil {
		o.errs = append(o.errs, fmt.Errorf("%s: metric %s: %w", o.owner, name, err))
	}
}

// Gauge is an int64 observable gauge.
func (o *Observables) Gauge(name, desc string) metric.Int64ObservableGauge {
	g, err := o.Meter.Int64ObservableGauge(name, metric.WithDescription(desc))
	o.fail(name, err)
	return g
}

// FloatGauge is a float64 observable gauge.
func (o *Observables) FloatGauge(name, desc string) metric.Float64ObservableGauge {
	g, err := o.Meter.Float64ObservableGauge(name, metric.WithDescription(desc))
	o.fail(name, err)
	return g
}

// Counter is an int64 observable counter.
func (o *Observables) Counter(name, desc string) metric.Int64ObservableCounter {
	c, err := o.Meter.Int64ObservableCounter(name, metric.WithDescription(desc))
	o.fail(name, err)
	return c
}

// Err joins the errors of the instruments created so far.
func (o *Observables) Err() error { return errors.Join(o.errs...) }
