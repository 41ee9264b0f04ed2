package changefeed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestFanOutByKeyAndPositions(t *testing.T) {
	h := NewHub(10, 0, 0)
	all, _ := h.Subscribe("", 100)
	one, _ := h.Subscribe("k1", 100)
	h.Publish([]Change{{Key: "k1"}, {Key: "k2"}, {Key: "k1"}})
	var got []uint64
	for {
		it, ok, err := all.TryNext()
		if err != nil || !ok {
			break
		}
		got = append(got, it.Change.Pos)
	}
	if len(got) != 3 || got[0] != 11 || got[2] != 13 {
		t.Fatalf("positions %v, want 11 12 13", got)
	}
	n := 0
	for {
		it, ok, _ := one.TryNext()
		if !ok {
			break
		}
		if it.Change.Key != "k1" {
			t.Fatalf("point subscriber got key %q", it.Change.Key)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("point subscriber got %d changes, want 2", n)
	}
	if h.Position() != 13 {
		t.Fatalf("position %d", h.Position())
	}
}

func TestOverflowIsBoundedAndReported(t *testing.T) {
	h := NewHub(0, 0, 0)
	s, _ := h.Subscribe("", 3)
	changes := make([]Change, 10)
	h.Publish(changes)
	if len(s.queue) != 3 {
		t.Fatalf("queue holds %d, bound is 3", len(s.queue))
	}
	it, ok, err := s.TryNext()
	if err != nil || !ok || it.Skipped != 7 {
		t.Fatalf("first item %+v %v %v: want the skipped-7 notice", it, ok, err)
	}
	for i := 0; i < 3; i++ {
		if it, ok, _ := s.TryNext(); !ok || it.Skipped != 0 {
			t.Fatalf("item %d: %+v %v", i, it, ok)
		}
	}
	if _, ok, _ := s.TryNext(); ok {
		t.Fatal("queue should be empty")
	}
}

// A stalled subscriber neither blocks the publisher nor other subscribers.
func TestStalledSubscriberDoesNotSlowOthers(t *testing.T) {
	h := NewHub(0, 0, 0)
	_, _ = h.Subscribe("", 10) // never read
	fast, _ := h.Subscribe("", 100000)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 50000; i++ {
			h.Publish([]Change{{Key: "x"}})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publisher blocked by a stalled subscriber")
	}
	n := 0
	for {
		if _, ok, _ := fast.TryNext(); !ok {
			break
		}
		n++
	}
	if n != 50000 {
		t.Fatalf("fast subscriber got %d of 50000", n)
	}
}

func TestCloseWakesAndEnds(t *testing.T) {
	h := NewHub(0, 0, 0)
	s, _ := h.Subscribe("", 10)
	dropped := errors.New("table dropped")
	var wg sync.WaitGroup
	wg.Add(1)
	var got error
	go func() {
		defer wg.Done()
		_, got = s.Next(context.Background())
	}()
	time.Sleep(20 * time.Millisecond)
	h.Close(dropped)
	wg.Wait()
	if !errors.Is(got, dropped) {
		t.Fatalf("Next after hub close: %v", got)
	}
	if _, err := h.Subscribe("", 1); !errors.Is(err, dropped) {
		t.Fatalf("subscribe to a closed hub: %v", err)
	}

	h2 := NewHub(0, 0, 0)
	s2, _ := h2.Subscribe("k", 10)
	go func() { time.Sleep(20 * time.Millisecond); s2.Close() }()
	if _, err := s2.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Next after Close: %v", err)
	}
	if len(h2.byKey) != 0 {
		t.Fatal("closed subscription still registered")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	s3, _ := h2.Subscribe("", 1)
	if _, err := s3.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next with an expiring context: %v", err)
	}
}

func TestSinceReplaysRetainedChanges(t *testing.T) {
	h := NewHub(100, 5, 0)
	h.Publish(make([]Change, 8)) // positions 101..108; 104..108 retained
	s, err := h.SubscribeSince("", 100, 105)
	if err != nil {
		t.Fatal(err)
	}
	h.Publish(make([]Change, 1)) // 109
	var got []uint64
	for {
		it, ok, _ := s.TryNext()
		if !ok {
			break
		}
		got = append(got, it.Change.Pos)
	}
	if fmt.Sprint(got) != "[106 107 108 109]" {
		t.Fatalf("replayed %v, want [106 107 108 109]", got)
	}
	if _, err := h.SubscribeSince("", 100, 101); !errors.Is(err, ErrNotRetained) {
		t.Fatalf("resume from a dropped position: %v", err)
	}
	if _, err := h.SubscribeSince("", 100, 50); !errors.Is(err, ErrNotRetained) {
		t.Fatalf("resume from before this hub: %v", err)
	}
	if s, err := h.SubscribeSince("", 100, 109); err != nil || len(s.queue) != 0 {
		t.Fatalf("resume from the current position: %v, queue %d", err, len(s.queue))
	}
}
