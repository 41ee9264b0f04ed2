package scheduler

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func zoneNodes(ids ...string) []Node {
	var nodes []Node
	for i, id := range ids {
		nodes = append(nodes, Node{ID: id, Healthy: true, Tags: []string{"zone=" + string(rune('a'+i))}})
	}
	return nodes
}

func TestPlaceErrors(t *testing.T) {
	tests := []struct {
		name    string
		nodes   []Node
		tables  []TableSpec
		fatal   error    // error with a nil placement
		kinds   []error  // kinds of the joined table errors
		message []string // substrings of the error text
	}{
		{
			name:  "empty node id",
			nodes: []Node{{ID: "", Healthy: true}},
			fatal: ErrInvalidNodes,
		},
		{
			name:  "duplicate node",
			nodes: []Node{{ID: "n1", Healthy: true}, {ID: "n1"}},
			fatal: ErrInvalidNodes,
		},
		{
			name:    "too few nodes",
			nodes:   zoneNodes("n1", "n2"),
			tables:  []TableSpec{{ID: "t1", Shards: 1, Replicas: 3}, {ID: "t2", Shards: 1, Replicas: 2}},
			kinds:   []error{ErrTooFewNodes},
			message: []string{"table t1 wants 3 replicas but only 2 nodes are eligible"},
		},
		{
			name:  "invalid specs",
			nodes: zoneNodes("n1"),
			tables: []TableSpec{
				{ID: "", Shards: 1, Replicas: 1},
				{ID: "t1", Shards: 1, Replicas: 1},
				{ID: "t1", Shards: 2, Replicas: 1},
				{ID: "t2", Shards: 1, Replicas: 1, SizeBytes: -1},
			},
			kinds:   []error{ErrInvalidTable},
			message: []string{"table spec with an empty id", "table t1: listed 2 times", "size must not be negative"},
		},
		{
			name:    "no capacity",
			nodes:   []Node{{ID: "n1", Healthy: true, CapacityBytes: 100}},
			tables:  []TableSpec{{ID: "t1", Shards: 1, Replicas: 1, SizeBytes: 200}},
			kinds:   []error{ErrNoCapacity},
			message: []string{"table t1 wants 1 replica but 1 shard has fewer"},
		},
		{
			name:   "fine",
			nodes:  zoneNodes("n1", "n2", "n3"),
			tables: []TableSpec{{ID: "t1", Shards: 4, Replicas: 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			placement, moves, err := Place(tt.nodes, tt.tables, nil)
			if tt.fatal != nil {
				if !errors.Is(err, tt.fatal) || placement != nil || moves != nil {
					t.Fatalf("got %v, %v, %v; want %v and nothing placed", placement, moves, err, tt.fatal)
				}
				return
			}
			if placement == nil {
				t.Fatal("nil placement")
			}
			if len(tt.kinds) == 0 && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			for _, kind := range tt.kinds {
				if !errors.Is(err, kind) {
					t.Errorf("error %v is not %v", err, kind)
				}
			}
			for _, msg := range tt.message {
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Errorf("error %v does not say %q", err, msg)
				}
			}
			var te *TableError
			if err != nil && !errors.As(err, &te) {
				t.Errorf("error %v is not a *TableError", err)
			}
		})
	}
}

// TestPlaceOtherTablesUnaffected: a table that cannot be placed fully
// does not keep the others from being placed.
func TestPlaceOtherTablesUnaffected(t *testing.T) {
	nodes := zoneNodes("n1", "n2")
	tables := []TableSpec{{ID: "big", Shards: 2, Replicas: 5}, {ID: "small", Shards: 2, Replicas: 2}}
	placement, _, err := Place(nodes, tables, nil)
	if !errors.Is(err, ErrTooFewNodes) {
		t.Fatalf("err = %v", err)
	}
	for _, sh := range placement["small"] {
		if len(sh.Replicas) != 2 {
			t.Errorf("small/%d: %v", sh.Index, sh.Replicas)
		}
	}
	for _, sh := range placement["big"] {
		if len(sh.Replicas) != 2 {
			t.Errorf("big/%d: %v, want both nodes", sh.Index, sh.Replicas)
		}
	}
}

// TestPlaceDoesNotModifyInput: Place copies what it keeps.
func TestPlaceDoesNotModifyInput(t *testing.T) {
	nodes := zoneNodes("n1", "n2", "n3", "n4")
	nodes[1].Healthy = false
	tables := []TableSpec{{ID: "t1", Shards: 2, Replicas: 3, Require: []string{}}}
	current := map[string]ShardMap{"t1": {
		{Index: 1, Replicas: []string{"n2", "n1", "n1"}, Primary: "n2"},
		{Index: 0, Replicas: []string{"n3", "n4"}},
	}}
	snapshot := func() string {
		b, err := json.Marshal([]any{nodes, tables, current})
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	before := snapshot()
	placement, _, err := Place(nodes, tables, current)
	if err != nil {
		t.Fatal(err)
	}
	if after := snapshot(); after != before {
		t.Fatalf("input changed:\n%s\n%s", before, after)
	}
	placement["t1"][0].Replicas[0] = "mutated"
	if current["t1"][1].Replicas[0] == "mutated" {
		t.Fatal("output shares memory with the input")
	}
}

// TestPlaceKeepsValidReplicas: with every replica valid and counts within
// the thresholds, nothing moves, whatever the order of replicas.
func TestPlaceKeepsValidReplicas(t *testing.T) {
	nodes := zoneNodes("n1", "n2", "n3")
	tables := []TableSpec{{ID: "t1", Shards: 3, Replicas: 2}}
	current := map[string]ShardMap{"t1": {
		{Index: 0, Replicas: []string{"n3", "n1"}, Primary: "n3"},
		{Index: 1, Replicas: []string{"n2", "n3"}},
		{Index: 2, Replicas: []string{"n1", "n2"}, Primary: "n1"},
	}}
	placement, moves, err := Place(nodes, tables, current)
	if err != nil || len(moves) != 0 {
		t.Fatalf("moves %v, err %v", moves, err)
	}
	want := ShardMap{
		{Index: 0, Replicas: []string{"n3", "n1"}, Primary: "n3"},
		{Index: 1, Replicas: []string{"n2", "n3"}, Primary: "n2"},
		{Index: 2, Replicas: []string{"n1", "n2"}, Primary: "n1"},
	}
	if !reflect.DeepEqual(placement["t1"], want) {
		t.Fatalf("got %v, want %v", placement["t1"], want)
	}
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		in, want Options
	}{
		{Options{}, Options{SpreadKey: "zone", MaxMoves: DefaultMaxMoves, Threshold: 1, PrimaryThreshold: 1}},
		{Options{SpreadKey: "rack", MaxMoves: -1, Threshold: 3, PrimaryThreshold: 2}, Options{SpreadKey: "rack", MaxMoves: 0, Threshold: 3, PrimaryThreshold: 2}},
		{Options{MaxMoves: 7, Threshold: -2}, Options{SpreadKey: "zone", MaxMoves: 7, Threshold: 1, PrimaryThreshold: 1}},
	}
	for _, tt := range tests {
		if got := tt.in.withDefaults(); got != tt.want {
			t.Errorf("%+v.withDefaults() = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if DefaultOptions() != (Options{}).withDefaults() {
		t.Error("DefaultOptions differs from the zero Options")
	}
}

// TestMaxMovesBounds: the optional move budget is respected and a
// negative budget disables optional moves, but never repairs.
func TestMaxMovesBounds(t *testing.T) {
	var nodes []Node
	for _, id := range []string{"n1", "n2", "n3", "n4", "n5", "n6"} {
		nodes = append(nodes, Node{ID: id, Healthy: true})
	}
	tables := []TableSpec{{ID: "t1", Shards: 24, Replicas: 1}}
	current := map[string]ShardMap{"t1": {}} // everything on n1
	for i := range 24 {
		current["t1"] = append(current["t1"], Shard{Index: i, Replicas: []string{"n1"}})
	}
	for _, tt := range []struct {
		maxMoves, wantOptional int
		wantPending            bool
	}{
		{-1, 0, true},
		{1, 1, true},
		{3, 3, true},
		{100, 20, false}, // 24 replicas on 6 nodes: 4 each, n1 gives 20 away
	} {
		plan, err := Options{MaxMoves: tt.maxMoves}.Place(nodes, tables, current)
		if err != nil {
			t.Fatal(err)
		}
		optional := 0
		for _, m := range plan.Moves {
			if m.Kind == MoveRelocate || (m.Kind == MovePrimary && m.Reason == ReasonPrimaryBalance) {
				optional++
			}
		}
		if optional != tt.wantOptional || plan.Pending != tt.wantPending {
			t.Errorf("max-moves %d: %d optional moves, pending %v; want %d, %v: %v",
				tt.maxMoves, optional, plan.Pending, tt.wantOptional, tt.wantPending, plan.Moves)
		}
	}
}

// TestFailoverPrefersExistingReplica: when the primary's node fails, an
// existing replica takes over, never the replica added in its place.
func TestFailoverPrefersExistingReplica(t *testing.T) {
	nodes := zoneNodes("n1", "n2", "n3", "n4")
	nodes[0].Healthy = false
	tables := []TableSpec{{ID: "t1", Shards: 1, Replicas: 3}}
	current := map[string]ShardMap{"t1": {{Index: 0, Replicas: []string{"n1", "n2", "n3"}, Primary: "n1"}}}
	plan, err := DefaultOptions().Place(nodes, tables, current)
	if err != nil {
		t.Fatal(err)
	}
	got := plan.Placement["t1"][0]
	want := Shard{Index: 0, Replicas: []string{"n2", "n3", "n4"}, Primary: "n2"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	wantMoves := []Move{
		{Table: "t1", Shard: 0, Kind: MoveRemove, From: "n1", Reason: ReasonNodeUnhealthy},
		{Table: "t1", Shard: 0, Kind: MovePrimary, From: "n1", To: "n2", Reason: ReasonFailover},
		{Table: "t1", Shard: 0, Kind: MoveAdd, To: "n4", Reason: ReasonUnderReplicated},
	}
	if !slices.Equal(plan.Moves, wantMoves) {
		t.Fatalf("moves %v, want %v", plan.Moves, wantMoves)
	}
}

func TestMoveString(t *testing.T) {
	tests := []struct {
		move Move
		want string
	}{
		{Move{Table: "t1", Shard: 0, Kind: MoveAdd, To: "n4", Reason: ReasonNewShard}, "t1/0: add n4 (new shard)"},
		{Move{Table: "t1", Shard: 2, Kind: MoveRemove, From: "n2", Reason: ReasonNodeUnhealthy}, "t1/2: remove n2 (node unhealthy)"},
		{Move{Table: "t1", Shard: 1, Kind: MoveRelocate, From: "n1", To: "n4", Reason: ReasonRebalance}, "t1/1: move n1 -> n4 (rebalance)"},
		{Move{Table: "t1", Shard: 1, Kind: MovePrimary, From: "n1", To: "n2", Reason: ReasonFailover}, "t1/1: primary n1 -> n2 (failover)"},
	}
	for _, tt := range tests {
		if got := tt.move.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestPlanJSON(t *testing.T) {
	plan, err := DefaultOptions().Place(zoneNodes("n1"), []TableSpec{{ID: "t1", Shards: 1, Replicas: 2}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"placement":{"t1":[{"index":0,"replicas":["n1"],"primary":"n1"}]},` +
		`"moves":[{"table":"t1","shard":0,"kind":"add","to":"n1","reason":"new shard"}],` +
		`"warnings":[{"table":"t1","message":"table t1 wants 2 replicas but only 1 node is eligible"}],"pending":false}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}
