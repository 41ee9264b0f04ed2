package auth

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Role is what an identity may do in its tenant. The user roles are
// ordered: owner > admin > developer > reader; each may do everything the
// next one may. RoleNode is the data nodes' credential and is outside that
// order (see Allowed).
type Role string

// Roles.
const (
	RoleReader    Role = "reader"
	RoleDeveloper Role = "developer"
	RoleAdmin     Role = "admin"
	RoleOwner     Role = "owner"
	RoleNode      Role = "node"
)

// UserRoles are the user roles from most to least privileged (the order of
// meta.Roles).
var UserRoles = []Role{RoleOwner, RoleAdmin, RoleDeveloper, RoleReader}

// rank orders the user roles; 0 for RoleNode and unknown roles.
func (r Role) rank() int {
	switch r {
	case RoleReader:
		return 1
	case RoleDeveloper:
		return 2
	case RoleAdmin:
		return 3
	case RoleOwner:
		return 4
	}
	return 0
}

// Valid reports whether r is one of the four user roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// AtLeast reports whether r is a user role at least as privileged as min.
// RoleNode is never at least any user role.
func (r Role) AtLeast(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// ParseRole parses a user role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("auth: role %q unknown (roles are owner, admin, developer, reader)", s)
	}
	return r, nil
}

// Kind says how an identity proved itself.
type Kind string

// Kinds of identity.
const (
	// KindSession: a session JWT issued by /auth/callback (Bearer or cookie).
	KindSession Kind = "session"
	// KindToken: an API token (pdb_...) from the catalog.
	KindToken Kind = "token"
	// KindNode: a data node presenting the cluster secret.
	KindNode Kind = "node"
	// KindDev: no credentials at all, in dev mode.
	KindDev Kind = "dev"
)

// Identity is the caller of a request, as the middleware puts it in the
// request context.
type Identity struct {
	// Subject is stable per caller: "<issuer subject>" for OIDC,
	// "github:<user id>", "token:<token id>", "node:<node id>", "dev".
	Subject string `json:"subject"`
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	// Tenant is the tenant every request of this identity acts in ("" for
	// a data node, which acts for the cluster).
	Tenant string   `json:"tenant"`
	Role   Role     `json:"role"`
	Groups []string `json:"groups,omitempty"`
	Kind   Kind     `json:"kind"`
	// Provider is "oidc" or "github" for sessions.
	Provider string `json:"provider,omitempty"`
	// TokenID is the API token's id (KindToken).
	TokenID string `json:"token_id,omitempty"`
	// Node is the X-PhotonDB-Node header of a data node's request; set
	// only for KindNode (and in dev mode, where the header is trusted).
	// The API must treat a request as a data node's only when Node != "".
	Node string `json:"node,omitempty"`
	// ExpiresAt is when the session ends (KindSession).
	ExpiresAt time.Time `json:"expires_at,omitzero"`

	viaCookie bool // the credential came from the session cookie (CSRF check)
}

// Can reports whether the identity has a user role of at least min.
func (id Identity) Can(min Role) bool { return id.Role.AtLeast(min) }

type ctxKey struct{}

// WithIdentity returns ctx carrying id (the middleware does this; tests of
// handlers may too).
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// FromContext returns the identity the middleware put in ctx.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(ctxKey{}).(Identity)
	return id, ok
}

// maxGroups bounds the groups carried in a session.
const maxGroups = 50

func capGroups(g []string) []string {
	if len(g) > maxGroups {
		g = g[:maxGroups]
	}
	return slices.Clone(g)
}
