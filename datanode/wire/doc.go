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
// close the connection. After the handshake, every START runs concurrently
// (up to 1024 per connection) and answers under its own token; streams are
// sent in batches (SUCCESS_PARTIAL until SUCCESS_SEQUENCE) as CONTINUE asks.
// A malformed frame ends its connection, never the server.
package wire
