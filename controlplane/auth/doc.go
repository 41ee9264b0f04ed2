// Package auth is who may call the control plane's HTTP API, and how
// they prove it.
//
// # Credentials
//
// Every request to a protected path carries one of:
//
//	Authorization: Bearer pdb_<32 hex>_<secret>   API token (CLI, Terraform, CI): hashed in the
//	                                              catalog, scoped to a tenant and a role, revocable
//	Authorization: Bearer <session JWT>           from /auth/callback (API clients)
//	Cookie: __Host-photondb_session=<session JWT> the same session in a browser
//	Authorization: Bearer <cluster secret>        a data node (PHOTONDB_CLUSTER_SECRET), role node
//
// Authenticator.Middleware checks it, checks the role against Allowed, and
// puts an Identity (subject, tenant, role, kind) in the request context
// (FromContext). Missing or invalid credentials answer 401 problem+json
// with WWW-Authenticate: Bearer; a role that may not make the request
// answers 403. Public paths (PublicPath: /health*, /_health, /_ready,
// /_metrics, /auth/*) need nothing; everything else does, including
// /api/query, /api/tables, the /api/changes WebSocket, /_admin, /_node/*,
// /openapi.json and /docs. Dev mode (Config.DevMode) turns all of this
// off: every request is the owner of tenant "default", and the server says
// so (DevModeWarning) at start and in every /health answer.
//
// # Login
//
// Browsers log in with OpenID Connect (Cognito, Google, any issuer with
// discovery; go-oidc verifies the ID token) or GitHub OAuth2 (GitHub's API
// gives the user, the verified email and the organizations):
//
//	browser              control plane (any replica)              provider
//	   | GET /auth/login ---->|                                        |
//	   |                      | state, nonce, PKCE verifier sealed     |
//	   |<-- 302 + cookie -----|   (AES-GCM) in an HttpOnly cookie      |
//	   | GET authorize?state&nonce&code_challenge(S256) -------------->|
//	   |<----------------------------------- 302 /auth/callback?code&state
//	   | GET /auth/callback ->| state == cookie's, not used before     |
//	   |                      | POST token: code + verifier ---------->|
//	   |                      |<---------------------- ID token (OIDC) |
//	   |                      | verify: signature, iss, aud/azp, exp,  |
//	   |                      |   nonce, at_hash (GitHub: /user,       |
//	   |                      |   /user/emails, /user/orgs)            |
//	   |                      | claims -> Rules -> tenant and role     |
//	   |<-- session cookie ---| signed session JWT (also in the body)  |
//
// The login state lives in the browser, so any replica can finish a login
// another started. A state is accepted once: each replica remembers the
// states it consumed until they expire (bounded, oldest dropped first);
// across replicas a replay is bounded by the cookie being cleared at the
// callback, the state's lifetime (Config.StateTTL) and the provider
// accepting a code once.
//
// Rules (Config.OIDC.Rules, Config.GitHub.Rules, ParseRules syntax) map
// claims to a role in a tenant: a group (cognito:groups, groups), a
// naming convention (photondb-{tenant}-{role}), a domain (hd, or the
// domain of a verified email), a GitHub organization or login. A role
// granted for one tenant never applies to another; an identity with
// roles in several tenants picks one with /auth/login?tenant=.
//
// # Sessions
//
// Sessions are JWTs (go-jose) signed with JWT_SECRET (HS256) or a key
// pair (RS256 or EdDSA; the public key at /auth/jwks.json), with iss, aud,
// sub, tenant, role, iat, nbf, exp and jti. Verification pins the
// configured algorithm (so "none" and HS/RS confusion fail to parse),
// checks kid, typ, signature, iss, aud, and exp/nbf/iat with a small
// leeway, refuses lifetimes longer than the configured one, and accepts
// only the canonical base64 spelling. They are stateless: logout clears
// the cookie, a copied token lasts until it expires; API tokens are the
// revocable credential. Writes authenticated by the cookie must come from
// the control plane's own origin (or Config.TrustedOrigins).
//
// # Roles
//
// Roles are per tenant: owner > admin > developer > reader. Requirement
// has the matrix; in short reader reads, developer also writes documents
// and runs queries, admin also changes schemas (DDL) and manages tokens,
// owner also manages tenants and the cluster (nodes, compaction). The
// data nodes' role, node, is allowed only the catalog sync
// (/api/v1/internal/*), node registration (PUT /api/v1/nodes/{id}), the
// DDL endpoints drivers' DDL is forwarded to, and /_node/*. Anything the
// matrix does not list needs reader to read and owner to write, so a new
// endpoint is closed until it is placed.
//
// The API still scopes data by Identity.Tenant, and treats a request as a
// data node's only when Identity.Node is set (never on the strength of
// the X-PhotonDB-Node header alone).
//
// CheckRoutes walks a chi router and asserts every protected route
// refuses anonymous and forged calls, so new endpoints are covered by the
// API's tests the day they are added.
package auth
