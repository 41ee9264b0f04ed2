package auth

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	m "github.com/photondb-io/photondb/shared/meta"
)

// Rule grants a role in a tenant to the identities one of whose claim
// values matches. Rules are how identities map to tenants:
//
//	cognito:groups=acme-admins acme admin     a Cognito group
//	groups=photondb-{tenant}-{role}           a naming convention (tenant and role from the group)
//	hd=acme.com acme developer                Google Workspace domain
//	email_domain=acme.com acme reader         domain of a verified email
//	orgs={tenant} developer                   GitHub: every org is a tenant
//	login=alice acme owner                    GitHub: one user
//	sub=* default reader                      everyone who can log in
//
// Claim is any claim of the ID token (GitHub: login, name, email, orgs),
// or "email_domain", the domain of the email claim when email_verified
// is true. Values of hd, email_domain, orgs and login are compared in
// lower case. Value is "*" (any value), an exact value, or a template
// with {tenant} and/or {role} taking those from the claim value; Tenant
// and Role give what the template does not.
type Rule struct {
	Claim  string
	Value  string
	Tenant string
	Role   Role
}

// String is the rule in ParseRules syntax.
func (r Rule) String() string {
	s := r.Claim + "=" + r.Value
	if r.Tenant != "" {
		s += " " + r.Tenant
	}
	if r.Role != "" {
		s += " " + string(r.Role)
	}
	return s
}

// caseless claims are compared in lower case.
var caseless = map[string]bool{"hd": true, "email_domain": true, "orgs": true, "login": true}

func (r Rule) hasTenant() bool { return strings.Contains(r.Value, "{tenant}") }
func (r Rule) hasRole() bool   { return strings.Contains(r.Value, "{role}") }

// normalize checks r and lowercases what is compared in lower case.
func (r Rule) normalize() (Rule, error) {
	if r.Claim == "" || strings.ContainsAny(r.Claim, " \t") {
		return r, fmt.Errorf("auth: rule %q: claim name missing or has spaces", r.String())
	}
	if r.Value == "" {
		return r, fmt.Errorf("auth: rule %q: value missing", r.String())
	}
	if caseless[r.Claim] {
		r.Value = strings.ToLower(r.Value)
	}
	if strings.Count(r.Value, "{tenant}") > 1 || strings.Count(r.Value, "{role}") > 1 {
		return r, fmt.Errorf("auth: rule %q: {tenant} and {role} may each appear once", r.String())
	}
	if r.Value == "*" && (r.Tenant == "" || r.Role == "") {
		return r, fmt.Errorf("auth: rule %q: a * rule needs a tenant and a role", r.String())
	}
	switch {
	case r.hasTenant() && r.Tenant != "":
		return r, fmt.Errorf("auth: rule %q: tenant given twice ({tenant} and %q)", r.String(), r.Tenant)
	case !r.hasTenant() && !m.ValidName(r.Tenant):
		return r, fmt.Errorf("auth: rule %q: tenant %q invalid (A-Z, a-z, 0-9, _ and -)", r.String(), r.Tenant)
	case r.hasRole() && r.Role != "":
		return r, fmt.Errorf("auth: rule %q: role given twice ({role} and %q)", r.String(), r.Role)
	case !r.hasRole() && !r.Role.Valid():
		return r, fmt.Errorf("auth: rule %q: role %q unknown (owner, admin, developer, reader)", r.String(), r.Role)
	}
	if r.hasTenant() && r.hasRole() {
		// Adjacent placeholders cannot be split.
		if strings.Contains(r.Value, "{tenant}{role}") || strings.Contains(r.Value, "{role}{tenant}") {
			return r, fmt.Errorf("auth: rule %q: {tenant} and {role} need a separator", r.String())
		}
	}
	return r, nil
}

// ParseRules parses rules separated by ";" or new lines, each
// "claim=value [tenant] [role]" (see Rule): the tenant is given unless
// the value has {tenant}, the role unless it has {role}. Blank entries
// and lines starting with # are skipped.
func ParseRules(s string) ([]Rule, error) {
	var out []Rule
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		claim, value, ok := strings.Cut(f[0], "=")
		if !ok {
			return nil, fmt.Errorf("auth: rule %q: want claim=value [tenant] [role]", line)
		}
		r := Rule{Claim: claim, Value: value}
		rest := f[1:]
		if !r.hasTenant() && len(rest) > 0 {
			r.Tenant, rest = rest[0], rest[1:]
		}
		if !r.hasRole() && len(rest) > 0 {
			r.Role, rest = Role(rest[0]), rest[1:]
		}
		if len(rest) > 0 {
			return nil, fmt.Errorf("auth: rule %q: too many fields", line)
		}
		nr, err := r.normalize()
		if err != nil {
			return nil, err
		}
		out = append(out, nr)
	}
	return out, nil
}

// match returns what r grants for one claim value.
func (r Rule) match(v string) (Grant, bool) {
	if r.Value == "*" {
		return Grant{Tenant: r.Tenant, Role: r.Role}, v != ""
	}
	if !r.hasTenant() && !r.hasRole() {
		return Grant{Tenant: r.Tenant, Role: r.Role}, v == r.Value
	}
	if !r.hasRole() {
		t, ok := matchOne(r.Value, "{tenant}", v)
		return Grant{Tenant: t, Role: r.Role}, ok && m.ValidName(t)
	}
	for _, role := range UserRoles {
		tmpl := strings.Replace(r.Value, "{role}", string(role), 1)
		if !r.hasTenant() {
			if tmpl == v {
				return Grant{Tenant: r.Tenant, Role: role}, true
			}
			continue
		}
		if t, ok := matchOne(tmpl, "{tenant}", v); ok && m.ValidName(t) {
			return Grant{Tenant: t, Role: role}, true
		}
	}
	return Grant{}, false
}

// matchOne matches v against a template with one placeholder and returns
// what stands in its place (non-empty).
func matchOne(tmpl, ph, v string) (string, bool) {
	pre, suf, _ := strings.Cut(tmpl, ph)
	if len(v) <= len(pre)+len(suf) || !strings.HasPrefix(v, pre) || !strings.HasSuffix(v, suf) {
		return "", false
	}
	return v[len(pre) : len(v)-len(suf)], true
}

// Grant is a role in a tenant.
type Grant struct {
	Tenant string `json:"tenant"`
	Role   Role   `json:"role"`
}

// claimValues reads a claim as strings: a string, or the strings of a
// list; email_domain is derived from a verified email.
func claimValues(claims map[string]any, name string) []string {
	if name == "email_domain" {
		email, _ := claims["email"].(string)
		at := strings.LastIndexByte(email, '@')
		if at < 0 || at == len(email)-1 || !verified(claims["email_verified"]) {
			return nil
		}
		return []string{strings.ToLower(email[at+1:])}
	}
	var out []string
	switch v := claims[name].(type) {
	case string:
		out = []string{v}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = slices.Clone(v)
	}
	if caseless[name] {
		for i := range out {
			out[i] = strings.ToLower(out[i])
		}
	}
	return out
}

// verified reads email_verified, which Cognito has sent as a string.
func verified(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// Grants applies rules to claims: the strongest role per tenant, sorted
// by tenant.
func Grants(rules []Rule, claims map[string]any) []Grant {
	best := map[string]Role{}
	for _, r := range rules {
		for _, v := range claimValues(claims, r.Claim) {
			if g, ok := r.match(v); ok && g.Role.rank() > best[g.Tenant].rank() {
				best[g.Tenant] = g.Role
			}
		}
	}
	out := make([]Grant, 0, len(best))
	for t, r := range best {
		out = append(out, Grant{Tenant: t, Role: r})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tenant < out[j].Tenant })
	return out
}
