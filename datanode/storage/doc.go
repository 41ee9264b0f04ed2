// Package storage is the data node's durable, ordered key-value engine.
//
// This is the first version of the engine: an append-only write-ahead log of
// batch records plus an in-memory ordered index (a copy-on-write B-tree of
// key -> value) that Open rebuilds by replaying the log. Its API (Engine,
// Reader, Writer, Batch, Snapshot, Iterator) is the final one; a later
// version replaces the internals with a slab-allocator engine without
// changing it. Every live value is held in memory, so the data set must fit
// in RAM.
//
// # Files
//
// A data directory holds:
//
//	LOCK          exclusive flock held while an Engine has the directory open
//	data.log      the log
//	data.log.tmp  a compaction or log creation in progress; deleted by Open
//
// # Log format
//
// All integers are little-endian. CRCs are CRC-32C (Castagnoli).
//
//	data.log
//	+--------------------------------------------------------------+
//	| file header (16 bytes)                                       |
//	|   "PHDBLOG1" (8) | version u32 (=1) | crc32c(first 12) u32   |
//	+--------------------------------------------------------------+
//	| record 1                                                     |
//	+--------------------------------------------------------------+
//	| record 2                                                     |
//	+--------------------------------------------------------------+
//	| ...                                                          |
//	+--------------------------------------------------------------+
//
//	record (one Batch)
//	+-------------+-------------+-----------------------------------+
//	| length u32  | crc32c u32  | payload (length bytes)            |
//	| of payload  | of payload  |                                   |
//	+-------------+-------------+-----------------------------------+
//
//	payload
//	+-----------+------+------+-----+------+
//	| count u32 | op 1 | op 2 | ... | op N |      count = N >= 1
//	+-----------+------+------+-----+------+
//
//	op
//	+------+-------------+-----+---------------+-------+
//	| kind | key len     | key | value len     | value |  kind 1 = put
//	| byte | uvarint     |     | uvarint       |       |
//	+------+-------------+-----+---------------+-------+
//	+------+-------------+-----+
//	| kind | key len     | key |                          kind 2 = delete
//	| byte | uvarint     |     |
//	+------+-------------+-----+
//
// Varints are canonical (minimal length). Keys are 1..MaxKeySize bytes,
// values 0..MaxValueSize bytes, payloads at most MaxBatchSize bytes, and a
// payload must be consumed exactly by its count ops. A record is valid only
// if all of that holds and its CRC matches.
//
// # Invariants
//
//   - Each applied batch is one record (compaction later regroups live data
//     into records of about 1 MiB), written with one write call at the end
//     of the log under the writer mutex, and applied to the index under the same
//     mutex, so log order equals visibility order and a snapshot of the index
//     always corresponds to a record boundary in the log.
//   - The index never aliases caller memory, and stored slices are never
//     modified, so slices returned by Get and iterators stay valid forever.
//   - Hard Apply returns only after an fsync that started after its record
//     was written. Concurrent Hard writers share fsyncs (group commit): the
//     first waiter fsyncs on behalf of all records written so far, and the
//     others wait for it.
//   - Soft Apply returns after the write call; a background goroutine fsyncs
//     every Options.SyncInterval (default 1s).
//   - The log only grows by whole records. If an append fails the file is
//     truncated back to the previous record boundary; if that or an fsync
//     fails, the engine refuses further writes (its durable state is
//     unknown) but keeps serving reads.
//   - On Open, a damaged record with no valid record after it is a torn tail
//     (an append interrupted by a crash, never acknowledged) and is
//     truncated away. A damaged record followed by any valid record is
//     corruption: Open fails with an error that wraps ErrCorrupt and names
//     the file and byte offset. Data from a corrupt log is never returned.
//   - Compaction writes the live data to data.log.tmp, appends the records
//     that arrived meanwhile, fsyncs it, renames it over data.log and fsyncs
//     the directory, all before any later write is appended. At every moment
//     the file named data.log therefore holds every acknowledged batch.
//     It runs on Open, on Compact, and in the background when dead bytes
//     exceed both twice the live bytes and 64 MiB.
//
// # Concurrency
//
// An Engine is safe for concurrent use. Readers take a read lock on the
// index only; they never wait for disk I/O. Snapshots and iterators read an
// O(1) copy-on-write clone of the index and need no lock at all. Writers
// wait for each other only for the write call; the final step of a
// compaction (copying the last records, fsync, rename, directory fsync)
// holds them up briefly.
//
// # Limitations
//
//   - Every live key and value is in memory, and Open replays the whole log.
//   - A batch is visible to readers as soon as it is written, before its
//     fsync; a machine crash can lose a batch a reader saw (but never one
//     whose Hard Apply returned).
//   - The torn-tail rule assumes the file system persists appended data in
//     order. If a power loss leaves an unsynced record damaged while a later
//     unsynced record survives, Open reports ErrCorrupt rather than guessing;
//     likewise if a torn record's value happens to contain a complete valid
//     record. No acknowledged data is lost in either case, but the operator
//     must intervene.
package storage
