// Package wire serves RethinkDB's driver protocol (V1_0) so that the official
// drivers connect to PhotonDB unmodified.
//
//	client                                   server
//	  │ magic 0x34c2bdc3 (u32 LE)               │
//	  │───────────────────────────────────────▶│
//	  │◀── {"success":true,"max_protocol_version":0,...}\0
//	  │ {"protocol_version":0,"authentication_method":"SCRAM-SHA-256",
//	  │  "authentication":"n,,n=<user>,r=<nonce>"}\0
//	  │◀── {"success":true,"authentication":"r=..,s=..,i=4096"}\0
//	  │ {"authentication":"c=biws,r=..,p=<proof>"}\0
//	  │◀── {"success":true,"authentication":"v=<signature>"}\0
//	  │ frames: token u64 LE │ size u32 LE │ [type, term, optargs]
//	  │◀── frames: token u64 LE │ size u32 LE │ {"t":..,"r":[..],"n":[..],"e":..,"b":[..]}
//
// Handshake failures answer {"success":false,"error":...,"error_code":N} and
// close the connection. An unknown user gets stable fake credentials, so
// its conversation looks, takes and ends ("Wrong password", code 12) like a
// known user's with a wrong password. Failed proofs are counted per client
// address (AuthLimits): each answer is delayed more, and after 10 in a
// minute the address is refused for 5 minutes ("Too many failed
// authentication attempts; try again later.", code 20). The authenticated
// user rides in every query's context (reql.WithUser), for the evaluator's
// permission checks. After the handshake, every START runs concurrently
// (up to 1024 per connection) and answers under its own token; streams are
// sent in batches (SUCCESS_PARTIAL until SUCCESS_SEQUENCE) as CONTINUE asks.
// A malformed frame ends its connection, never the server.
package wire
