package telemetry

import (
	"testing"
	"time"
)

func TestRate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := NewRate(t0)
	if got := r.PerSecond(t0); got != 0 {
		t.Fatalf("rate at start = %v, want 0", got)
	}
	r.Add(50)
	if got := r.PerSecond(t0.Add(5 * time.Second)); got != 10 {
		t.Fatalf("50 events in 5s: rate %v, want 10", got)
	}
	// Steady 100/s for a while: the window forgets the start.
	for s := 6; s <= 30; s++ {
		r.Add(100)
		r.PerSecond(t0.Add(time.Duration(s) * time.Second))
	}
	if got := r.PerSecond(t0.Add(30 * time.Second)); got < 95 || got > 105 {
		t.Fatalf("after 25s at 100/s: rate %v, want about 100", got)
	}
	// Then nothing: the rate falls to 0 once the window has passed.
	if got := r.PerSecond(t0.Add(45 * time.Second)); got != 0 {
		t.Fatalf("15s idle: rate %v, want 0", got)
	}
	if r.Total() != 50+25*100 {
		t.Fatalf("total %d", r.Total())
	}
}
