package scheduler

import (
	"context"
	"errors"
	"time"
)

// DefaultInterval is how often Loop reconciles when nothing triggers it.
const DefaultInterval = 5 * time.Second

// resignTimeout bounds the Resign call made when Run's context ends.
const resignTimeout = 5 * time.Second

// ErrLeadershipLost is returned by Loop.Run when the elector reports that
// this process is no longer the leader.
var ErrLeadershipLost = errors.New("scheduler: leadership lost")

// Elector is the leader election the scheduler runs under (implemented
// elsewhere, e.g. on the catalog's sessions).
type Elector interface {
	// Campaign blocks until this process is the leader or ctx ends. The
	// returned channel is closed when leadership is lost; a nil channel
	// means it is never lost.
	Campaign(ctx context.Context) (lost <-chan struct{}, err error)
	// Resign gives leadership up.
	Resign(ctx context.Context) error
}

// AlwaysLeader is the Elector of the embedded single-node mode: Campaign
// succeeds at once and leadership is never lost.
type AlwaysLeader struct{}

// Campaign returns at once with a nil channel (never lost), unless ctx
// has already ended.
func (AlwaysLeader) Campaign(ctx context.Context) (<-chan struct{}, error) {
	return nil, ctx.Err()
}

// Resign does nothing.
func (AlwaysLeader) Resign(context.Context) error { return nil }

// Loop calls Reconcile while this process is the leader: once when it
// becomes the leader, then whenever Trigger fires and every Interval.
type Loop struct {
	// Elector gates the loop; nil means AlwaysLeader.
	Elector Elector
	// Reconcile does one round of scheduling. Its context ends when
	// leadership is lost or Run's context ends. Required.
	Reconcile func(ctx context.Context) error
	// Trigger, when set, asks for a reconcile (e.g. on catalog changes).
	// Fires during a reconcile are not lost if the channel is buffered.
	Trigger <-chan struct{}
	// Interval between reconciles without triggers; DefaultInterval when
	// not positive.
	Interval time.Duration
	// OnError, when set, receives Reconcile's and Resign's errors; the
	// loop goes on regardless.
	OnError func(error)
}

// Run campaigns for leadership, then reconciles until leadership is lost
// (ErrLeadershipLost) or ctx ends (ctx's error, after resigning). A
// Campaign error is returned as is. Run does not campaign again; callers
// that want to stay candidates call it in a loop.
func (l *Loop) Run(ctx context.Context) error {
	if l.Reconcile == nil {
		return errors.New("scheduler: Loop.Reconcile is nil")
	}
	elector := l.Elector
	if elector == nil {
		elector = AlwaysLeader{}
	}
	interval := l.Interval
	if interval <= 0 {
		interval = DefaultInterval
	}

	lost, err := elector.Campaign(ctx)
	if err != nil {
		return err
	}
	leaderCtx, cancel := context.WithCancel(ctx)
	watcherDone := make(chan struct{})
	go func() { // ends an in-flight Reconcile as soon as leadership is lost
		defer close(watcherDone)
		select {
		case <-lost:
			cancel()
		case <-leaderCtx.Done():
		}
	}()
	defer func() {
		cancel()
		<-watcherDone
	}()

	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	reconcile := func() {
		select {
		case <-lost:
			return
		default:
		}
		if leaderCtx.Err() != nil {
			return
		}
		if err := l.Reconcile(leaderCtx); err != nil && leaderCtx.Err() == nil {
			l.report(err)
		}
	}

	trigger := l.Trigger
	reconcile()
	for {
		select {
		case <-lost:
			return l.stop(ctx, elector, true)
		case <-ctx.Done():
			return l.stop(ctx, elector, false)
		case _, ok := <-trigger:
			if !ok { // a closed trigger would spin: ignore it from now on
				trigger = nil
				continue
			}
			reconcile()
		case <-ticker.C:
			reconcile()
		}
	}
}

// stop works out why Run ends: ctx ending wins over a lost leadership and
// resigns, so that another candidate takes over at once.
func (l *Loop) stop(ctx context.Context, elector Elector, lost bool) error {
	if err := ctx.Err(); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), resignTimeout)
		defer cancel()
		if !lost {
			if rerr := elector.Resign(rctx); rerr != nil {
				l.report(rerr)
			}
		}
		return err
	}
	return ErrLeadershipLost
}

func (l *Loop) report(err error) {
	if l.OnError != nil {
		l.OnError(err)
	}
}
