package scheduler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// wait bounds every wait of the Loop tests; they never sleep.
const wait = 5 * time.Second

// testElector wins at once (or fails) and loses leadership when the test
// closes lost.
type testElector struct {
	lost        chan struct{}
	campaignErr error
	block       bool // Campaign waits for ctx to end
	resigned    chan struct{}
}

func newTestElector() *testElector {
	return &testElector{lost: make(chan struct{}), resigned: make(chan struct{}, 1)}
}

func (e *testElector) Campaign(ctx context.Context) (<-chan struct{}, error) {
	if e.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if e.campaignErr != nil {
		return nil, e.campaignErr
	}
	return e.lost, nil
}

func (e *testElector) Resign(context.Context) error {
	e.resigned <- struct{}{}
	return errors.New("resign failed")
}

// recorder counts reconciles and reports each on calls.
type recorder struct {
	calls chan int
	mu    sync.Mutex
	n     int
	fn    func(ctx context.Context) error // optional behavior
}

func newRecorder() *recorder { return &recorder{calls: make(chan int, 100)} }

func (r *recorder) reconcile(ctx context.Context) error {
	r.mu.Lock()
	r.n++
	n := r.n
	r.mu.Unlock()
	r.calls <- n
	if r.fn != nil {
		return r.fn(ctx)
	}
	return nil
}

func (r *recorder) next(t *testing.T) int {
	t.Helper()
	select {
	case n := <-r.calls:
		return n
	case <-time.After(wait):
		t.Fatal("no reconcile")
		return 0
	}
}

// run starts l.Run and returns a channel with its result.
func run(ctx context.Context, l *Loop) <-chan error {
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	return done
}

func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(wait):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestLoopAlwaysLeaderTriggers(t *testing.T) {
	for _, tt := range []struct {
		name    string
		elector Elector
	}{
		{"AlwaysLeader", AlwaysLeader{}},
		{"nil elector", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			trigger := make(chan struct{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := run(ctx, &Loop{Elector: tt.elector, Reconcile: rec.reconcile, Trigger: trigger, Interval: time.Hour})
			if n := rec.next(t); n != 1 {
				t.Fatalf("first reconcile is #%d", n)
			}
			for want := 2; want <= 4; want++ {
				trigger <- struct{}{}
				if n := rec.next(t); n != want {
					t.Fatalf("reconcile #%d, want #%d", n, want)
				}
			}
			cancel()
			if err := result(t, done); !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want context.Canceled", err)
			}
		})
	}
}

func TestLoopInterval(t *testing.T) {
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := run(ctx, &Loop{Reconcile: rec.reconcile, Interval: time.Millisecond})
	for want := 1; want <= 3; want++ {
		if n := rec.next(t); n != want {
			t.Fatalf("reconcile #%d, want #%d", n, want)
		}
	}
	cancel()
	if err := result(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
}

func TestLoopLosesLeadership(t *testing.T) {
	el := newTestElector()
	rec := newRecorder()
	trigger := make(chan struct{})
	done := run(context.Background(), &Loop{Elector: el, Reconcile: rec.reconcile, Trigger: trigger, Interval: time.Hour})
	rec.next(t)
	trigger <- struct{}{}
	rec.next(t)
	close(el.lost)
	if err := result(t, done); !errors.Is(err, ErrLeadershipLost) {
		t.Fatalf("Run = %v, want ErrLeadershipLost", err)
	}
	select {
	case n := <-rec.calls:
		t.Fatalf("reconcile #%d after leadership was lost", n)
	case <-el.resigned:
		t.Fatal("resigned after losing leadership")
	default:
	}
}

// TestLoopLostCancelsReconcile: an in-flight Reconcile sees its context
// end as soon as leadership is lost.
func TestLoopLostCancelsReconcile(t *testing.T) {
	el := newTestElector()
	rec := newRecorder()
	canceled := make(chan error, 1)
	rec.fn = func(ctx context.Context) error {
		<-ctx.Done()
		canceled <- ctx.Err()
		return ctx.Err()
	}
	var reported []error
	done := run(context.Background(), &Loop{
		Elector:   el,
		Reconcile: rec.reconcile,
		OnError:   func(err error) { reported = append(reported, err) },
	})
	rec.next(t)
	close(el.lost)
	select {
	case err := <-canceled:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("reconcile context ended with %v", err)
		}
	case <-time.After(wait):
		t.Fatal("reconcile context not canceled")
	}
	if err := result(t, done); !errors.Is(err, ErrLeadershipLost) {
		t.Fatalf("Run = %v", err)
	}
	if len(reported) != 0 {
		t.Fatalf("errors of a canceled reconcile reported: %v", reported)
	}
}

func TestLoopResignsOnShutdown(t *testing.T) {
	el := newTestElector()
	rec := newRecorder()
	reported := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := run(ctx, &Loop{Elector: el, Reconcile: rec.reconcile, OnError: func(err error) { reported <- err }})
	rec.next(t)
	cancel()
	if err := result(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	select {
	case <-el.resigned:
	default:
		t.Fatal("did not resign")
	}
	select {
	case err := <-reported:
		if err.Error() != "resign failed" {
			t.Fatalf("reported %v", err)
		}
	default:
		t.Fatal("Resign's error not reported")
	}
}

func TestLoopReconcileErrorsContinue(t *testing.T) {
	rec := newRecorder()
	boom := errors.New("boom")
	rec.fn = func(context.Context) error { return boom }
	reported := make(chan error, 10)
	trigger := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := run(ctx, &Loop{Reconcile: rec.reconcile, Trigger: trigger, Interval: time.Hour, OnError: func(err error) { reported <- err }})
	rec.next(t)
	trigger <- struct{}{}
	rec.next(t)
	for range 2 {
		select {
		case err := <-reported:
			if !errors.Is(err, boom) {
				t.Fatalf("reported %v", err)
			}
		case <-time.After(wait):
			t.Fatal("error not reported")
		}
	}
	cancel()
	if err := result(t, done); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
}

func TestLoopCampaign(t *testing.T) {
	campaignErr := errors.New("no quorum")
	tests := []struct {
		name    string
		elector *testElector
		cancel  bool
		want    error
	}{
		{"campaign fails", &testElector{campaignErr: campaignErr}, false, campaignErr},
		{"shutdown while campaigning", &testElector{block: true}, true, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := run(ctx, &Loop{Elector: tt.elector, Reconcile: rec.reconcile})
			if tt.cancel {
				cancel()
			}
			if err := result(t, done); !errors.Is(err, tt.want) {
				t.Fatalf("Run = %v, want %v", err, tt.want)
			}
			if len(rec.calls) != 0 {
				t.Fatal("reconciled without leadership")
			}
		})
	}
}

// TestLoopClosedTrigger: a closed trigger does not make the loop spin.
func TestLoopClosedTrigger(t *testing.T) {
	rec := newRecorder()
	trigger := make(chan struct{})
	close(trigger)
	el := newTestElector()
	done := run(context.Background(), &Loop{Elector: el, Reconcile: rec.reconcile, Trigger: trigger, Interval: time.Hour})
	rec.next(t)
	close(el.lost)
	if err := result(t, done); !errors.Is(err, ErrLeadershipLost) {
		t.Fatalf("Run = %v", err)
	}
	if len(rec.calls) != 0 {
		t.Fatalf("%d extra reconciles", len(rec.calls))
	}
}

func TestLoopNeedsReconcile(t *testing.T) {
	if err := (&Loop{}).Run(context.Background()); err == nil {
		t.Fatal("Run without Reconcile succeeded")
	}
}
