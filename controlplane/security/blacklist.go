package security

import (
	"container/list"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultMaxBlacklistEntries bounds the automatic blacklist entries.
const DefaultMaxBlacklistEntries = 10000

// Entry is a blacklist entry.
type Entry struct {
	// Prefix is the blocked address range; a single address is a /32
	// (IPv4) or /128 (IPv6) prefix. Automatic entries block an IPv6
	// client's whole /64, which it typically controls.
	Prefix netip.Prefix `json:"prefix"`
	// Static entries come from configuration and never expire.
	Static bool   `json:"static"`
	Reason string `json:"reason,omitempty"`
	// Added and Expires are zero for static entries.
	Added   time.Time `json:"added,omitzero"`
	Expires time.Time `json:"expires,omitzero"`
}

// Blacklist is a set of blocked address ranges: static entries from
// configuration, and automatic entries (added when an attack is detected)
// that expire. Automatic entries are bounded: when full, expired entries go
// first, then the oldest. Safe for concurrent use.
type Blacklist struct {
	staticAddrs map[netip.Addr]bool
	staticNets  []netip.Prefix
	now         func() time.Time
	max         int

	mu sync.RWMutex
	// auto maps each automatic prefix to its element in order (oldest
	// first); bits counts the automatic prefixes by length, so a lookup
	// tries each length in use once.
	auto  map[netip.Prefix]*list.Element
	order *list.List
	bits  map[int]int
}

// NewBlacklist returns a blacklist with the static entries (IP addresses or
// CIDR prefixes, IPv4 or IPv6), at most maxEntries automatic entries
// (DefaultMaxBlacklistEntries when <= 0), and now as its clock (time.Now
// when nil).
func NewBlacklist(static []string, maxEntries int, now func() time.Time) (*Blacklist, error) {
	if maxEntries <= 0 {
		maxEntries = DefaultMaxBlacklistEntries
	}
	if now == nil {
		now = time.Now
	}
	b := &Blacklist{
		staticAddrs: make(map[netip.Addr]bool), now: now, max: maxEntries,
		auto: make(map[netip.Prefix]*list.Element), order: list.New(), bits: make(map[int]int),
	}
	for _, s := range static {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("security: blacklist: %w", err)
		}
		if p.IsSingleIP() {
			b.staticAddrs[p.Addr()] = true
		} else if !slices.Contains(b.staticNets, p) {
			b.staticNets = append(b.staticNets, p)
		}
	}
	return b, nil
}

// ParsePrefix parses an IP address ("192.0.2.7", "2001:db8::1") as a
// single-address prefix, or a CIDR prefix ("10.0.0.0/8"), masked;
// IPv4-mapped IPv6 addresses become IPv4.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("parse %q: %w", s, err)
		}
		a := p.Addr()
		if a.Is4In6() && p.Bits() >= 96 {
			return netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked(), nil
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("parse %q: %w", s, err)
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// clientPrefix is the range an automatic entry blocks for a: the address
// itself for IPv4, its /64 for IPv6.
func clientPrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	p, _ := a.Prefix(64)
	return p
}

type autoEntry struct {
	prefix  netip.Prefix
	reason  string
	added   time.Time
	expires time.Time
}

// Contains reports whether a is blacklisted (by a static entry or an
// unexpired automatic one).
func (b *Blacklist) Contains(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap().WithZone("")
	if b.staticAddrs[a] {
		return true
	}
	for _, p := range b.staticNets {
		if p.Contains(a) {
			return true
		}
	}
	now := b.now()
	b.mu.RLock()
	defer b.mu.RUnlock()
	for bits := range b.bits {
		p, err := a.Prefix(bits)
		if err != nil {
			continue // an IPv6 length for an IPv4 address
		}
		if el, ok := b.auto[p]; ok && now.Before(el.Value.(*autoEntry).expires) {
			return true
		}
	}
	return false
}

// Add blocks the prefix for ttl (an automatic entry). Adding a prefix that
// is already there extends its expiry (never shortens it) and makes it the
// newest. When the blacklist is full, expired entries and then the oldest
// are evicted.
func (b *Blacklist) Add(p netip.Prefix, ttl time.Duration, reason string) {
	if !p.IsValid() || ttl <= 0 {
		return
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	p = p.Masked()
	now := b.now()
	expires := now.Add(ttl)
	b.mu.Lock()
	defer b.mu.Unlock()
	if el, ok := b.auto[p]; ok {
		e := el.Value.(*autoEntry)
		if expires.After(e.expires) {
			e.expires = expires
		}
		e.reason, e.added = reason, now
		b.order.MoveToBack(el)
		return
	}
	if b.order.Len() >= b.max {
		// Full: drop the expired entries (one pass, at most max), then,
		// if still full, the oldest.
		for el := b.order.Front(); el != nil; {
			next := el.Next()
			if !now.Before(el.Value.(*autoEntry).expires) {
				b.removeLocked(el)
			}
			el = next
		}
		if b.order.Len() >= b.max {
			b.removeLocked(b.order.Front())
		}
	} else {
		// Not full: drop the expired entries at the front (entries usually
		// share one TTL, so the oldest expire first); each entry is
		// removed once, so this is cheap on average.
		for el := b.order.Front(); el != nil && !now.Before(el.Value.(*autoEntry).expires); el = b.order.Front() {
			b.removeLocked(el)
		}
	}
	b.auto[p] = b.order.PushBack(&autoEntry{prefix: p, reason: reason, added: now, expires: expires})
	b.bits[p.Bits()]++
}

func (b *Blacklist) removeLocked(el *list.Element) {
	e := b.order.Remove(el).(*autoEntry)
	delete(b.auto, e.prefix)
	if b.bits[e.prefix.Bits()]--; b.bits[e.prefix.Bits()] <= 0 {
		delete(b.bits, e.prefix.Bits())
	}
}

// Remove deletes an automatic entry and reports whether there was one.
// Static entries stay (they change with the configuration).
func (b *Blacklist) Remove(p netip.Prefix) bool {
	p = p.Masked()
	b.mu.Lock()
	defer b.mu.Unlock()
	el, ok := b.auto[p]
	if ok {
		b.removeLocked(el)
	}
	return ok
}

// Len is the number of automatic entries (expired ones not yet evicted
// included).
func (b *Blacklist) Len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.order.Len()
}

// Entries lists the current entries: the static addresses (sorted), the
// static prefixes (in configuration order), then the unexpired automatic
// entries, oldest first.
func (b *Blacklist) Entries() []Entry {
	out := make([]Entry, 0, len(b.staticAddrs)+len(b.staticNets))
	addrs := make([]netip.Addr, 0, len(b.staticAddrs))
	for a := range b.staticAddrs {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, func(x, y netip.Addr) int { return x.Compare(y) })
	for _, a := range addrs {
		out = append(out, Entry{Prefix: netip.PrefixFrom(a, a.BitLen()), Static: true, Reason: "configured"})
	}
	for _, p := range b.staticNets {
		out = append(out, Entry{Prefix: p, Static: true, Reason: "configured"})
	}
	now := b.now()
	b.mu.RLock()
	defer b.mu.RUnlock()
	for el := b.order.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*autoEntry); now.Before(e.expires) {
			out = append(out, Entry{Prefix: e.prefix, Reason: e.reason, Added: e.added, Expires: e.expires})
		}
	}
	return out
}
