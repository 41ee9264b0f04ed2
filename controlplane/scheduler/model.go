// Package scheduler decides where the replicas of every table shard live.
//
// The placement half is a pure, deterministic function: Place (or
// Options.Place) takes the data nodes, the table specs and the current
// shard maps and returns the desired shard maps plus the moves that lead
// there. It does no I/O, keeps no state between calls and never looks at
// the clock or a random source, so the same input always gives the same
// output (ties are broken by node id, tables and shards are visited in id
// and index order).
//
// Placement rules, in the order they are applied on every call:
//
//  1. Repair (always done, never limited). Replicas on unknown or unhealthy
//     nodes, on nodes that lack a tag the table requires, and duplicates
//     are dropped; valid replicas are kept where they are. Shards with more
//     replicas than wanted lose the worst ones (draining first, then those
//     sharing a spread domain, then the most loaded node), never the
//     primary. A shard whose primary was dropped, or sits on a draining
//     node while another replica does not, promotes one of its existing
//     replicas (fewest primaries, then node id) before anything is added.
//     Under-replicated shards then get new replicas on eligible nodes
//     (healthy, not draining, carrying the required tags, with free
//     capacity), choosing the node that adds the fewest replicas to an
//     already used spread domain (the "zone" tag by default, so replicas
//     land in distinct zones when possible), then the fewest replicas
//     overall, then the fewest replicas of the same table, then the fewest
//     bytes, then the lowest node id. A shard with no replica left gets the
//     new replica with the fewest primaries as its primary (and one whose
//     replicas were all draining hands its primary to a new replica). When
//     a table
//     cannot get all its replicas, as many as possible are placed and a
//     TableError says why; other tables are not affected.
//  2. Optional moves, at most Options.MaxMoves per call so the cluster is
//     not flooded, and at most one change per shard per call (a shard
//     repaired in this call is left alone until the next one): replicas
//     leave draining nodes; replicas sharing a spread domain move to an
//     unused domain; replicas move from the fullest node to the emptiest
//     while their replica counts differ by more than Options.Threshold
//     (without making the spread worse); finally primaries move to a less
//     loaded replica of the same shard while primary counts differ by more
//     than Options.PrimaryThreshold. Every optional move strictly lowers a
//     potential, so repeated calls converge; Plan.Pending reports that
//     another call may still move something.
//
// Because valid replicas are never touched and balancing only happens past
// a threshold, placing again with the output as the current state and
// unchanged nodes yields no moves once Plan.Pending is false.
//
// The package also holds the leadership-gated reconcile Loop the control
// plane runs; leader election itself lives elsewhere and is reached through
// the Elector interface (AlwaysLeader serves the embedded single-node mode).
package scheduler

import (
	"errors"
	"fmt"
	"strings"
)

// Limits and defaults.
const (
	// MaxShards is the largest number of shards a table may have.
	MaxShards = 64
	// DefaultSpreadKey is the node tag key whose values replicas of a shard
	// are spread over when neither the table nor the options name one.
	DefaultSpreadKey = "zone"
	// DefaultMaxMoves is the default bound on optional moves per call.
	DefaultMaxMoves = 4
	// DefaultThreshold is the default tolerated difference between the
	// replica (and primary) counts of two nodes.
	DefaultThreshold = 1
)

// Node is a data node as the scheduler sees it.
type Node struct {
	// ID identifies the node; it must be unique and non-empty.
	ID string `json:"id"`
	// Tags are "key=value" labels such as "zone=a" or "rack=r1". A tag
	// without "=" is a key with an empty value.
	Tags []string `json:"tags,omitempty"`
	// Healthy nodes may hold replicas; the replicas of an unhealthy node
	// are dropped and re-created elsewhere.
	Healthy bool `json:"healthy"`
	// Draining nodes keep their replicas until a replacement can be
	// placed elsewhere, get no new replica and hold no primary when
	// another replica can.
	Draining bool `json:"draining,omitempty"`
	// CapacityBytes, when positive, bounds the bytes a node may hold: a
	// new replica is only placed if UsedBytes plus the size of the
	// replicas planned on the node stays within it. Existing replicas are
	// never moved because of it.
	CapacityBytes int64 `json:"capacity_bytes,omitempty"`
	// UsedBytes is data on the node that the placement does not describe
	// (other data, reserved space). The scheduler adds SizeBytes/Shards of
	// every replica it plans on the node and balances the sum.
	UsedBytes int64 `json:"used_bytes,omitempty"`
}

// TableSpec is what a table wants from placement.
type TableSpec struct {
	// ID is the table's stable id (the key of its ShardMap).
	ID string `json:"id"`
	// Shards is the number of shards, 1..MaxShards.
	Shards int `json:"shards"`
	// Replicas is the number of replicas of every shard, at least 1.
	Replicas int `json:"replicas"`
	// SpreadKey is the node tag key whose values the replicas of a shard
	// are spread over; empty means Options.SpreadKey. A node without the
	// key counts as its own domain.
	SpreadKey string `json:"spread_key,omitempty"`
	// Require lists tags ("key=value") a node must all carry to hold a
	// replica of this table.
	Require []string `json:"require,omitempty"`
	// SizeBytes is the table's size; every replica of a shard weighs
	// SizeBytes/Shards.
	SizeBytes int64 `json:"size_bytes,omitempty"`
}

// Shard is the placement of one shard.
type Shard struct {
	// Index is the shard number, 0..Shards-1.
	Index int `json:"index"`
	// Replicas are the node ids holding the shard; the first one is the
	// preferred primary (the output always lists the primary first).
	Replicas []string `json:"replicas"`
	// Primary is the node id of the primary, empty when there is no
	// replica. On input an empty Primary means Replicas[0].
	Primary string `json:"primary,omitempty"`
}

// ShardMap is the placement of one table's shards, ordered by index.
type ShardMap []Shard

// MoveKind says what a Move does.
type MoveKind string

// Move kinds.
const (
	// MoveAdd creates a replica on To.
	MoveAdd MoveKind = "add"
	// MoveRemove deletes the replica on From.
	MoveRemove MoveKind = "remove"
	// MoveRelocate moves a replica from From to To (create on To, then
	// delete on From).
	MoveRelocate MoveKind = "move"
	// MovePrimary makes the replica on To the primary instead of From.
	MovePrimary MoveKind = "primary"
)

// Reason says why a Move is needed.
type Reason string

// Reasons. The repair reasons are never limited; ReasonDraining (for
// relocations), ReasonSpread, ReasonRebalance and ReasonPrimaryBalance
// are optional moves bounded by Options.MaxMoves.
const (
	ReasonNewShard        Reason = "new shard"
	ReasonUnderReplicated Reason = "under-replicated"
	ReasonNodeUnhealthy   Reason = "node unhealthy"
	ReasonNodeUnknown     Reason = "node unknown"
	ReasonConstraint      Reason = "constraint"
	ReasonDuplicate       Reason = "duplicate replica"
	ReasonOverReplicated  Reason = "over-replicated"
	ReasonShardDropped    Reason = "shard dropped"
	ReasonTableDropped    Reason = "table dropped"
	ReasonFailover        Reason = "failover"
	ReasonDraining        Reason = "draining"
	ReasonSpread          Reason = "spread"
	ReasonRebalance       Reason = "rebalance"
	ReasonPrimaryBalance  Reason = "primary balance"
)

// Move is one step from the current placement to the desired one. Moves
// of a shard are listed in the order they apply.
type Move struct {
	Table  string   `json:"table"`
	Shard  int      `json:"shard"`
	Kind   MoveKind `json:"kind"`
	From   string   `json:"from,omitempty"`
	To     string   `json:"to,omitempty"`
	Reason Reason   `json:"reason"`
}

// String formats the move as "t1/0: move n1 -> n4 (rebalance)".
func (m Move) String() string {
	var what string
	switch m.Kind {
	case MoveAdd:
		what = "add " + m.To
	case MoveRemove:
		what = "remove " + m.From
	default:
		what = fmt.Sprintf("%s %s -> %s", m.Kind, m.From, m.To)
	}
	return fmt.Sprintf("%s/%d: %s (%s)", m.Table, m.Shard, what, m.Reason)
}

// Kinds of TableError, for errors.Is.
var (
	// ErrTooFewNodes: fewer eligible nodes than the table wants replicas.
	ErrTooFewNodes = errors.New("scheduler: too few eligible nodes")
	// ErrNoCapacity: enough eligible nodes, but not enough free capacity.
	ErrNoCapacity = errors.New("scheduler: not enough free capacity")
	// ErrInvalidTable: the table spec is invalid; its current placement
	// is passed through unchanged.
	ErrInvalidTable = errors.New("scheduler: invalid table spec")
	// ErrInvalidNodes: the node list is invalid (empty or duplicate id);
	// nothing is placed.
	ErrInvalidNodes = errors.New("scheduler: invalid node list")
)

// TableError reports a table that could not be placed as it wants. The
// rest of the placement is still valid.
type TableError struct {
	Table   string `json:"table"`
	Message string `json:"message"`
	// Kind is ErrTooFewNodes, ErrNoCapacity or ErrInvalidTable.
	Kind error `json:"-"`
}

func (e *TableError) Error() string { return e.Message }

// Unwrap returns the error's kind.
func (e *TableError) Unwrap() error { return e.Kind }

// Options tune placement. The zero value means the defaults.
type Options struct {
	// SpreadKey is the default tag key replicas are spread over
	// (DefaultSpreadKey when empty).
	SpreadKey string
	// MaxMoves bounds the optional moves (draining, spreading,
	// rebalancing, primary balancing) per call; 0 means DefaultMaxMoves,
	// a negative value disables them. Repairs are never bounded.
	MaxMoves int
	// Threshold is the replica count difference tolerated between two
	// nodes: a replica only moves from A to B for balance when A holds more
	// than Threshold replicas more than B (DefaultThreshold when < 1; a
	// difference of one cannot be evened out by moving one replica).
	Threshold int
	// PrimaryThreshold is the same for primary counts between the primary
	// of a shard and another of its replicas (DefaultThreshold when < 1).
	PrimaryThreshold int
}

// DefaultOptions returns the options Place uses.
func DefaultOptions() Options { return Options{}.withDefaults() }

func (o Options) withDefaults() Options {
	if o.SpreadKey == "" {
		o.SpreadKey = DefaultSpreadKey
	}
	switch {
	case o.MaxMoves == 0:
		o.MaxMoves = DefaultMaxMoves
	case o.MaxMoves < 0:
		o.MaxMoves = 0
	}
	if o.Threshold < 1 {
		o.Threshold = DefaultThreshold
	}
	if o.PrimaryThreshold < 1 {
		o.PrimaryThreshold = DefaultThreshold
	}
	return o
}

// Plan is the result of a placement.
type Plan struct {
	// Placement is the desired shard map of every table in the specs (a
	// table with an invalid spec keeps its current map).
	Placement map[string]ShardMap `json:"placement"`
	// Moves lead from the current placement to Placement, ordered by
	// table and shard, in the order they apply within a shard.
	Moves []Move `json:"moves"`
	// Warnings name the tables that could not be placed as they want.
	Warnings []*TableError `json:"warnings,omitempty"`
	// Pending is true when another call may still make moves: the move
	// budget ran out, a move was held back because its shard already
	// changed in this call, or a node refused a replica for capacity and
	// then freed space. When it is false, placing again with Placement as
	// the current state (and the same nodes and tables) makes no move.
	Pending bool `json:"pending"`
}

// Err joins the warnings into one error (nil when there are none).
func (p *Plan) Err() error {
	errs := make([]error, len(p.Warnings))
	for i, w := range p.Warnings {
		errs[i] = w
	}
	return errors.Join(errs...)
}

// Place computes the desired placement with DefaultOptions. It returns a
// nil map and ErrInvalidNodes when the node list is invalid; otherwise the
// placement and moves are always usable and the error, if any, joins the
// per-table TableErrors (see Plan.Err).
func Place(nodes []Node, tables []TableSpec, current map[string]ShardMap) (map[string]ShardMap, []Move, error) {
	plan, err := DefaultOptions().Place(nodes, tables, current)
	if err != nil {
		return nil, nil, err
	}
	return plan.Placement, plan.Moves, plan.Err()
}

// tagSplit splits "key=value" (a tag without "=" has an empty value).
func tagSplit(tag string) (key, value string) {
	key, value, _ = strings.Cut(tag, "=")
	return key, value
}
