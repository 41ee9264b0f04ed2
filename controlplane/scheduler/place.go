package scheduler

import (
	"cmp"
	"fmt"
	"slices"
)

// node is a Node plus the load the plan puts on it.
type node struct {
	Node
	tagSet    map[string]bool   // raw tags
	tagValues map[string]string // key -> value (smallest value if repeated)
	replicas  int
	primaries int
	bytes     int64
	perTable  map[string]int
	// full is set when the node was refused a replica for capacity: if
	// it then frees space, another call may place more.
	full bool
}

// eligible reports whether the node may receive new replicas or primaries.
func (n *node) eligible() bool { return n.Healthy && !n.Draining }

// table is a valid TableSpec being placed.
type table struct {
	spec      TableSpec
	spreadKey string
	shardSize int64
	shards    []*shard
}

// allows reports whether n carries every tag the table requires.
func (t *table) allows(n *node) bool {
	for _, tag := range t.spec.Require {
		if !n.tagSet[tag] {
			return false
		}
	}
	return true
}

// domain is n's spread domain for the table: its spread tag value, or the
// node itself when it has no such tag.
func (t *table) domain(n *node) string {
	if v, ok := n.tagValues[t.spreadKey]; ok {
		return "=" + v
	}
	return "#" + n.ID
}

// shard is one shard being placed. When primary is set it is replicas[0].
type shard struct {
	t           *table
	index       int
	replicas    []*node
	primary     *node
	origPrimary string // the primary in the current map ("" if none)
	fresh       bool   // no replica in the current map
	touched     bool   // changed in this call
}

func (s *shard) has(n *node) bool { return slices.Contains(s.replicas, n) }

// dup counts the replicas other than n and exclude in n's spread domain.
func (s *shard) dup(n, exclude *node) int {
	d := s.t.domain(n)
	c := 0
	for _, r := range s.replicas {
		if r != n && r != exclude && s.t.domain(r) == d {
			c++
		}
	}
	return c
}

type planner struct {
	opts     Options
	nodes    []*node // sorted by id
	byID     map[string]*node
	tables   []*table // valid tables, sorted by id
	out      map[string]ShardMap
	moves    []Move
	warnings []*TableError
	budget   int
	pending  bool
}

// Place computes the desired placement of tables on nodes, starting from
// current (table id -> shard map; nil for an empty cluster). See the
// package documentation for the rules. The error is ErrInvalidNodes when a
// node id is empty or repeated; per-table problems are Plan.Warnings.
func (o Options) Place(nodes []Node, tables []TableSpec, current map[string]ShardMap) (*Plan, error) {
	p := &planner{opts: o.withDefaults(), byID: make(map[string]*node, len(nodes)), out: map[string]ShardMap{}}
	p.budget = p.opts.MaxMoves
	for _, n := range nodes {
		if n.ID == "" {
			return nil, fmt.Errorf("%w: node with an empty id", ErrInvalidNodes)
		}
		if p.byID[n.ID] != nil {
			return nil, fmt.Errorf("%w: node %s is listed twice", ErrInvalidNodes, n.ID)
		}
		nd := &node{
			Node:      n,
			tagSet:    map[string]bool{},
			tagValues: map[string]string{},
			perTable:  map[string]int{},
			bytes:     n.UsedBytes,
		}
		nd.Tags = slices.Clone(n.Tags)
		for _, tag := range n.Tags {
			nd.tagSet[tag] = true
			k, v := tagSplit(tag)
			if old, ok := nd.tagValues[k]; !ok || v < old {
				nd.tagValues[k] = v
			}
		}
		p.byID[n.ID] = nd
		p.nodes = append(p.nodes, nd)
	}
	slices.SortFunc(p.nodes, func(a, b *node) int { return cmp.Compare(a.ID, b.ID) })

	p.load(tables, current)
	p.repair()
	p.optionalMoves()
	return p.result(), nil
}

// load validates the specs, passes invalid tables through, drops what the
// specs no longer describe and keeps every valid current replica.
func (p *planner) load(specs []TableSpec, current map[string]ShardMap) {
	count := map[string]int{}
	for _, s := range specs {
		count[s.ID]++
	}
	sorted := slices.Clone(specs)
	slices.SortStableFunc(sorted, func(a, b TableSpec) int { return cmp.Compare(a.ID, b.ID) })
	described := map[string]bool{}
	for _, spec := range sorted {
		if described[spec.ID] {
			continue
		}
		described[spec.ID] = true
		if msg := invalidSpec(spec, count[spec.ID]); msg != "" {
			if spec.ID == "" {
				p.warn(spec.ID, ErrInvalidTable, "table spec with an empty id")
			} else {
				p.warn(spec.ID, ErrInvalidTable, "table %s: %s", spec.ID, msg)
			}
			if cur, ok := current[spec.ID]; ok {
				p.passThrough(spec, cur)
			}
			continue
		}
		p.loadTable(spec, current[spec.ID])
	}
	var dropped []string
	for id := range current {
		if !described[id] {
			dropped = append(dropped, id)
		}
	}
	slices.Sort(dropped)
	for _, id := range dropped {
		for _, sh := range current[id] {
			for _, r := range distinct(sh.Replicas) {
				p.move(Move{Table: id, Shard: sh.Index, Kind: MoveRemove, From: r, Reason: ReasonTableDropped})
			}
		}
	}
}

func invalidSpec(spec TableSpec, copies int) string {
	switch {
	case spec.ID == "":
		return "empty table id"
	case copies > 1:
		return fmt.Sprintf("listed %d times", copies)
	case spec.Shards < 1 || spec.Shards > MaxShards:
		return fmt.Sprintf("shards must be 1..%d, not %d", MaxShards, spec.Shards)
	case spec.Replicas < 1:
		return fmt.Sprintf("replicas must be at least 1, not %d", spec.Replicas)
	case spec.SizeBytes < 0:
		return fmt.Sprintf("size must not be negative, not %d", spec.SizeBytes)
	}
	return ""
}

// passThrough keeps an invalid table's current map and counts its load.
func (p *planner) passThrough(spec TableSpec, cur ShardMap) {
	var size int64
	if spec.Shards > 0 && spec.SizeBytes > 0 {
		size = spec.SizeBytes / int64(spec.Shards)
	}
	out := make(ShardMap, len(cur))
	for i, sh := range cur {
		out[i] = Shard{Index: sh.Index, Replicas: slices.Clone(sh.Replicas), Primary: sh.Primary}
		for _, r := range distinct(sh.Replicas) {
			if n := p.byID[r]; n != nil {
				n.replicas++
				n.perTable[spec.ID]++
				n.bytes += size
			}
		}
		if n := p.byID[primaryOf(sh)]; n != nil {
			n.primaries++
		}
	}
	p.out[spec.ID] = out
}

func (p *planner) loadTable(spec TableSpec, cur ShardMap) {
	spec.Require = slices.Clone(spec.Require)
	t := &table{spec: spec, spreadKey: spec.SpreadKey, shardSize: spec.SizeBytes / int64(spec.Shards)}
	if t.spreadKey == "" {
		t.spreadKey = p.opts.SpreadKey
	}
	t.shards = make([]*shard, spec.Shards)
	for i := range t.shards {
		t.shards[i] = &shard{t: t, index: i, fresh: true}
	}
	p.tables = append(p.tables, t)

	// The first entry of an index wins; the others and out-of-range
	// entries are dropped.
	seen := map[int]Shard{}
	for _, sh := range cur {
		first, dup := seen[sh.Index]
		if sh.Index < 0 || sh.Index >= spec.Shards || dup {
			for _, r := range distinct(sh.Replicas) {
				if !dup || !slices.Contains(first.Replicas, r) {
					p.move(Move{Table: spec.ID, Shard: sh.Index, Kind: MoveRemove, From: r, Reason: ReasonShardDropped})
				}
			}
			continue
		}
		seen[sh.Index] = sh
		p.keepValid(t.shards[sh.Index], sh)
	}
}

// keepValid keeps the replicas of cur that may stay and drops the others.
func (p *planner) keepValid(s *shard, cur Shard) {
	s.origPrimary = primaryOf(cur)
	s.fresh = len(cur.Replicas) == 0
	for _, id := range cur.Replicas {
		n := p.byID[id]
		var reason Reason
		switch {
		case n == nil:
			reason = ReasonNodeUnknown
		case !n.Healthy:
			reason = ReasonNodeUnhealthy
		case !s.t.allows(n):
			reason = ReasonConstraint
		case s.has(n):
			reason = ReasonDuplicate
		}
		if reason != "" {
			p.change(s, Move{Kind: MoveRemove, From: id, Reason: reason})
			continue
		}
		p.attach(s, n)
	}
	if n := p.byID[s.origPrimary]; n != nil && s.has(n) {
		p.setPrimary(s, n)
	}
}

// repair makes every shard valid: trims extra replicas, fails primaries
// over to existing replicas, then adds the missing replicas.
func (p *planner) repair() {
	for _, t := range p.tables {
		for _, s := range t.shards {
			for len(s.replicas) > t.spec.Replicas {
				victim := p.trimVictim(s)
				p.detach(s, victim)
				p.change(s, Move{Kind: MoveRemove, From: victim.ID, Reason: ReasonOverReplicated})
			}
		}
	}
	for _, t := range p.tables {
		for _, s := range t.shards {
			switch {
			case len(s.replicas) == 0:
			case s.primary == nil:
				p.promote(s, p.choosePrimary(s, nil), ReasonFailover)
			case s.primary.Draining:
				if np := p.choosePrimary(s, nil); np != nil && !np.Draining {
					p.promote(s, np, ReasonDraining)
				}
			}
		}
	}
	for _, t := range p.tables {
		short, shortShard := 0, -1
		for _, s := range t.shards {
			for len(s.replicas) < t.spec.Replicas {
				n := p.bestTarget(s, nil, nil)
				if n == nil {
					break
				}
				p.attach(s, n)
				reason := ReasonUnderReplicated
				if s.fresh {
					reason = ReasonNewShard
				}
				p.change(s, Move{Kind: MoveAdd, To: n.ID, Reason: reason})
			}
			if s.primary == nil && len(s.replicas) > 0 {
				np := p.choosePrimary(s, nil)
				if s.origPrimary != "" {
					p.promote(s, np, ReasonFailover)
				} else {
					// A new shard's primary is its first replica: list
					// its add first (the shard's adds are the last moves).
					p.setPrimary(s, np)
					adds := p.moves[len(p.moves)-len(s.replicas):]
					i := slices.IndexFunc(adds, func(m Move) bool { return m.To == np.ID })
					first := adds[i]
					copy(adds[1:i+1], adds[:i])
					adds[0] = first
				}
			}
			if s.primary != nil && s.primary.Draining {
				// Only draining replicas existed; a new one takes over.
				if np := p.choosePrimary(s, nil); !np.Draining {
					p.promote(s, np, ReasonDraining)
				}
			}
			if len(s.replicas) < t.spec.Replicas {
				if short == 0 {
					shortShard = s.index
				}
				short++
			}
		}
		eligible := 0
		for _, n := range p.nodes {
			if n.eligible() && t.allows(n) {
				eligible++
			}
		}
		switch {
		case eligible < t.spec.Replicas:
			p.warn(t.spec.ID, ErrTooFewNodes, "table %s wants %d %s but only %d %s eligible",
				t.spec.ID, t.spec.Replicas, plural(t.spec.Replicas, "replica", "replicas"),
				eligible, plural(eligible, "node is", "nodes are"))
		case short > 0:
			p.warn(t.spec.ID, ErrNoCapacity, "table %s wants %d %s but %d %s fewer (first %s/%d): eligible nodes lack free capacity",
				t.spec.ID, t.spec.Replicas, plural(t.spec.Replicas, "replica", "replicas"),
				short, plural(short, "shard has", "shards have"), t.spec.ID, shortShard)
		}
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// trimVictim picks the replica an over-replicated shard loses: never the
// primary; draining first, then the most crowded spread domain, the most
// replicas, the most bytes, the lowest id.
func (p *planner) trimVictim(s *shard) *node {
	var victim *node
	for _, r := range s.replicas {
		if r == s.primary {
			continue
		}
		if victim == nil || trimOrder(s, r, victim) < 0 {
			victim = r
		}
	}
	return victim
}

func trimOrder(s *shard, a, b *node) int {
	return cmp.Or(
		-cmp.Compare(boolInt(a.Draining), boolInt(b.Draining)),
		-cmp.Compare(s.dup(a, nil), s.dup(b, nil)),
		-cmp.Compare(a.replicas, b.replicas),
		-cmp.Compare(a.bytes, b.bytes),
		cmp.Compare(a.ID, b.ID),
	)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// choosePrimary picks the replica (other than exclude) that should be the
// primary: not draining if possible, then the fewest primaries, then the
// lowest id. It returns nil when there is no candidate.
func (p *planner) choosePrimary(s *shard, exclude *node) *node {
	var best *node
	for _, r := range s.replicas {
		if r == exclude {
			continue
		}
		if best == nil || cmp.Or(
			cmp.Compare(boolInt(r.Draining), boolInt(best.Draining)),
			cmp.Compare(r.primaries, best.primaries),
			cmp.Compare(r.ID, best.ID),
		) < 0 {
			best = r
		}
	}
	return best
}

// bestTarget returns the best node for a new replica of s (replacing
// exclude, if set) among the eligible nodes accepted by filter: the
// fewest replicas of s in its spread domain, then the fewest replicas,
// the fewest replicas of the table, the fewest bytes, the lowest id.
func (p *planner) bestTarget(s *shard, exclude *node, filter func(*node) bool) *node {
	var best *node
	bestDup := 0
	for _, n := range p.nodes {
		if !n.eligible() || !s.t.allows(n) || s.has(n) || (filter != nil && !filter(n)) {
			continue
		}
		if n.CapacityBytes > 0 && n.bytes+s.t.shardSize > n.CapacityBytes {
			n.full = true
			continue
		}
		d := s.dup(n, exclude)
		if best == nil || cmp.Or(
			cmp.Compare(d, bestDup),
			cmp.Compare(n.replicas, best.replicas),
			cmp.Compare(n.perTable[s.t.spec.ID], best.perTable[s.t.spec.ID]),
			cmp.Compare(n.bytes, best.bytes),
		) < 0 {
			best, bestDup = n, d
		}
	}
	return best
}

// optionalMoves runs the bounded phases in priority order.
func (p *planner) optionalMoves() {
	phases := []func() bool{p.drainOne, p.spreadOne, p.rebalanceOne, p.balancePrimaryOne}
	for _, phase := range phases {
		for phase() {
		}
	}
}

// spend reports whether an optional move may be made, recording that one
// is pending when the budget is spent.
func (p *planner) spend() bool {
	if p.budget == 0 {
		p.pending = true
		return false
	}
	p.budget--
	return true
}

// drainOne moves one replica off a draining node, if it can.
func (p *planner) drainOne() bool {
	for _, t := range p.tables {
		for _, s := range t.shards {
			for _, r := range s.replicas {
				if !r.Draining {
					continue
				}
				to := p.bestTarget(s, r, nil)
				if to == nil {
					continue
				}
				if s.touched {
					p.pending = true
					continue
				}
				if !p.spend() {
					return false
				}
				p.relocate(s, r, to, ReasonDraining)
				return true
			}
		}
	}
	return false
}

// spreadOne moves one replica out of a crowded spread domain into one
// that holds fewer replicas of its shard.
func (p *planner) spreadOne() bool {
	for _, t := range p.tables {
		for _, s := range t.shards {
			candidates := slices.Clone(s.replicas)
			slices.SortFunc(candidates, func(a, b *node) int {
				return cmp.Or(
					-cmp.Compare(s.dup(a, nil), s.dup(b, nil)),
					cmp.Compare(boolInt(a == s.primary), boolInt(b == s.primary)),
					-cmp.Compare(a.replicas, b.replicas),
					-cmp.Compare(a.bytes, b.bytes),
					cmp.Compare(a.ID, b.ID),
				)
			})
			for _, from := range candidates {
				d := s.dup(from, nil)
				if from.Draining || d == 0 {
					continue
				}
				to := p.bestTarget(s, from, func(n *node) bool { return s.dup(n, from) < d })
				if to == nil {
					continue
				}
				if s.touched {
					p.pending = true
					break
				}
				if !p.spend() {
					return false
				}
				p.relocate(s, from, to, ReasonSpread)
				return true
			}
		}
	}
	return false
}

// rebalanceOne moves one replica from a node with more replicas than the
// emptiest eligible node by over Threshold to a node with fewer, without
// crowding the shard's spread domains.
func (p *planner) rebalanceOne() bool {
	var sources []*node
	minCount := -1
	for _, n := range p.nodes {
		if n.eligible() {
			sources = append(sources, n)
			if minCount < 0 || n.replicas < minCount {
				minCount = n.replicas
			}
		}
	}
	slices.SortFunc(sources, func(a, b *node) int {
		return cmp.Or(-cmp.Compare(a.replicas, b.replicas), -cmp.Compare(a.bytes, b.bytes), cmp.Compare(a.ID, b.ID))
	})
	th := p.opts.Threshold
	for _, from := range sources {
		if from.replicas-minCount <= th {
			break
		}
		for _, s := range p.shardsOn(from) {
			d := s.dup(from, nil)
			to := p.bestTarget(s, from, func(n *node) bool {
				return from.replicas-n.replicas > th && s.dup(n, from) <= d
			})
			if to == nil {
				continue
			}
			if s.touched {
				p.pending = true
				continue
			}
			if !p.spend() {
				return false
			}
			p.relocate(s, from, to, ReasonRebalance)
			return true
		}
	}
	return false
}

// shardsOn lists the shards with a replica on n: those where n is not the
// primary first, then by table id and index.
func (p *planner) shardsOn(n *node) []*shard {
	var secondary, primary []*shard
	for _, t := range p.tables {
		for _, s := range t.shards {
			switch {
			case s.primary == n:
				primary = append(primary, s)
			case s.has(n):
				secondary = append(secondary, s)
			}
		}
	}
	return append(secondary, primary...)
}

// balancePrimaryOne hands one primary from a node with more primaries than
// the least loaded eligible node by over PrimaryThreshold to another
// replica of the same shard with fewer.
func (p *planner) balancePrimaryOne() bool {
	var sources []*node
	minCount := -1
	for _, n := range p.nodes {
		if n.eligible() {
			sources = append(sources, n)
			if minCount < 0 || n.primaries < minCount {
				minCount = n.primaries
			}
		}
	}
	slices.SortFunc(sources, func(a, b *node) int {
		return cmp.Or(-cmp.Compare(a.primaries, b.primaries), cmp.Compare(a.ID, b.ID))
	})
	th := p.opts.PrimaryThreshold
	for _, from := range sources {
		if from.primaries-minCount <= th {
			break
		}
		for _, t := range p.tables {
			for _, s := range t.shards {
				if s.primary != from {
					continue
				}
				var to *node
				for _, r := range s.replicas {
					if r == from || !r.eligible() || from.primaries-r.primaries <= th {
						continue
					}
					if to == nil || cmp.Or(cmp.Compare(r.primaries, to.primaries), cmp.Compare(r.ID, to.ID)) < 0 {
						to = r
					}
				}
				if to == nil {
					continue
				}
				if s.touched {
					p.pending = true
					continue
				}
				if !p.spend() {
					return false
				}
				p.promote(s, to, ReasonPrimaryBalance)
				return true
			}
		}
	}
	return false
}

// relocate replaces from with to in s, keeping its position. When from
// was the primary, another existing replica takes over if one is not
// draining, otherwise the new one.
func (p *planner) relocate(s *shard, from, to *node, reason Reason) {
	wasPrimary := s.primary == from
	if wasPrimary {
		from.primaries--
		s.primary = nil
	}
	i := slices.Index(s.replicas, from)
	p.detach(s, from)
	p.attach(s, to)
	s.replicas = slices.Insert(s.replicas[:len(s.replicas)-1], i, to)
	p.change(s, Move{Kind: MoveRelocate, From: from.ID, To: to.ID, Reason: reason})
	if wasPrimary {
		np := p.choosePrimary(s, to)
		if np == nil || np.Draining {
			np = to
		}
		p.setPrimary(s, np)
		p.change(s, Move{Kind: MovePrimary, From: from.ID, To: np.ID, Reason: reason})
	}
}

// promote makes n the primary of s and records the move.
func (p *planner) promote(s *shard, n *node, reason Reason) {
	from := s.origPrimary
	if s.primary != nil {
		from = s.primary.ID
	}
	p.setPrimary(s, n)
	if from != n.ID {
		p.change(s, Move{Kind: MovePrimary, From: from, To: n.ID, Reason: reason})
	}
}

// setPrimary makes n (a replica of s) its primary and lists it first.
func (p *planner) setPrimary(s *shard, n *node) {
	if s.primary != nil {
		s.primary.primaries--
	}
	s.primary = n
	n.primaries++
	i := slices.Index(s.replicas, n)
	copy(s.replicas[1:i+1], s.replicas[:i])
	s.replicas[0] = n
}

// attach appends n to s's replicas and counts its load.
func (p *planner) attach(s *shard, n *node) {
	s.replicas = append(s.replicas, n)
	n.replicas++
	n.perTable[s.t.spec.ID]++
	n.bytes += s.t.shardSize
}

// detach removes n (not the primary) from s's replicas and its load.
func (p *planner) detach(s *shard, n *node) {
	s.replicas = slices.DeleteFunc(s.replicas, func(r *node) bool { return r == n })
	if n.full {
		p.pending = true // space freed on a node that refused a replica
	}
	n.replicas--
	n.perTable[s.t.spec.ID]--
	n.bytes -= s.t.shardSize
}

// change records a move of shard s and marks it changed.
func (p *planner) change(s *shard, m Move) {
	m.Table, m.Shard = s.t.spec.ID, s.index
	s.touched = true
	p.move(m)
}

func (p *planner) move(m Move) { p.moves = append(p.moves, m) }

func (p *planner) warn(table string, kind error, format string, args ...any) {
	p.warnings = append(p.warnings, &TableError{Table: table, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

func (p *planner) result() *Plan {
	for _, t := range p.tables {
		sm := make(ShardMap, len(t.shards))
		for i, s := range t.shards {
			ids := make([]string, len(s.replicas))
			for j, r := range s.replicas {
				ids[j] = r.ID
			}
			sm[i] = Shard{Index: s.index, Replicas: ids}
			if s.primary != nil {
				sm[i].Primary = s.primary.ID
			}
		}
		p.out[t.spec.ID] = sm
	}
	slices.SortStableFunc(p.moves, func(a, b Move) int {
		return cmp.Or(cmp.Compare(a.Table, b.Table), cmp.Compare(a.Shard, b.Shard))
	})
	slices.SortStableFunc(p.warnings, func(a, b *TableError) int { return cmp.Compare(a.Table, b.Table) })
	return &Plan{Placement: p.out, Moves: p.moves, Warnings: p.warnings, Pending: p.pending}
}

// primaryOf is a shard's primary: Primary, or Replicas[0] when empty.
func primaryOf(sh Shard) string {
	if sh.Primary == "" && len(sh.Replicas) > 0 {
		return sh.Replicas[0]
	}
	return sh.Primary
}

// distinct returns ids without repeats, in first-seen order.
func distinct(ids []string) []string {
	var out []string
	for _, id := range ids {
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}
