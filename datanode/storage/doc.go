// Package storage is the data node's durable, ordered key-value engine: a
// slab engine with a write-ahead log, an in-memory ordered index of value
// locations, a byte-bounded value cache and per-value zstd compression of
// values of 2 KiB and more.
//
// # Design
//
// A commit is one append of a CRC-framed batch record to the write-ahead
// log (data.log) plus one group-committed fsync for Hard durability. Before
// that append, outside any lock, the batch's values are compressed (in
// parallel for batches of more than 100 puts) and written to fresh slots of
// the slab files; the index update that follows the append points the keys
// at those slots. Slab writes are never fsynced per commit: the log holds
// every value too, so a crash loses nothing the log has. A checkpoint
// (every 64 MiB of log, on Compact, on Close after 1 MiB) fsyncs the slabs,
// writes the whole index (key -> location) to index.ckpt and truncates the
// log. Open loads the checkpoint, replays the log written after it (writing
// the replayed values to new slots) and rebuilds the free-slot bitmaps from
// the index.
//
// Why values are written to slabs before the log append rather than by a
// background flusher: the slots are fresh, so writing them early needs no
// coordination, the write costs one pwrite per run of adjacent slots (into
// the page cache), and the index never has to point at memory.
//
// # Files
//
//	LOCK              exclusive flock held while an Engine has the directory open
//	data.log          the write-ahead log
//	index.ckpt        the latest checkpoint of the index
//	slab-NNNNN.dat    one file per slot size class (NNNNN = slot size in bytes)
//	large/<id>.val    one file per value whose stored form exceeds 65520 bytes
//	*.tmp             a checkpoint or log rewrite in progress; deleted by Open
//
// # Formats
//
// All integers are little-endian. CRCs are CRC-32C (Castagnoli).
//
//	data.log
//	+----------------------------------------------------------------------+
//	| "PHDBLOG1" (8) | version u32 (=2) | generation u64 | crc32c(first 20) |
//	+----------------------------------------------------------------------+
//	| record 1 | record 2 | ...                                              |
//	+----------------------------------------------------------------------+
//
//	record (one Batch)
//	+-------------+-------------+-----------------------------------+
//	| length u32  | crc32c u32  | payload (length bytes)            |
//	+-------------+-------------+-----------------------------------+
//	payload = count u32, then count ops:
//	  put:    kind=1 | key len uvarint | key | value len uvarint | value
//	  delete: kind=2 | key len uvarint | key
//
// Varints are canonical. Keys are 1..MaxKeySize bytes, values
// 0..MaxValueSize bytes, payloads at most MaxBatchSize bytes.
//
//	slab-NNNNN.dat (slot size S, one of 64, 72, 80, ... 60 KiB, 64 KiB:
//	8 classes per doubling, so rounding wastes at most 1/8)
//	+------------------------------------------------------------------+
//	| "PHDBSLAB" | version u32 | S u32 | 12 zero bytes | crc32c(first 28)|  32 bytes
//	+------------------------------------------------------------------+
//	| slot 0 (S bytes) | slot 1 | slot 2 | ...                           |
//	+------------------------------------------------------------------+
//	slot
//	+------------+-------------------------+-------------+----------------+
//	| crc32c u32 | stored len u24 | flags u8 | value id u64 | stored value | padding
//	+------------+-------------------------+-------------+----------------+
//	crc = crc32c(key || bytes 4..16 || stored value); flags bit 0 = zstd.
//
// The CRC covers the key and the value id (unique per write), so a slot
// that holds another key's value or an older value never verifies: a read
// that fails reports ErrCorrupt with the file and offset and returns no
// data. large/<id>.val is "PHDBLOB1" followed by one slot of exact size.
//
//	index.ckpt
//	+------------------------------------------------------------------------+
//	| "PHDBCKP1" | version u32 | oldGen u64 | logOff u64 | newGen u64 |       |
//	| nextID u64 | count u64 | crc32c(first 52)                        56 B   |
//	+------------------------------------------------------------------------+
//	| chunk: length u32 | crc32c u32 | entries (~1 MiB) | chunk | ...        |
//	+------------------------------------------------------------------------+
//	entry: key len uvarint | key | class u8 | slot uvarint | id uvarint |
//	       stored len uvarint | value len uvarint | flags u8
//	(keys strictly ascending; class 255 = empty value, 254 = large file)
//
// # Invariants
//
//   - Log order equals visibility order: a record is appended and applied
//     to the index under the writer mutex, so a clone of the index always
//     corresponds to a record boundary in the log.
//   - A slot is free (bit clear in its class's bitmap) only if nothing can
//     read it: no index entry, no snapshot or iterator (readers register
//     the index version they cloned; a slot unreferenced by mutation v waits
//     until every reader has version >= v), and no durable state recovery
//     could restore (the log record that unreferenced it is fsynced, or,
//     for slots Compact moved, a checkpoint taken after the move is
//     installed). Get holds the index read lock while it reads a slot.
//   - A slab file is never truncated below a slot the checkpoint on disk
//     references, even one freed since: a write between a checkpoint's
//     capture of the index and its installation frees a slot the
//     checkpoint still names. Replay supersedes that entry, so the slot's
//     content may change, but Open checks the checkpoint's slots against
//     the file lengths before replaying.
//   - Everything a checkpoint references is durable before it is renamed
//     into place: it fsyncs the log up to its offset, the slab files and
//     new large files first.
//   - Checkpoint and log are paired by generation: the checkpoint says
//     "if the log has generation g, replay it from offset O; if g+1, from
//     its start". The log is rewritten (generation g+1, holding only the
//     records after O) only after the checkpoint is installed, so at every
//     moment the pair on disk holds every acknowledged batch. Without a
//     checkpoint the log must be generation 1.
//   - Replaying a log prefix the checkpoint already covers is harmless
//     (the final state of every key is that of its last op), so replay is
//     idempotent across crashes during Open.
//   - Hard Apply returns only after an fsync that started after its record
//     was written (group commit: the first waiter fsyncs for everyone).
//     Soft Apply returns after the write; a background fsync follows within
//     Options.SyncInterval.
//   - A torn log tail (damage with no valid record after it) is truncated
//     on Open; damage followed by a valid record, a bad checkpoint, a bad
//     slab header, or a slab shorter than the slots the index references
//     makes Open fail with ErrCorrupt naming the file and offset.
//   - Returned values are never modified by the engine (the cache stores
//     immutable slices with clipped capacity).
//
// # Memory
//
// The index holds, per key, the key bytes plus about 48 bytes (a 24-byte
// slice header and a 24-byte location) in B-tree nodes of degree 32, about
// 70 bytes + key length per key in practice (~85 MB for 1M 16-byte keys).
// Values live on disk; the cache (Options.CacheBytes, default 64 MiB, entry
// overhead of 96 bytes counted) holds recently read values, decoded and
// verified: a hit returns the value without touching the disk or the CRC.
// It is a sharded CLOCK cache (second chance: a hit sets a reference bit
// under a shared lock, an insert sweeps for an unreferenced entry), so hits
// from many readers do not serialize. Point reads insert into the cache and
// iterators only look it up, so scans do not flush the working set. Every
// value read from disk is CRC-checked before it is returned or cached.
//
// # Compression
//
// Values of 2 KiB or more are zstd-compressed when the compressed form needs
// a smaller slot class (large files: when it saves 1/8). Smaller values are
// stored as they are: decompressing a 1 KB document costs 2-3 us, several
// times the pread of its slot, and made point reads and scans of small
// documents decompression-bound.
//
// # Compact
//
// Compact moves values from the highest slots of each slab into the lowest
// free ones, checkpoints, releases the old slots and truncates each slab
// after its last allocated slot (or the last slot the checkpoint
// references, if higher; see Invariants), while reads and writes go on. Allocation
// always takes the lowest free slot, so files stay dense between
// compactions. Large files are deleted as soon as their value is released.
//
// # Concurrency
//
// An Engine is safe for concurrent use. Writers compress and write slots
// in parallel and serialize only for the log append and index update.
// Snapshots and iterators read an O(1) copy-on-write clone of the index
// without locks; a cache miss costs one pread (iterators read a chunk's
// nearby slots with one pread per run).
//
// # Limitations
//
//   - A batch is visible to readers as soon as it is written, before its
//     fsync; a machine crash can lose a batch a reader saw (but never one
//     whose Hard Apply returned).
//   - The torn-tail rule assumes the file system persists appended data in
//     order; see replayLog.
//   - A snapshot or iterator used after Close of its engine reads files
//     that a later Open of the same directory may reuse; such reads fail
//     the slot checksum rather than return another value.
//   - Open time grows with the number of keys (the checkpoint is read and
//     the bitmaps rebuilt in full).
package storage
