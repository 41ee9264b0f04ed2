package scheduler

import (
	"cmp"
	"flag"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// checkPlan verifies the invariants every plan must satisfy, whatever the
// input: shape, valid and distinct replicas, primaries, moves that replay
// onto the output, justified removals and the optional move budget.
func checkPlan(t *testing.T, opts Options, nodes []Node, tables []TableSpec, current map[string]ShardMap, plan *Plan) {
	t.Helper()
	opts = opts.withDefaults()
	byID := map[string]Node{}
	for _, n := range nodes {
		byID[n.ID] = n
	}
	hasTag := func(n Node, tag string) bool { return slices.Contains(n.Tags, tag) }
	allowed := func(spec TableSpec, n Node) bool {
		for _, tag := range spec.Require {
			if !hasTag(n, tag) {
				return false
			}
		}
		return true
	}
	copies := map[string]int{}
	for _, s := range tables {
		copies[s.ID]++
	}
	warned := map[string]bool{}
	for _, w := range plan.Warnings {
		warned[w.Table] = true
	}
	anyCapacity := slices.ContainsFunc(nodes, func(n Node) bool { return n.CapacityBytes > 0 })

	// Moves replay onto the current placement to give the output.
	replayed := replay(t, current, plan.Moves)

	optional := 0
	type shardKey struct {
		table string
		index int
	}
	perShard := map[shardKey][]Move{}
	for _, m := range plan.Moves {
		perShard[shardKey{m.Table, m.Shard}] = append(perShard[shardKey{m.Table, m.Shard}], m)
		if m.Kind == MoveRelocate || (m.Kind == MovePrimary && m.Reason == ReasonPrimaryBalance) {
			optional++
		}
		if m.Kind == MoveRemove {
			n, known := byID[m.From]
			switch m.Reason {
			case ReasonNodeUnknown:
				if known {
					t.Errorf("%v: node is known", m)
				}
			case ReasonNodeUnhealthy:
				if !known || n.Healthy {
					t.Errorf("%v: node is healthy", m)
				}
			case ReasonConstraint, ReasonDuplicate, ReasonOverReplicated, ReasonShardDropped, ReasonTableDropped:
			default:
				t.Errorf("%v: unexpected reason for a removal", m)
			}
		}
		if m.Kind == MoveAdd || m.Kind == MoveRelocate {
			if n, ok := byID[m.To]; !ok || !n.Healthy || n.Draining {
				t.Errorf("%v: target is not eligible", m)
			}
		}
	}
	if optional > opts.MaxMoves {
		t.Errorf("%d optional moves, budget %d", optional, opts.MaxMoves)
	}
	for key, ms := range perShard {
		opt, attached := 0, 0
		var relocation Reason
		for _, m := range ms {
			if m.Kind == MoveRelocate {
				opt++
				relocation = m.Reason
			} else if m.Kind == MovePrimary && m.Reason == ReasonPrimaryBalance {
				opt++
			}
		}
		if opt == 0 {
			continue
		}
		for _, m := range ms {
			if m.Kind == MovePrimary && m.Reason == relocation && relocation != "" {
				attached++
			}
		}
		if opt > 1 || len(ms) != 1+attached {
			t.Errorf("shard %s/%d changes more than once in a call: %v", key.table, key.index, ms)
		}
	}

	for _, spec := range tables {
		out, ok := plan.Placement[spec.ID]
		if invalidSpec(spec, copies[spec.ID]) != "" {
			if !warned[spec.ID] {
				t.Errorf("table %s: invalid spec without a warning", spec.ID)
			}
			if cur, had := current[spec.ID]; had != ok || (ok && !reflect.DeepEqual(normalize(cur), normalize(out))) {
				t.Errorf("table %s: invalid spec, current map not passed through", spec.ID)
			}
			continue
		}
		if !ok || len(out) != spec.Shards {
			t.Errorf("table %s: want %d shards, got %v", spec.ID, spec.Shards, out)
			continue
		}
		eligible := 0
		for _, n := range nodes {
			if n.Healthy && !n.Draining && allowed(spec, n) {
				eligible++
			}
		}
		if eligible < spec.Replicas && !warned[spec.ID] {
			t.Errorf("table %s: %d eligible nodes for %d replicas, no warning", spec.ID, eligible, spec.Replicas)
		}
		for i, sh := range out {
			name := fmt.Sprintf("%s/%d", spec.ID, i)
			if sh.Index != i {
				t.Errorf("%s: index %d", name, sh.Index)
			}
			if distinctCount(sh.Replicas) != len(sh.Replicas) {
				t.Errorf("%s: repeated replica in %v", name, sh.Replicas)
			}
			if len(sh.Replicas) > spec.Replicas {
				t.Errorf("%s: %d replicas, want %d", name, len(sh.Replicas), spec.Replicas)
			}
			if len(sh.Replicas) < spec.Replicas {
				if !warned[spec.ID] {
					t.Errorf("%s: %d replicas, want %d, no warning", name, len(sh.Replicas), spec.Replicas)
				}
				if !anyCapacity && len(sh.Replicas) < min(spec.Replicas, eligible) {
					t.Errorf("%s: %d replicas but %d eligible nodes", name, len(sh.Replicas), eligible)
				}
			}
			nonDraining := false
			for _, r := range sh.Replicas {
				n, ok := byID[r]
				if !ok || !n.Healthy || !allowed(spec, n) {
					t.Errorf("%s: replica on invalid node %s", name, r)
				}
				if !n.Draining {
					nonDraining = true
				}
			}
			switch {
			case len(sh.Replicas) == 0 && sh.Primary != "":
				t.Errorf("%s: primary %s without replicas", name, sh.Primary)
			case len(sh.Replicas) > 0 && sh.Primary != sh.Replicas[0]:
				t.Errorf("%s: primary %q is not the first of %v", name, sh.Primary, sh.Replicas)
			case len(sh.Replicas) > 0 && nonDraining && byID[sh.Primary].Draining:
				t.Errorf("%s: primary %s on a draining node", name, sh.Primary)
			}
			got := replayed[spec.ID][i]
			if !sameSet(got.Replicas, sh.Replicas) || primaryOf(got) != sh.Primary {
				t.Errorf("%s: moves replay to %v*%s, placement is %v*%s", name, got.Replicas, primaryOf(got), sh.Replicas, sh.Primary)
			}
		}
	}
}

// replay applies moves to a copy of current, shard by shard.
func replay(t *testing.T, current map[string]ShardMap, moves []Move) map[string]map[int]Shard {
	t.Helper()
	out := map[string]map[int]Shard{}
	for id, m := range current {
		out[id] = map[int]Shard{}
		for _, sh := range m {
			if _, dup := out[id][sh.Index]; dup {
				continue
			}
			out[id][sh.Index] = Shard{Index: sh.Index, Replicas: slices.Clone(sh.Replicas), Primary: primaryOf(sh)}
		}
	}
	for _, m := range moves {
		if out[m.Table] == nil {
			out[m.Table] = map[int]Shard{}
		}
		sh := out[m.Table][m.Shard]
		switch m.Kind {
		case MoveAdd:
			if slices.Contains(sh.Replicas, m.To) {
				t.Errorf("%v: already a replica", m)
			}
			sh.Replicas = append(sh.Replicas, m.To)
		case MoveRemove:
			i := slices.Index(sh.Replicas, m.From)
			if i < 0 {
				t.Errorf("%v: not a replica", m)
				continue
			}
			sh.Replicas = slices.Delete(slices.Clone(sh.Replicas), i, i+1)
			if len(sh.Replicas) == 0 {
				sh.Primary = ""
			}
		case MoveRelocate:
			i := slices.Index(sh.Replicas, m.From)
			if i < 0 || slices.Contains(sh.Replicas, m.To) {
				t.Errorf("%v: bad relocation of %v", m, sh.Replicas)
				continue
			}
			sh.Replicas[i] = m.To
		case MovePrimary:
			if !slices.Contains(sh.Replicas, m.To) {
				t.Errorf("%v: new primary is not a replica of %v", m, sh.Replicas)
			}
			sh.Primary = m.To
		}
		out[m.Table][m.Shard] = sh
	}
	return out
}

func normalize(m ShardMap) ShardMap {
	if len(m) == 0 {
		return nil
	}
	return m
}

func distinctCount(ids []string) int { return len(distinct(ids)) }

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// randomCluster builds a cluster of up to 20 nodes and 50 tables. A plain
// cluster has no zones, constraints, capacities or invalid tables.
func randomCluster(rng *rand.Rand, plain bool) ([]Node, []TableSpec, Options) {
	zones := rng.IntN(5) // 0: no zone tags
	withCapacity := rng.IntN(6) == 0
	if plain {
		zones, withCapacity = 0, false
	}
	var nodes []Node
	for i := range 1 + rng.IntN(20) {
		nodes = append(nodes, randomNode(rng, fmt.Sprintf("n%02d", i), zones, withCapacity))
	}
	var tables []TableSpec
	for i := range 1 + rng.IntN(50) {
		spec := randomTable(rng, fmt.Sprintf("t%02d", i))
		if plain {
			spec.Require, spec.SpreadKey, spec.Shards = nil, "", max(spec.Shards, 1)
		}
		tables = append(tables, spec)
	}
	opts := Options{
		MaxMoves:         []int{-1, 1, 4, 16, 64}[rng.IntN(5)],
		Threshold:        1 + rng.IntN(2),
		PrimaryThreshold: 1 + rng.IntN(2),
	}
	return nodes, tables, opts
}

func randomNode(rng *rand.Rand, id string, zones int, withCapacity bool) Node {
	n := Node{ID: id, Healthy: rng.IntN(8) != 0, Draining: rng.IntN(10) == 0}
	if zones > 0 {
		n.Tags = append(n.Tags, fmt.Sprintf("zone=z%d", rng.IntN(zones)))
	}
	if rng.IntN(2) == 0 {
		n.Tags = append(n.Tags, fmt.Sprintf("rack=r%d", rng.IntN(3)))
	}
	n.UsedBytes = rng.Int64N(1000)
	if withCapacity {
		n.CapacityBytes = 1000 + rng.Int64N(20000)
	}
	return n
}

func randomTable(rng *rand.Rand, id string) TableSpec {
	shards := 1 + rng.IntN(8)
	if rng.IntN(10) == 0 {
		shards = 1 + rng.IntN(MaxShards)
	}
	spec := TableSpec{ID: id, Shards: shards, Replicas: 1 + rng.IntN(5), SizeBytes: rng.Int64N(5000)}
	switch rng.IntN(10) {
	case 0:
		spec.Require = []string{"rack=r1"}
	case 1:
		spec.SpreadKey = "rack"
	case 2:
		spec.Shards = 0 // invalid: passed through with a warning
	}
	return spec
}

// mutate changes the cluster the way operations do: failures, recoveries,
// drains, joins, departures and table changes.
func mutate(rng *rand.Rand, nodes []Node, tables []TableSpec) ([]Node, []TableSpec) {
	nodes, tables = slices.Clone(nodes), slices.Clone(tables)
	for range 1 + rng.IntN(3) {
		i := rng.IntN(len(nodes))
		switch rng.IntN(8) {
		case 0:
			nodes[i].Healthy = false
		case 1:
			nodes[i].Healthy = true
		case 2:
			nodes[i].Draining = !nodes[i].Draining
		case 3:
			zone := 0
			if slices.ContainsFunc(nodes, func(n Node) bool {
				return slices.ContainsFunc(n.Tags, func(tag string) bool { return strings.HasPrefix(tag, "zone=") })
			}) {
				zone = 3
			}
			id := fmt.Sprintf("m%03d", rng.IntN(1000))
			if !slices.ContainsFunc(nodes, func(n Node) bool { return n.ID == id }) {
				nodes = append(nodes, randomNode(rng, id, zone, false))
			}
		case 4:
			if len(nodes) > 1 {
				nodes = slices.Delete(nodes, i, i+1)
			}
		case 5:
			if len(tables) > 0 {
				j := rng.IntN(len(tables))
				tables[j].Replicas = 1 + rng.IntN(5)
			}
		case 6:
			if len(tables) > 0 {
				j := rng.IntN(len(tables))
				tables[j].Shards = 1 + rng.IntN(8)
			}
		case 7:
			if len(tables) > 1 {
				tables = slices.Delete(tables, 0, 1)
			}
			tables = append(tables, randomTable(rng, fmt.Sprintf("u%03d", rng.IntN(1000))))
			slices.SortStableFunc(tables, func(a, b TableSpec) int { return cmp.Compare(a.ID, b.ID) })
			tables = slices.CompactFunc(tables, func(a, b TableSpec) bool { return a.ID == b.ID })
		}
	}
	return nodes, tables
}

// settle places until a call makes no move, checking every plan and that
// a call after one that is not Pending makes no move (idempotence).
func settle(t *testing.T, opts Options, nodes []Node, tables []TableSpec, current map[string]ShardMap) (map[string]ShardMap, *Plan) {
	t.Helper()
	const maxRounds = 2000
	var prev *Plan
	for range maxRounds {
		plan, err := opts.Place(nodes, tables, current)
		if err != nil {
			t.Fatal(err)
		}
		checkPlan(t, opts, nodes, tables, current, plan)
		if prev != nil && !prev.Pending && len(plan.Moves) > 0 {
			t.Fatalf("previous plan was not pending, yet placing again moves: %v", plan.Moves)
		}
		if len(plan.Moves) == 0 {
			if !reflect.DeepEqual(normalizeAll(plan.Placement), normalizeAll(current)) {
				t.Fatalf("no moves but the placement changed")
			}
			return plan.Placement, plan
		}
		if t.Failed() {
			t.FailNow()
		}
		current, prev = plan.Placement, plan
	}
	t.Fatalf("no fixed point after %d rounds", maxRounds)
	return nil, nil
}

func normalizeAll(m map[string]ShardMap) map[string]ShardMap {
	out := map[string]ShardMap{}
	for id, sm := range m {
		out[id] = normalize(sm)
	}
	return out
}

// checkSettled verifies what a fixed point guarantees: no replica could
// move to a less crowded spread domain, and without zones, constraints or
// capacities the replica counts of eligible nodes are within Threshold.
func checkSettled(t *testing.T, opts Options, nodes []Node, tables []TableSpec, placement map[string]ShardMap) {
	t.Helper()
	opts = opts.withDefaults()
	if opts.MaxMoves == 0 {
		return // optional moves disabled: nothing is guaranteed
	}
	byID := map[string]Node{}
	for _, n := range nodes {
		byID[n.ID] = n
	}
	domain := func(key string, n Node) string {
		for _, tag := range n.Tags {
			if k, v := tagSplit(tag); k == key {
				return "=" + v
			}
		}
		return "#" + n.ID
	}
	plain := true
	counts := map[string]int{}
	for _, spec := range tables {
		sm, ok := placement[spec.ID]
		if !ok || invalidSpec(spec, 1) != "" {
			plain = false
			continue
		}
		if len(spec.Require) > 0 {
			plain = false
		}
		key := cmpOr(spec.SpreadKey, opts.SpreadKey)
		for _, sh := range sm {
			for _, a := range sh.Replicas {
				counts[a]++
				if byID[a].Draining {
					continue
				}
				dupA := 0
				for _, r := range sh.Replicas {
					if r != a && domain(key, byID[r]) == domain(key, byID[a]) {
						dupA++
					}
				}
				if dupA == 0 {
					continue
				}
				for _, b := range nodes {
					if !b.Healthy || b.Draining || b.CapacityBytes > 0 || slices.Contains(sh.Replicas, b.ID) {
						continue
					}
					if !allowedBy(spec, b) {
						continue
					}
					dupB := 0
					for _, r := range sh.Replicas {
						if r != a && domain(key, byID[r]) == domain(key, b) {
							dupB++
						}
					}
					if dupB < dupA {
						t.Errorf("settled, yet %s/%d could move %s to %s for spread", spec.ID, sh.Index, a, b.ID)
					}
				}
			}
		}
	}
	for _, n := range nodes {
		if n.CapacityBytes > 0 || slices.ContainsFunc(n.Tags, func(tag string) bool { k, _ := tagSplit(tag); return k == opts.SpreadKey }) {
			plain = false
		}
	}
	for _, spec := range tables {
		if spec.SpreadKey != "" {
			plain = false
		}
	}
	if !plain {
		return
	}
	lo, hi := -1, -1
	for _, n := range nodes {
		if !n.Healthy || n.Draining {
			continue
		}
		c := counts[n.ID]
		if lo < 0 || c < lo {
			lo = c
		}
		hi = max(hi, c)
	}
	if hi-lo > opts.Threshold {
		t.Errorf("settled, yet replica counts range from %d to %d (threshold %d)", lo, hi, opts.Threshold)
	}
}

func allowedBy(spec TableSpec, n Node) bool {
	for _, tag := range spec.Require {
		if !slices.Contains(n.Tags, tag) {
			return false
		}
	}
	return true
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var propIterations = flag.Int("prop-iterations", 40, "random clusters TestPlaceProperties tries")

// TestPlaceProperties places random clusters through random operations
// and checks the invariants, determinism under shuffled inputs, bounded
// convergence and idempotence.
func TestPlaceProperties(t *testing.T) {
	iterations := *propIterations
	if testing.Short() {
		iterations = 8
	}
	for seed := range uint64(iterations) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			// Every fourth cluster is plain, where settling must also
			// balance replica counts within the threshold.
			nodes, tables, opts := randomCluster(rng, seed%4 == 0)
			current := map[string]ShardMap{}
			for step := range 4 {
				plan, err := opts.Place(nodes, tables, current)
				if err != nil {
					t.Fatal(err)
				}
				checkPlan(t, opts, nodes, tables, current, plan)

				sn, st, sc := shuffled(rng, nodes, tables, current)
				again, err := opts.Place(sn, st, sc)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(plan, again) {
					t.Fatalf("step %d: shuffled input gives a different plan", step)
				}

				current, _ = settle(t, opts, nodes, tables, plan.Placement)
				checkSettled(t, opts, nodes, tables, current)
				nodes, tables = mutate(rng, nodes, tables)
			}
		})
	}
}
