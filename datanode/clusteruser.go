package datanode

import (
	"fmt"

	"github.com/photondb-io/photondb/datanode/reql"
	"github.com/photondb-io/photondb/datanode/wire"
)

// clusterUsers adds the control plane's login (reql.ClusterUser, password
// the cluster secret) to the node's users, so the control plane never needs
// the admin password, which operators may change or never know (auto).
type clusterUsers struct {
	wire.Users
	cluster wire.Credentials
}

func newClusterUsers(users wire.Users, secret string) (*clusterUsers, error) {
	c, err := wire.NewCredentials(secret, wire.DefaultIterations)
	if err != nil {
		return nil, fmt.Errorf("cluster user credentials: %w", err)
	}
	return &clusterUsers{Users: users, cluster: c}, nil
}

func (u *clusterUsers) Credentials(name string) (wire.Credentials, bool) {
	if name == reql.ClusterUser {
		return u.cluster, true
	}
	return u.Users.Credentials(name)
}
