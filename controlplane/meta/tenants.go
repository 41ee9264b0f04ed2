package meta

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/photondb-io/photondb/controlplane/catalog"
	m "github.com/photondb-io/photondb/shared/meta"
)

// TenantInfo is a tenant with its version and usage.
type TenantInfo struct {
	m.Tenant
	Version uint64
	Usage   m.Usage
}

func checkQuotas(q m.Quotas) error {
	if q.Databases < 0 || q.Tables < 0 || q.StorageBytes < 0 {
		return errorf(KindInvalid, "Quotas must be zero (unlimited) or positive.")
	}
	return nil
}

// ListTenants lists the tenants sorted by name.
func (s *Service) ListTenants(ctx context.Context) ([]TenantInfo, error) {
	tenants, versions, err := list[m.Tenant](ctx, s.cat, m.TenantsPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]TenantInfo, len(tenants))
	for i, t := range tenants {
		u, _, _, err := get[m.Usage](ctx, s.cat, m.UsageKey(t.Name))
		if err != nil {
			return nil, err
		}
		out[i] = TenantInfo{Tenant: t, Version: versions[i], Usage: u}
	}
	sortByName(out, func(t TenantInfo) string { return t.Name })
	return out, nil
}

// GetTenant returns one tenant.
func (s *Service) GetTenant(ctx context.Context, name string) (TenantInfo, error) {
	t, v, found, err := get[m.Tenant](ctx, s.cat, m.TenantKey(name))
	if err != nil {
		return TenantInfo{}, err
	}
	if !found {
		return TenantInfo{}, errorf(KindNotFound, "Tenant `%s` does not exist.", name)
	}
	u, _, _, err := get[m.Usage](ctx, s.cat, m.UsageKey(name))
	return TenantInfo{Tenant: t, Version: v, Usage: u}, err
}

// CreateTenant creates a tenant.
func (s *Service) CreateTenant(ctx context.Context, name string, q m.Quotas) (TenantInfo, error) {
	if err := validName("Tenant", name); err != nil {
		return TenantInfo{}, err
	}
	if err := checkQuotas(q); err != nil {
		return TenantInfo{}, err
	}
	t := m.Tenant{Name: name, Quotas: q, CreatedAt: s.now().UTC()}
	if _, err := s.putNew(ctx, m.TenantKey(name), t); errors.Is(err, catalog.ErrConflict) {
		return TenantInfo{}, errorf(KindExists, "Tenant `%s` already exists.", name)
	} else if err != nil {
		return TenantInfo{}, err
	}
	s.notify()
	return s.GetTenant(ctx, name)
}

// UpdateTenant replaces a tenant's quotas; ifMatch (0: any) guards the
// version. Lowering a quota below the current usage is allowed: it stops
// new creations without touching what exists.
func (s *Service) UpdateTenant(ctx context.Context, name string, q m.Quotas, ifMatch uint64) (TenantInfo, error) {
	if err := checkQuotas(q); err != nil {
		return TenantInfo{}, err
	}
	cur, err := s.GetTenant(ctx, name)
	if err != nil {
		return TenantInfo{}, err
	}
	if ifMatch != 0 && ifMatch != cur.Version {
		return TenantInfo{}, stale("Tenant `" + name + "`")
	}
	t := cur.Tenant
	t.Quotas = q
	if _, err := s.cat.Put(ctx, m.TenantKey(name), marshal(t), int64(cur.Version)); errors.Is(err, catalog.ErrConflict) {
		return TenantInfo{}, stale("Tenant `" + name + "`")
	} else if err != nil {
		return TenantInfo{}, err
	}
	s.notify()
	return s.GetTenant(ctx, name)
}

// DeleteTenant deletes a tenant that owns no databases.
func (s *Service) DeleteTenant(ctx context.Context, name string, ifMatch uint64) error {
	if name == m.DefaultTenant {
		return errorf(KindConflict, "Tenant `%s` cannot be deleted.", name)
	}
	cur, err := s.GetTenant(ctx, name)
	if err != nil {
		return err
	}
	if ifMatch != 0 && ifMatch != cur.Version {
		return stale("Tenant `" + name + "`")
	}
	dbs, err := s.ListDatabases(ctx, name)
	if err != nil {
		return err
	}
	if len(dbs) > 0 {
		return errorf(KindConflict, "Tenant `%s` still owns %d databases; drop them first.", name, len(dbs))
	}
	_, err = s.cat.Txn(ctx, []catalog.Op{
		{Kind: catalog.OpDelete, Key: m.TenantKey(name), Expect: int64(cur.Version)},
		{Kind: catalog.OpDelete, Key: m.UsageKey(name), Expect: catalog.Any},
	})
	if errors.Is(err, catalog.ErrConflict) {
		return stale("Tenant `" + name + "`")
	}
	return err
}

// Token roles, from most to least privileged.
var Roles = []string{"owner", "admin", "developer", "reader"}

// Token is an API token as stored: only a hash of its secret.
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Tenant    string    `json:"tenant"`
	Role      string    `json:"role"`
	Hash      string    `json:"hash"` // hex SHA-256 of the secret
	CreatedAt time.Time `json:"created_at"`
}

// tokenPrefix marks PhotonDB API tokens (so secret scanners can find them).
const tokenPrefix = "pdb_"

// CreateToken creates an API token for tenant and returns it with its
// secret, which is shown only here.
func (s *Service) CreateToken(ctx context.Context, tenant, name, role string) (Token, string, error) {
	if name == "" || len(name) > 128 {
		return Token{}, "", errorf(KindInvalid, "Token name must be 1 to 128 characters.")
	}
	known := false
	for _, r := range Roles {
		known = known || r == role
	}
	if !known {
		return Token{}, "", errorf(KindInvalid, "Role `%s` unknown (roles are %s).", role, strings.Join(Roles, ", "))
	}
	if _, err := s.GetTenant(ctx, tenant); err != nil {
		return Token{}, "", err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Token{}, "", err
	}
	t := Token{ID: newID(), Name: name, Tenant: tenant, Role: role, CreatedAt: s.now().UTC()}
	secret := tokenPrefix + strings.ReplaceAll(t.ID, "-", "") + "_" + base64.RawURLEncoding.EncodeToString(raw[:])
	t.Hash = hashSecret(secret)
	if _, err := s.putNew(ctx, m.TokenKey(t.ID), t); err != nil {
		return Token{}, "", err
	}
	return t, secret, nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ListTokens lists a tenant's tokens ("" tenant: all), sorted by name.
func (s *Service) ListTokens(ctx context.Context, tenant string) ([]Token, error) {
	tokens, _, err := list[Token](ctx, s.cat, m.TokensPrefix)
	if err != nil {
		return nil, err
	}
	var out []Token
	for _, t := range tokens {
		if tenant == "" || t.Tenant == tenant {
			out = append(out, t)
		}
	}
	sortByName(out, func(t Token) string { return t.Name + "\x00" + t.ID })
	return out, nil
}

// DeleteToken revokes a token of tenant ("" tenant: any).
func (s *Service) DeleteToken(ctx context.Context, tenant, id string) error {
	t, v, found, err := get[Token](ctx, s.cat, m.TokenKey(id))
	if err != nil {
		return err
	}
	if !found || (tenant != "" && t.Tenant != tenant) {
		return errorf(KindNotFound, "Token `%s` does not exist.", id)
	}
	return s.cat.Delete(ctx, m.TokenKey(id), int64(v))
}

// VerifyToken returns the token a secret belongs to (KindNotFound when it
// is unknown or revoked).
func (s *Service) VerifyToken(ctx context.Context, secret string) (Token, error) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	idHex, _, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(idHex) != 32 {
		return Token{}, errorf(KindNotFound, "Unknown API token.")
	}
	id := idHex[:8] + "-" + idHex[8:12] + "-" + idHex[12:16] + "-" + idHex[16:20] + "-" + idHex[20:]
	t, _, found, err := get[Token](ctx, s.cat, m.TokenKey(id))
	if err != nil {
		return Token{}, err
	}
	// Compare hashes, not secrets: constant work whatever the input.
	if !found || t.Hash != hashSecret(secret) {
		return Token{}, errorf(KindNotFound, "Unknown API token.")
	}
	return t, nil
}

// bootstrapKey marks that the initial owner token was issued.
const bootstrapKey = "bootstrap/initial-token"

// BootstrapToken issues, once per catalog, an owner token of the default
// tenant — the first credential outside dev mode, before any login
// provider or token exists (like RethinkDB's --initial-password auto). It
// returns the secret and true the one time it is created; later calls
// (and other control-plane replicas) get "" and false.
func (s *Service) BootstrapToken(ctx context.Context) (string, bool, error) {
	if _, err := s.cat.Put(ctx, bootstrapKey, []byte(`"`+s.now().UTC().Format(time.RFC3339)+`"`), catalog.Absent); errors.Is(err, catalog.ErrConflict) {
		return "", false, nil
	} else if err != nil {
		return "", false, fmt.Errorf("meta: bootstrap token: %w", err)
	}
	_, secret, err := s.CreateToken(ctx, m.DefaultTenant, "initial", "owner")
	if err != nil {
		return "", false, fmt.Errorf("meta: bootstrap token: %w", err)
	}
	return secret, true, nil
}

// RotateDriverKey bumps the number the tenant's driver password derives
// from, so the previous password stops working once applied.
func (s *Service) RotateDriverKey(ctx context.Context, name string) (TenantInfo, error) {
	var out TenantInfo
	err := retry(ctx, func() error {
		cur, err := s.GetTenant(ctx, name)
		if err != nil {
			return err
		}
		t := cur.Tenant
		t.DriverKey++
		if _, err := s.cat.Put(ctx, m.TenantKey(name), marshal(t), int64(cur.Version)); errors.Is(err, catalog.ErrConflict) {
			return errRetry
		} else if err != nil {
			return err
		}
		out, err = s.GetTenant(ctx, name)
		return err
	})
	return out, err
}
