package security

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/photondb-io/photondb/shared/telemetry"
)

// RegisterMetrics reports the Guard's counters (Stats) as OpenTelemetry
// observable instruments, read when metrics are collected:
//
//	photondb_security_rate_limited          429 answers
//	photondb_security_blocked               403 answers to blacklisted addresses
//	photondb_security_attacks{category}     attacks detected (403 answers)
//	photondb_security_blacklist_entries     automatic blacklist entries (gauge)
//	photondb_security_honeytrap_events{result="sent|dropped|failed"}
//	photondb_security_honeytrap_retries     retried Honeytrap POSTs
//	photondb_security_honeytrap_queue       events waiting to be sent (gauge)
//
// Unregister the returned registration when the Guard goes away.
func (g *Guard) RegisterMetrics(mp metric.MeterProvider) (metric.Registration, error) {
	obs := telemetry.NewObservables(mp, "security")
	m := obs.Meter
	counter, gauge := obs.Counter, obs.Gauge
	limited := counter("photondb_security_rate_limited", "Requests refused with 429 by the per-address rate limit.")
	blocked := counter("photondb_security_blocked", "Requests refused with 403 because the address is blacklisted.")
	attacks := counter("photondb_security_attacks", "Requests refused with 403 as attacks, by category.")
	entries := gauge("photondb_security_blacklist_entries", "Automatic IP blacklist entries.")
	events := counter("photondb_security_honeytrap_events", "Attack events for Honeytrap, by result: sent, dropped or failed.")
	retries := counter("photondb_security_honeytrap_retries", "Retried Honeytrap POSTs.")
	queue := gauge("photondb_security_honeytrap_queue", "Attack events waiting to be sent to Honeytrap.")
	if err := obs.Err(); err != nil {
		return nil, err
	}
	var byCategory [len(categories)]metric.ObserveOption
	for i, c := range categories {
		byCategory[i] = metric.WithAttributeSet(attribute.NewSet(attribute.String("category", c)))
	}
	result := func(r string) metric.ObserveOption {
		return metric.WithAttributeSet(attribute.NewSet(attribute.String("result", r)))
	}
	sent, dropped, failed := result("sent"), result("dropped"), result("failed")
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := g.Stats()
		o.ObserveInt64(limited, int64(s.Limited))
		o.ObserveInt64(blocked, int64(s.Blocked))
		for i, c := range categories {
			o.ObserveInt64(attacks, int64(s.Attacks[c]), byCategory[i])
		}
		o.ObserveInt64(entries, int64(s.Blacklisted))
		if g.reporter != nil {
			o.ObserveInt64(events, int64(s.Honeytrap.Sent), sent)
			o.ObserveInt64(events, int64(s.Honeytrap.Dropped), dropped)
			o.ObserveInt64(events, int64(s.Honeytrap.Failed), failed)
			o.ObserveInt64(retries, int64(s.Honeytrap.Retries))
			o.ObserveInt64(queue, int64(s.Honeytrap.Queued))
		}
		return nil
	}, limited, blocked, attacks, entries, events, retries, queue)
	if err != nil {
		return nil, fmt.Errorf("security: register metrics: %w", err)
	}
	return reg, nil
}
