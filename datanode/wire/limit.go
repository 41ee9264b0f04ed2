package wire

import (
	"container/list"
	"net"
	"sync"
	"time"
)

// AuthLimits slow down and then refuse clients that keep failing to
// authenticate (guessing passwords). Failures are counted per client IP
// address over a sliding window: the answer to the n-th failure in the
// window is delayed by BaseDelay·2^(n-1), at most MaxDelay; at MaxFailures
// the address is refused for Lockout (every handshake from it fails with
// "Too many failed authentication attempts; try again later.", whatever the
// password). At most MaxTracked addresses are remembered (the least recently
// failing are forgotten first), so memory stays bounded under a spread-out
// attack. A successful login does not clear an address's failures: one
// account of one's own must not buy more guesses at another's.
type AuthLimits struct {
	MaxFailures int           // failures within Window that lock an address out (default 10)
	Window      time.Duration // default 1 minute
	Lockout     time.Duration // default 5 minutes
	BaseDelay   time.Duration // delay of the first failure's answer (default 100 ms)
	MaxDelay    time.Duration // longest delay (default 2 s)
	MaxTracked  int           // addresses tracked at once (default 10,000)
}

// DefaultAuthLimits are the limits of a new Server.
var DefaultAuthLimits = AuthLimits{
	MaxFailures: 10, Window: time.Minute, Lockout: 5 * time.Minute,
	BaseDelay: 100 * time.Millisecond, MaxDelay: 2 * time.Second, MaxTracked: 10000,
}

func (l AuthLimits) withDefaults() AuthLimits {
	d := DefaultAuthLimits
	if l.MaxFailures > 0 {
		d.MaxFailures = l.MaxFailures
	}
	if l.Window > 0 {
		d.Window = l.Window
	}
	if l.Lockout > 0 {
		d.Lockout = l.Lockout
	}
	if l.BaseDelay > 0 {
		d.BaseDelay = l.BaseDelay
	}
	if l.MaxDelay > 0 {
		d.MaxDelay = l.MaxDelay
	}
	if l.MaxTracked > 0 {
		d.MaxTracked = l.MaxTracked
	}
	return d
}

// authLimiter tracks failed authentications per address.
type authLimiter struct {
	mu     sync.Mutex
	limits AuthLimits
	now    func() time.Time
	byAddr map[string]*list.Element // of *failures
	lru    *list.List               // most recently failing first
}

// failures are one address's recent failures (oldest first, at most
// MaxFailures) and the end of its lockout.
type failures struct {
	addr        string
	times       []time.Time
	lockedUntil time.Time
}

func newAuthLimiter(l AuthLimits) *authLimiter {
	return &authLimiter{limits: l.withDefaults(), now: time.Now, byAddr: map[string]*list.Element{}, lru: list.New()}
}

func (a *authLimiter) setLimits(l AuthLimits) {
	a.mu.Lock()
	a.limits = l.withDefaults()
	a.mu.Unlock()
}

// locked reports whether addr is refused now.
func (a *authLimiter) locked(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.byAddr[addr]
	return ok && a.now().Before(e.Value.(*failures).lockedUntil)
}

// fail records a failed authentication from addr and returns how long to
// wait before answering it.
func (a *authLimiter) fail(addr string) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	var f *failures
	if e, ok := a.byAddr[addr]; ok {
		f = e.Value.(*failures)
		a.lru.MoveToFront(e)
	} else {
		a.forgetStale(now)
		for a.lru.Len() >= a.limits.MaxTracked {
			a.remove(a.lru.Back())
		}
		f = &failures{addr: addr}
		a.byAddr[addr] = a.lru.PushFront(f)
	}
	cutoff := now.Add(-a.limits.Window)
	kept := f.times[:0]
	for _, t := range f.times {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	f.times = kept
	if len(f.times) >= a.limits.MaxFailures {
		f.times = f.times[1:]
	}
	f.times = append(f.times, now)
	n := len(f.times)
	if n >= a.limits.MaxFailures {
		f.lockedUntil = now.Add(a.limits.Lockout)
	}
	delay := a.limits.BaseDelay
	for i := 1; i < n && delay < a.limits.MaxDelay; i++ {
		delay *= 2
	}
	return min(delay, a.limits.MaxDelay)
}

// forgetStale drops the least recently failing addresses whose failures
// are all older than the window and whose lockout is over.
func (a *authLimiter) forgetStale(now time.Time) {
	cutoff := now.Add(-a.limits.Window)
	for e := a.lru.Back(); e != nil; e = a.lru.Back() {
		f := e.Value.(*failures)
		if len(f.times) > 0 && f.times[len(f.times)-1].After(cutoff) || now.Before(f.lockedUntil) {
			return
		}
		a.remove(e)
	}
}

func (a *authLimiter) remove(e *list.Element) {
	delete(a.byAddr, e.Value.(*failures).addr)
	a.lru.Remove(e)
}

// tracked is the number of addresses remembered (for tests).
func (a *authLimiter) tracked() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lru.Len()
}

// clientIP is the address failures are counted under: the IP of a TCP
// peer, or the whole address otherwise.
func clientIP(addr net.Addr) string {
	if addr == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	return host
}
