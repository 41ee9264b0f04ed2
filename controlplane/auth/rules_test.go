package auth

import (
	"reflect"
	"testing"
)

func TestParseRules(t *testing.T) {
	rules, err := ParseRules(`
		# Cognito
		cognito:groups=acme-admins acme admin
		cognito:groups=photondb-{tenant}-{role}; hd=Acme.COM acme developer
		email_domain={tenant}.example.org reader
		groups=ops-{role} ops
		sub=* default reader`)
	must(t, err)
	want := []Rule{
		{Claim: "cognito:groups", Value: "acme-admins", Tenant: "acme", Role: RoleAdmin},
		{Claim: "cognito:groups", Value: "photondb-{tenant}-{role}"},
		{Claim: "hd", Value: "acme.com", Tenant: "acme", Role: RoleDeveloper},
		{Claim: "email_domain", Value: "{tenant}.example.org", Role: RoleReader},
		{Claim: "groups", Value: "ops-{role}", Tenant: "ops"},
		{Claim: "sub", Value: "*", Tenant: "default", Role: RoleReader},
	}
	if !reflect.DeepEqual(rules, want) {
		t.Fatalf("%+v", rules)
	}
	for _, r := range rules {
		again, err := ParseRules(r.String())
		if err != nil || len(again) != 1 || again[0] != r {
			t.Errorf("%v does not round-trip: %v %v", r, again, err)
		}
	}
	for _, bad := range []string{
		"groups", "groups= acme admin", "=x acme admin", "groups=x acme", "groups=x acme boss", "groups=x a/b admin",
		"groups={tenant} acme admin", "groups={role}", "groups={tenant}{role}", "groups=* acme",
		"groups={tenant}-{tenant} admin", "groups=x acme admin extra", "groups=x node",
	} {
		if _, err := ParseRules(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGrants(t *testing.T) {
	rules, err := ParseRules(`cognito:groups=acme-admins acme admin; cognito:groups=acme-devs acme developer;
		cognito:groups=photondb-{tenant}-{role}; email_domain={tenant}.example.org reader;
		hd=globex.com globex developer; orgs={tenant} developer; login=alice acme owner`)
	must(t, err)
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   []Grant
	}{
		{"highest role per tenant", map[string]any{"cognito:groups": []any{"acme-devs", "acme-admins"}},
			[]Grant{{"acme", RoleAdmin}}},
		{"template", map[string]any{"cognito:groups": []any{"photondb-my-team-owner", "photondb-x-boss", "photondb--reader"}},
			[]Grant{{"my-team", RoleOwner}}},
		{"no role carried across tenants", map[string]any{"cognito:groups": []any{"acme-admins", "photondb-globex-reader"}},
			[]Grant{{"acme", RoleAdmin}, {"globex", RoleReader}}},
		{"verified email domain", map[string]any{"email": "bob@Initech.example.org", "email_verified": true},
			[]Grant{{"initech", RoleReader}}},
		{"unverified email domain", map[string]any{"email": "bob@initech.example.org", "email_verified": false}, []Grant{}},
		{"email without verification claim", map[string]any{"email": "bob@initech.example.org"}, []Grant{}},
		{"hd", map[string]any{"hd": "Globex.com"}, []Grant{{"globex", RoleDeveloper}}},
		{"GitHub orgs and login", map[string]any{"orgs": []any{"Acme-Corp", "bad.name"}, "login": "alice"},
			[]Grant{{"acme", RoleOwner}, {"acme-corp", RoleDeveloper}}},
		{"string claim", map[string]any{"cognito:groups": "acme-devs"}, []Grant{{"acme", RoleDeveloper}}},
		{"non-string values", map[string]any{"cognito:groups": []any{1, true, nil, map[string]any{}}}, []Grant{}},
		{"nothing", map[string]any{"groups": []any{"acme-admins"}}, []Grant{}},
	} {
		got := Grants(rules, tc.claims)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
