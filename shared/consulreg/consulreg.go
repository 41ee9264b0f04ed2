// Package consulreg registers PhotonDB processes as Consul services and
// finds them again: data nodes as `photondb-datanode`, control planes as
// `photondb-controlplane`, each with an HTTP health check on the process's
// /health/ready, so Consul's health view is the registry.
package consulreg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/consul/api"
)

// Service names.
const (
	DataNodeService     = "photondb-datanode"
	ControlPlaneService = "photondb-controlplane"
)

// Client connects to the Consul agent at addr (host:port).
func Client(addr string) (*api.Client, error) {
	cfg := api.DefaultConfig()
	cfg.Address = addr
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("consul client for %s: %w", addr, err)
	}
	return c, nil
}

// Service is one registration.
type Service struct {
	Name     string
	ID       string // unique per process
	Address  string
	Port     int // the service's main port (driver port for data nodes)
	HTTPPort int // where /health/ready answers
	Tags     []string
	Meta     map[string]string
	Cluster  string // stored as the ClusterMeta service meta
	// HTTPS says the HTTP port serves TLS (checked over https without
	// verifying the certificate: Consul has no CA for it); with
	// ClientCerts (mutual TLS) Consul cannot pass the handshake, so the
	// check becomes a TCP check.
	HTTPS, ClientCerts bool
}

// SchemeMeta is the service meta key holding the HTTP scheme (http or
// https) of the instance's HTTP port.
const SchemeMeta = "scheme"

// Register registers s with an HTTP check on /health/ready every 2 s; a
// service critical for a minute is removed by Consul. The returned
// function deregisters it.
func Register(ctx context.Context, c *api.Client, s Service) (func(), error) {
	scheme := "http"
	if s.HTTPS {
		scheme = "https"
	}
	meta := map[string]string{ClusterMeta: s.Cluster, SchemeMeta: scheme}
	for k, v := range s.Meta {
		meta[k] = v
	}
	s.Meta = meta
	reg := &api.AgentServiceRegistration{
		ID: s.ID, Name: s.Name, Address: s.Address, Port: s.Port, Tags: s.Tags, Meta: s.Meta,
		Check: &api.AgentServiceCheck{
			HTTP:                           scheme + "://" + net.JoinHostPort(s.Address, strconv.Itoa(s.HTTPPort)) + "/health/ready",
			TLSSkipVerify:                  s.HTTPS,
			Interval:                       "2s",
			Timeout:                        "2s",
			DeregisterCriticalServiceAfter: "1m",
		},
	}
	if s.ClientCerts {
		reg.Check.HTTP, reg.Check.TLSSkipVerify = "", false
		reg.Check.TCP = net.JoinHostPort(s.Address, strconv.Itoa(s.HTTPPort))
	}
	opts := (&api.QueryOptions{}).WithContext(ctx)
	if err := c.Agent().ServiceRegisterOpts(reg, api.ServiceRegisterOpts{}.WithContext(opts.Context())); err != nil {
		return nil, fmt.Errorf("register %s in consul: %w", s.Name, err)
	}
	return func() { _ = c.Agent().ServiceDeregister(s.ID) }, nil
}

// Instance is a registered service instance with its health.
type Instance struct {
	ID      string
	Address string
	Port    int
	Tags    []string
	Meta    map[string]string
	Healthy bool
}

// ClusterMeta is the service meta key naming the cluster (the catalog's
// Consul KV prefix) an instance belongs to, so several PhotonDB clusters
// can share one Consul.
const ClusterMeta = "photondb_cluster"

// Instances lists the instances of a service (healthy or not) that belong
// to cluster ("" : any).
func Instances(ctx context.Context, c *api.Client, name, cluster string) ([]Instance, error) {
	entries, _, err := c.Health().Service(name, "", false, (&api.QueryOptions{}).WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("consul: list %s: %w", name, err)
	}
	out := make([]Instance, 0, len(entries))
	for _, e := range entries {
		if cluster != "" && e.Service.Meta[ClusterMeta] != cluster {
			continue
		}
		addr := e.Service.Address
		if addr == "" {
			addr = e.Node.Address
		}
		out = append(out, Instance{ID: e.Service.ID, Address: addr, Port: e.Service.Port, Tags: e.Service.Tags,
			Meta: e.Service.Meta, Healthy: e.Checks.AggregatedStatus() == api.HealthPassing})
	}
	return out, nil
}

// WaitHealthy returns a healthy instance of name in cluster, polling until one
// appears or ctx ends.
func WaitHealthy(ctx context.Context, c *api.Client, name, cluster string) (Instance, error) {
	for {
		ins, err := Instances(ctx, c, name, cluster)
		if err == nil {
			for _, in := range ins {
				if in.Healthy {
					return in, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = errors.New("no healthy instance registered")
			}
			return Instance{}, fmt.Errorf("consul: find %s: %w", name, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
