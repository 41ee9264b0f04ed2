package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/photondb-io/photondb/controlplane/auth"
)

// Tenants' queries (POST /api/query) run on the data node as the tenant's
// own ReQL user, "tenant_<name>", which holds read, write and config on the
// tenant's databases and nothing else: ReQL's permission checks then keep
// a tenant inside its databases, whatever the query names (other tenants'
// databases, the rethinkdb system database, r.http). Its password is
// derived from the cluster secret, so every control-plane replica computes
// the same one and nothing secret is stored in the catalog.

// tenantUsers caches which databases each tenant user was granted, under
// which password.
type tenantUsers struct {
	mu       sync.Mutex
	granted  map[string]map[string]bool // tenant -> database -> granted
	password map[string]string          // tenant -> password the grants were made with
}

// tenantUserName is the ReQL user of a tenant.
func tenantUserName(tenant string) string { return "tenant_" + tenant }

// tenantPassword derives a tenant user's password from the cluster secret.
func (rs *REST) tenantPassword(tenant string, key int) string {
	mac := hmac.New(sha256.New, []byte(rs.ClusterSecret))
	mac.Write([]byte("photondb tenant user\x00" + tenant + "\x00" + strconv.Itoa(key)))
	return hex.EncodeToString(mac.Sum(nil))
}

// tenantLogin returns the tenant's ReQL user and password, creating the
// user and granting it the tenant's databases it does not hold yet.
func (rs *REST) tenantLogin(ctx context.Context, tenant string) (string, string, error) {
	t, err := rs.Meta.GetTenant(ctx, tenant)
	if err != nil {
		return "", "", err
	}
	user, password := tenantUserName(tenant), rs.tenantPassword(tenant, t.DriverKey)
	dbs, err := rs.Meta.ListDatabases(ctx, tenant)
	if err != nil {
		return "", "", err
	}
	rs.tenantUsers.mu.Lock()
	if rs.tenantUsers.granted == nil {
		rs.tenantUsers.granted = map[string]map[string]bool{}
		rs.tenantUsers.password = map[string]string{}
	}
	if rs.tenantUsers.password[tenant] != password { // rotated: set the password and grants again
		delete(rs.tenantUsers.granted, tenant)
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
	if have == nil {
		missing = nil
		for _, d := range dbs {
			missing = append(missing, d.Name)
		}
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
	rs.tenantUsers.password[tenant] = password
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

// DriverCredentials is the tenant's login for the official drivers.
type DriverCredentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

func (rs *REST) registerDriverCredentials(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "driver-credentials", Method: http.MethodPost, Path: "/api/v1/driver-credentials",
		Summary: "The tenant's login for the RethinkDB drivers", Tags: []string{"Users"},
		Description: "A ReQL user holding read, write and config on the tenant's databases (and on new ones as they are created through the control plane). " +
			"rotate=true issues a new password; the old one stops working.",
		Errors: []int{http.StatusForbidden, http.StatusServiceUnavailable},
	}, func(ctx context.Context, in *struct {
		Rotate bool `query:"rotate" doc:"Issue a new password."`
	}) (*reply[DriverCredentials], error) {
		id := caller(ctx)
		if !id.Role.AtLeast(auth.RoleAdmin) && id.Kind != auth.KindDev {
			return nil, huma.Error403Forbidden("Driver credentials need the admin role.")
		}
		if rs.ClusterSecret == "" {
			return nil, huma.NewError(http.StatusServiceUnavailable, "Driver credentials need the cluster secret (PHOTONDB_CLUSTER_SECRET) on the control plane.")
		}
		tenant := tenantOf(ctx)
		if in.Rotate {
			if _, err := rs.Meta.RotateDriverKey(ctx, tenant); err != nil {
				return nil, rs.problem(err)
			}
		}
		user, password, err := rs.tenantLogin(ctx, tenant)
		if err != nil {
			return nil, rs.problem(err)
		}
		return &reply[DriverCredentials]{Body: DriverCredentials{User: user, Password: password}}, nil
	})
}
