// Package security is the HTTP APIs' protective middleware: per-address
// rate limiting, an IP blacklist (static entries from configuration plus
// automatic entries with expiry), detection of attack patterns in paths,
// query strings and headers (path traversal, XSS, SQL and command
// injection; request bodies are never inspected, so a ReQL query may carry
// any string as data), asynchronous reporting of detections to a Honeytrap
// receiver, and security response headers.
//
// New composes the parts into a Guard whose Middleware applies them in this
// order to every request:
//
//  1. security headers (so that every answer carries them, refusals too);
//  2. the blacklist: a blacklisted address gets 403;
//  3. the rate limit: over the limit, 429 with Retry-After;
//  4. attack detection: a match gets 403, the address is blacklisted for a
//     while, the event is logged and reported to Honeytrap.
//
// Exempt paths (the health probes and /_metrics by default) and exempt
// addresses skip steps 2 and 3 only, so probes keep working even when the
// prober shares an address with a client that was blacklisted; detection
// still applies to them.
//
// Refusals are RFC 9457 problem+json documents, like the REST API's errors.
// The middleware is independent of authentication: dev mode relaxes
// authentication only and must keep this middleware in place.
package security
