package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// Tenants' queries (POST /api/query) run on the data node as the tenant's
// own ReQL user, "tenant_<name>", which holds read, write and config on the
// tenant's databases and nothing else: ReQL's permission checks then keep
// a tenant inside its databases, whatever the query names (other tenants'
// databases, the rethinkdb system database, r.http). Its password is
// derived from the cluster secret, so every control-plane replica computes
// the same one and nothing secret is stored in the catalog.

// tenantUsers caches which databases each tenant user was granted.
type tenantUsers struct {
	mu      sync.Mutex
	granted map[string]map[string]bool // tenant -> database -> granted
}

// tenantUserName is the ReQL user of a tenant.
func tenantUserName(tenant string) string { return "tenant_" + tenant }

// tenantPassword derives a tenant user's password from the cluster secret.
func (rs *REST) tenantPassword(tenant string) string {
	mac := hmac.New(sha256.New, []byte(rs.ClusterSecret))
	mac.Write([]byte("photondb tenant user\x00" + tenant))
	return hex.EncodeToString(mac.Sum(nil))
}

// tenantLogin returns the tenant's ReQL user and password, creating the
// user and granting it the tenant's databases it does not hold yet.
func (rs *REST) tenantLogin(ctx context.Context, tenant string) (string, string, error) {
	user, password := tenantUserName(tenant), rs.tenantPassword(tenant)
	dbs, err := rs.Meta.ListDatabases(ctx, tenant)
	if err != nil {
		return "", "", err
	}
	rs.tenantUsers.mu.Lock()
	if rs.tenantUsers.granted == nil {
		rs.tenantUsers.granted = map[string]map[string]bool{}
	}
	have := rs.tenantUsers.granted[tenant]
	var missing []string
	for _, d := range dbs {
		if !have[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	rs.tenantUsers.mu.Unlock()
	if have != nil && len(missing) == 0 {
		return user, password, nil
	}
	if err := rs.Node.EnsureUser(ctx, user, password, missing); err != nil {
		return "", "", err
	}
	rs.tenantUsers.mu.Lock()
	if rs.tenantUsers.granted[tenant] == nil {
		rs.tenantUsers.granted[tenant] = map[string]bool{}
	}
	for _, db := range missing {
		rs.tenantUsers.granted[tenant][db] = true
	}
	rs.tenantUsers.mu.Unlock()
	return user, password, nil
}

// forget drops the cache of a tenant (e.g. after a data node restart made
// a login fail), so the next query ensures its user again.
func (rs *REST) forgetTenant(tenant string) {
	rs.tenantUsers.mu.Lock()
	delete(rs.tenantUsers.granted, tenant)
	rs.tenantUsers.mu.Unlock()
}
