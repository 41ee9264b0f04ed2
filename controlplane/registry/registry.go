// Package registry is the control plane's view of the cluster in Consul:
// the data nodes registered as service photondb-datanode (with their health
// checks) as a meta.Registry, and the scheduler's leader election as a
// scheduler.Elector on a Consul session lock.
package registry

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hashicorp/consul/api"

	"github.com/photondb-io/photondb/shared/consulreg"
	m "github.com/photondb-io/photondb/shared/meta"
)

// Consul lists the data nodes of one cluster (the catalog's KV prefix)
// from Consul's health view.
type Consul struct {
	Client  *api.Client
	Cluster string
}

// Kind is "consul".
func (Consul) Kind() string { return "consul" }

// Nodes lists the registered data nodes and their health.
func (c Consul) Nodes(ctx context.Context) ([]m.Node, map[string]bool, error) {
	ins, err := consulreg.Instances(ctx, c.Client, consulreg.DataNodeService, c.Cluster)
	if err != nil {
		return nil, nil, err
	}
	nodes := make([]m.Node, 0, len(ins))
	health := map[string]bool{}
	for _, in := range ins {
		id := in.Meta["node_id"]
		if id == "" {
			id = in.ID
		}
		httpPort, _ := strconv.Atoi(in.Meta["http_port"])
		clusterPort, _ := strconv.Atoi(in.Meta["cluster_port"])
		nodes = append(nodes, m.Node{ID: id, Name: in.Meta["name"], Address: in.Address, DriverPort: in.Port,
			HTTPPort: httpPort, ClusterPort: clusterPort, Tags: in.Tags})
		health[id] = in.Healthy
	}
	return nodes, health, nil
}

// Elector is leader election on a Consul lock (a session-backed key): one
// holder at a time; leadership is lost when the session is invalidated
// (the holder died or lost its agent).
type Elector struct {
	Client *api.Client
	Key    string // e.g. photondb/scheduler/leader
	lock   *api.Lock
}

// Campaign blocks until this process holds the lock or ctx ends.
func (e *Elector) Campaign(ctx context.Context) (<-chan struct{}, error) {
	// A short wait per blocking query: a replica waiting for the lock
	// notices shutdown (its stop channel) within a second, not 15 s.
	lock, err := e.Client.LockOpts(&api.LockOptions{Key: e.Key, SessionTTL: "10s", SessionName: "photondb-scheduler", LockWaitTime: time.Second})
	if err != nil {
		return nil, fmt.Errorf("scheduler lock %s: %w", e.Key, err)
	}
	stop := make(chan struct{})
	go func() {
		<-ctx.Done()
		close(stop)
	}()
	lost, err := lock.Lock(stop)
	if err != nil {
		return nil, fmt.Errorf("acquire scheduler lock %s: %w", e.Key, err)
	}
	if lost == nil {
		return nil, ctx.Err()
	}
	e.lock = lock
	out := make(chan struct{})
	go func() {
		<-lost
		close(out)
	}()
	return out, nil
}

// Resign releases the lock.
func (e *Elector) Resign(context.Context) error {
	if e.lock == nil {
		return nil
	}
	err := e.lock.Unlock()
	e.lock = nil
	return err
}
