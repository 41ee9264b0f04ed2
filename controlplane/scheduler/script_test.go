package scheduler

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output blocks of testdata/*.txt")

// TestScripts runs the data-driven scripts in testdata. A script is a
// sequence of command lines; a command followed by a "----" line has its
// output compared with the lines after it, up to the next blank line.
// Commands without a block must print nothing. Lines starting with # are
// comments. `go test -rewrite` regenerates the blocks.
//
// Commands (ids are node or table ids):
//
//	node add ID [key=value...] [used=BYTES] [capacity=BYTES]
//	node fail|recover|drain|undrain|remove ID...
//	table create ID shards=N replicas=N [size=BYTES] [spread=KEY] [require=key=value...]
//	table alter ID [shards=N] [replicas=N] [size=BYTES]
//	table drop ID
//	shard set TABLE/INDEX ID[*] ...   (sets the current map; * marks the primary)
//	options [max-moves=N] [threshold=N] [primary-threshold=N] [spread=KEY]
//	place [max-moves=N]               (one call; the output becomes current)
//	settle [max-rounds=N]             (place until a call makes no move)
//	show                              (the current placement)
//	load                              (per-node replica, primary, byte counts)
//	determinism [runs=N]              (place on shuffled inputs, compare)
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scripts in testdata")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			runScript(t, file)
		})
	}
}

func runScript(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	var out []string
	c := newCluster()
	for i := 0; i < len(lines); {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			out = append(out, line)
			i++
			continue
		}
		lineNo := i + 1
		i++
		hasBlock := i < len(lines) && lines[i] == "----"
		var expected []string
		if hasBlock {
			i++
			for i < len(lines) && lines[i] != "" {
				expected = append(expected, lines[i])
				i++
			}
		}
		got := c.run(t, trimmed)
		if slices.Contains(got, "") {
			t.Fatalf("%s:%d: %s: output contains a blank line", file, lineNo, trimmed)
		}
		if *rewrite {
			out = append(out, line)
			if hasBlock || len(got) > 0 {
				out = append(out, "----")
				out = append(out, got...)
				if !hasBlock && i < len(lines) && lines[i] != "" {
					out = append(out, "")
				}
			}
			continue
		}
		if !slices.Equal(got, expected) {
			t.Errorf("%s:%d: %s\n--- expected:\n%s\n--- got:\n%s", file, lineNo, trimmed,
				strings.Join(expected, "\n"), strings.Join(got, "\n"))
		}
	}
	if *rewrite {
		if err := os.WriteFile(file, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// cluster is a script's state.
type cluster struct {
	nodes   []Node
	tables  []TableSpec
	current map[string]ShardMap
	opts    Options
}

func newCluster() *cluster { return &cluster{current: map[string]ShardMap{}} }

func (c *cluster) node(id string) (*Node, error) {
	for i := range c.nodes {
		if c.nodes[i].ID == id {
			return &c.nodes[i], nil
		}
	}
	return nil, fmt.Errorf("no node %s", id)
}

func (c *cluster) table(id string) (*TableSpec, error) {
	for i := range c.tables {
		if c.tables[i].ID == id {
			return &c.tables[i], nil
		}
	}
	return nil, fmt.Errorf("no table %s", id)
}

// run executes one command and returns its output lines.
func (c *cluster) run(t *testing.T, cmd string) []string {
	out, err := c.exec(t, strings.Fields(cmd))
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	return out
}

func (c *cluster) exec(t *testing.T, args []string) ([]string, error) {
	switch {
	case len(args) >= 3 && args[0] == "node":
		return nil, c.nodeCmd(args[1], args[2:])
	case len(args) >= 3 && args[0] == "table":
		return nil, c.tableCmd(args[1], args[2], args[3:])
	case len(args) >= 3 && args[0] == "shard" && args[1] == "set":
		return nil, c.shardSet(args[2], args[3:])
	case args[0] == "options":
		return nil, c.setOptions(&c.opts, args[1:])
	case args[0] == "place":
		opts := c.opts
		if err := c.setOptions(&opts, args[1:]); err != nil {
			return nil, err
		}
		plan, err := c.place(t, opts)
		if err != nil {
			return nil, err
		}
		return c.formatPlan(plan, true), nil
	case args[0] == "settle":
		return c.settle(t, args[1:])
	case args[0] == "show":
		return c.formatPlacement(), nil
	case args[0] == "load":
		return c.formatLoad(), nil
	case args[0] == "determinism":
		return c.determinism(args[1:])
	}
	return nil, fmt.Errorf("unknown command %q", strings.Join(args, " "))
}

func (c *cluster) nodeCmd(verb string, args []string) error {
	if verb == "add" {
		n := Node{ID: args[0], Healthy: true}
		if _, err := c.node(n.ID); err == nil {
			return fmt.Errorf("node %s exists", n.ID)
		}
		for _, a := range args[1:] {
			k, v, _ := strings.Cut(a, "=")
			var err error
			switch k {
			case "used":
				n.UsedBytes, err = strconv.ParseInt(v, 10, 64)
			case "capacity":
				n.CapacityBytes, err = strconv.ParseInt(v, 10, 64)
			default:
				n.Tags = append(n.Tags, a)
			}
			if err != nil {
				return err
			}
		}
		c.nodes = append(c.nodes, n)
		return nil
	}
	for _, id := range args {
		n, err := c.node(id)
		if err != nil {
			return err
		}
		switch verb {
		case "fail":
			n.Healthy = false
		case "recover":
			n.Healthy = true
		case "drain":
			n.Draining = true
		case "undrain":
			n.Draining = false
		case "remove":
			c.nodes = slices.DeleteFunc(c.nodes, func(x Node) bool { return x.ID == id })
		default:
			return fmt.Errorf("unknown node command %q", verb)
		}
	}
	return nil
}

func (c *cluster) tableCmd(verb, id string, args []string) error {
	var spec *TableSpec
	switch verb {
	case "create":
		if _, err := c.table(id); err == nil {
			return fmt.Errorf("table %s exists", id)
		}
		c.tables = append(c.tables, TableSpec{ID: id})
		spec = &c.tables[len(c.tables)-1]
	case "alter":
		var err error
		if spec, err = c.table(id); err != nil {
			return err
		}
	case "drop":
		if _, err := c.table(id); err != nil {
			return err
		}
		c.tables = slices.DeleteFunc(c.tables, func(s TableSpec) bool { return s.ID == id })
		return nil
	default:
		return fmt.Errorf("unknown table command %q", verb)
	}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		var err error
		switch k {
		case "shards":
			spec.Shards, err = strconv.Atoi(v)
		case "replicas":
			spec.Replicas, err = strconv.Atoi(v)
		case "size":
			spec.SizeBytes, err = strconv.ParseInt(v, 10, 64)
		case "spread":
			spec.SpreadKey = v
		case "require":
			spec.Require = append(spec.Require, v)
		default:
			err = fmt.Errorf("unknown table argument %q", a)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *cluster) shardSet(ref string, ids []string) error {
	tableID, index, ok := strings.Cut(ref, "/")
	if !ok {
		return fmt.Errorf("bad shard %q", ref)
	}
	idx, err := strconv.Atoi(index)
	if err != nil {
		return err
	}
	sh := Shard{Index: idx, Replicas: []string{}}
	for _, id := range ids {
		if p, ok := strings.CutSuffix(id, "*"); ok {
			id, sh.Primary = p, p
		}
		sh.Replicas = append(sh.Replicas, id)
	}
	m := slices.DeleteFunc(c.current[tableID], func(s Shard) bool { return s.Index == idx })
	m = append(m, sh)
	slices.SortFunc(m, func(a, b Shard) int { return a.Index - b.Index })
	c.current[tableID] = m
	return nil
}

func (c *cluster) setOptions(o *Options, args []string) error {
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		if k == "spread" {
			o.SpreadKey = v
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("bad option %q", a)
		}
		switch k {
		case "max-moves":
			o.MaxMoves = n
		case "threshold":
			o.Threshold = n
		case "primary-threshold":
			o.PrimaryThreshold = n
		default:
			return fmt.Errorf("unknown option %q", a)
		}
	}
	return nil
}

// place runs one placement, checks it and makes it the current state.
func (c *cluster) place(t *testing.T, opts Options) (*Plan, error) {
	plan, err := opts.Place(c.nodes, c.tables, c.current)
	if err != nil {
		return nil, err
	}
	checkPlan(t, opts, c.nodes, c.tables, c.current, plan)
	c.current = plan.Placement
	return plan, nil
}

func (c *cluster) settle(t *testing.T, args []string) ([]string, error) {
	maxRounds := 100
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		n, err := strconv.Atoi(v)
		if k != "max-rounds" || err != nil {
			return nil, fmt.Errorf("bad argument %q", a)
		}
		maxRounds = n
	}
	moves := 0
	for round := 1; round <= maxRounds; round++ {
		plan, err := c.place(t, c.opts)
		if err != nil {
			return nil, err
		}
		if len(plan.Moves) == 0 {
			calls := "calls"
			if round == 2 {
				calls = "call"
			}
			out := []string{fmt.Sprintf("settled after %d moves in %d %s", moves, round-1, calls)}
			return append(out, c.formatPlan(plan, false)...), nil
		}
		moves += len(plan.Moves)
	}
	return nil, fmt.Errorf("not settled after %d rounds", maxRounds)
}

func (c *cluster) formatPlan(plan *Plan, withMoves bool) []string {
	var out []string
	if withMoves {
		if len(plan.Moves) == 0 {
			out = append(out, "moves: none")
		} else {
			out = append(out, fmt.Sprintf("moves: %d", len(plan.Moves)))
		}
		for _, m := range plan.Moves {
			out = append(out, "  "+m.String())
		}
	}
	out = append(out, c.formatPlacement()...)
	for _, w := range plan.Warnings {
		out = append(out, "warning: "+w.Error())
	}
	if plan.Pending && withMoves {
		out = append(out, "pending")
	}
	return out
}

func (c *cluster) formatPlacement() []string {
	ids := make([]string, 0, len(c.current))
	for id := range c.current {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []string
	for _, id := range ids {
		for _, sh := range c.current[id] {
			line := fmt.Sprintf("%s/%d:", id, sh.Index)
			if len(sh.Replicas) == 0 {
				line += " (none)"
			}
			for _, r := range sh.Replicas {
				line += " " + r
				if r == sh.Primary {
					line += "*"
				}
			}
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		out = append(out, "(empty)")
	}
	return out
}

// formatLoad recomputes every node's load from the current placement.
func (c *cluster) formatLoad() []string {
	type load struct {
		replicas, primaries int
		bytes               int64
	}
	loads := map[string]*load{}
	for _, n := range c.nodes {
		loads[n.ID] = &load{bytes: n.UsedBytes}
	}
	sized := false
	for id, m := range c.current {
		spec, err := c.table(id)
		if err != nil {
			continue
		}
		var size int64
		if spec.Shards > 0 {
			size = spec.SizeBytes / int64(spec.Shards)
		}
		for _, sh := range m {
			for _, r := range sh.Replicas {
				if l := loads[r]; l != nil {
					l.replicas++
					l.bytes += size
				}
			}
			if l := loads[sh.Primary]; l != nil {
				l.primaries++
			}
		}
	}
	nodes := slices.Clone(c.nodes)
	slices.SortFunc(nodes, func(a, b Node) int { return strings.Compare(a.ID, b.ID) })
	for _, n := range nodes {
		if loads[n.ID].bytes != 0 {
			sized = true
		}
	}
	var out []string
	for _, n := range nodes {
		l := loads[n.ID]
		line := fmt.Sprintf("%s: replicas=%d primaries=%d", n.ID, l.replicas, l.primaries)
		if sized {
			line += fmt.Sprintf(" bytes=%d", l.bytes)
		}
		if !n.Healthy {
			line += " unhealthy"
		}
		if n.Draining {
			line += " draining"
		}
		out = append(out, line)
	}
	return out
}

// determinism places the same cluster with shuffled node, tag, table and
// shard orders and reports whether every run gives the same plan. It does
// not change the current state.
func (c *cluster) determinism(args []string) ([]string, error) {
	runs := 20
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		n, err := strconv.Atoi(v)
		if k != "runs" || err != nil {
			return nil, fmt.Errorf("bad argument %q", a)
		}
		runs = n
	}
	first, err := c.opts.Place(c.nodes, c.tables, c.current)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := 1; run < runs; run++ {
		nodes, tables, current := shuffled(rng, c.nodes, c.tables, c.current)
		plan, err := c.opts.Place(nodes, tables, current)
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(first, plan) {
			return []string{fmt.Sprintf("run %d differs", run)}, nil
		}
	}
	return []string{fmt.Sprintf("%d runs, %d moves each, identical", runs, len(first.Moves))}, nil
}

// shuffled returns deep copies of the inputs in a random order.
func shuffled(rng *rand.Rand, nodes []Node, tables []TableSpec, current map[string]ShardMap) ([]Node, []TableSpec, map[string]ShardMap) {
	ns := make([]Node, len(nodes))
	for i, n := range nodes {
		n.Tags = slices.Clone(n.Tags)
		rng.Shuffle(len(n.Tags), func(a, b int) { n.Tags[a], n.Tags[b] = n.Tags[b], n.Tags[a] })
		ns[i] = n
	}
	rng.Shuffle(len(ns), func(a, b int) { ns[a], ns[b] = ns[b], ns[a] })
	ts := slices.Clone(tables)
	rng.Shuffle(len(ts), func(a, b int) { ts[a], ts[b] = ts[b], ts[a] })
	cur := make(map[string]ShardMap, len(current))
	for id, m := range current {
		cm := make(ShardMap, len(m))
		for i, sh := range m {
			cm[i] = Shard{Index: sh.Index, Replicas: slices.Clone(sh.Replicas), Primary: sh.Primary}
		}
		rng.Shuffle(len(cm), func(a, b int) { cm[a], cm[b] = cm[b], cm[a] })
		cur[id] = cm
	}
	return ns, ts, cur
}
