package storage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The crash test re-executes the test binary with crashChildEnv set to a
// data directory. The child (TestCrashChild) writes batches from several
// goroutines and prints each acknowledged one; the parent (TestCrashRecovery)
// SIGKILLs it at a random moment, reopens the directory and checks that
// every acknowledged batch survived and that no batch was half applied.
const (
	crashChildEnv = "PHOTONDB_STORAGE_CRASH_CHILD"
	crashRoundEnv = "PHOTONDB_STORAGE_CRASH_ROUND"

	crashWriters = 4
	crashRounds  = 60
	// Batch ids are round*crashRoundSpan + writer*crashWriterSpan + i.
	crashRoundSpan  = 10_000_000
	crashWriterSpan = 1_000_000
)

// crashKeys returns the number of b/ keys batch id writes.
func crashKeys(id int) int { return 1 + id%7 }

// Each batch of writer g in round r, with id, does:
//
//	put b/<id>/<j> = "<id>;<padding>"  for j < crashKeys(id)
//	put hot/<r>/<g> = <id>             (overwritten: creates dead data)
//	delete tmp/<r>/<g>/<previous id>   (so exactly one tmp key per writer
//	put tmp/<r>/<g>/<id> = ""           exists once any batch applied)
func crashBatch(b *Batch, round, g, id, prev int, pad int) {
	v := fmt.Appendf(nil, "%d;", id)
	v = append(v, bytes.Repeat([]byte{'p'}, pad)...)
	for j := range crashKeys(id) {
		b.Put(fmt.Appendf(nil, "b/%010d/%d", id, j), v)
	}
	b.Put(fmt.Appendf(nil, "hot/%03d/%d", round, g), strconv.AppendInt(nil, int64(id), 10))
	if prev >= 0 {
		b.Delete(fmt.Appendf(nil, "tmp/%03d/%d/%010d", round, g, prev))
	}
	b.Put(fmt.Appendf(nil, "tmp/%03d/%d/%010d", round, g, id), nil)
}

func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("helper process for TestCrashRecovery")
	}
	round, err := strconv.Atoi(os.Getenv(crashRoundEnv))
	if err != nil {
		t.Fatal(err)
	}
	// Compact often, so kills also land inside compactions.
	autoCompactMinDead = 32 << 10
	fail := func(err error) {
		fmt.Fprintf(os.Stderr, "crash child: %v\n", err)
		os.Exit(3)
	}
	e, err := Open(dir, Options{SyncInterval: 10 * time.Millisecond})
	if err != nil {
		fail(err)
	}
	var outMu sync.Mutex
	emit := func(line string) {
		outMu.Lock()
		defer outMu.Unlock()
		if _, err := os.Stdout.WriteString(line); err != nil {
			os.Exit(4) // parent gone
		}
	}
	emit("ready\n")
	go func() {
		for {
			time.Sleep(15 * time.Millisecond)
			if err := e.Compact(); err != nil {
				fail(err)
			}
		}
	}()
	for g := range crashWriters {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(round), uint64(g)))
			b := e.NewBatch()
			prev := -1
			for i := 0; ; i++ {
				id := round*crashRoundSpan + g*crashWriterSpan + i
				pad := rng.IntN(2000)
				if rng.IntN(40) == 0 {
					pad = 256 << 10 // big records make torn writes likely
				}
				b.Reset()
				crashBatch(b, round, g, id, prev, pad)
				d := Hard
				if rng.IntN(5) == 0 {
					d = Soft
				}
				if err := e.Apply(b, d); err != nil {
					fail(err)
				}
				if d == Hard {
					emit(fmt.Sprintf("ack %d\n", id))
				}
				prev = id
			}
		}()
	}
	select {} // until killed
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("in the child")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0))
	acked := map[int]bool{}
	var totalTruncated int64
	start := time.Now()
	for round := range crashRounds {
		ids, ready := runCrashChild(t, exe, dir, round, rng)
		for _, id := range ids {
			acked[id] = true
		}
		e, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("round %d (child ready=%v, %d acks): reopen after SIGKILL: %v", round, ready, len(ids), err)
		}
		totalTruncated += e.Stats().TruncatedBytes
		verifyCrashState(t, e, round, acked)
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d kills in %v; %d acknowledged batches verified; %d torn-tail bytes truncated by the parent",
		crashRounds, time.Since(start).Round(time.Millisecond), len(acked), totalTruncated)
	if len(acked) == 0 {
		t.Fatal("the child never acknowledged a batch: the test exercised nothing")
	}
}

// runCrashChild starts a child writing into dir, SIGKILLs it at a random
// moment and returns the ids it acknowledged.
func runCrashChild(t *testing.T, exe, dir string, round int, rng *rand.Rand) (acked []int, sawReady bool) {
	t.Helper()
	cmd := exec.Command(exe, "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashRoundEnv+"="+strconv.Itoa(round))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	readyc := make(chan struct{})
	var ready atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := bufio.NewReader(out)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return // EOF after the kill; a partial last line is ignored
			}
			switch {
			case line == "ready\n":
				ready.Store(true)
				close(readyc)
			case strings.HasPrefix(line, "ack "):
				id, err := strconv.Atoi(strings.TrimSpace(line[4:]))
				if err != nil {
					t.Errorf("bad line from child: %q", line)
					continue
				}
				acked = append(acked, id)
			}
		}
	}()
	// Usually kill while the child is writing; sometimes at any moment,
	// which includes Open's replay, truncation and compaction.
	if rng.IntN(4) != 0 {
		select {
		case <-readyc:
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: child not ready after 10s; stderr:\n%s", round, stderr.String())
		}
		time.Sleep(time.Duration(rng.IntN(60_000)) * time.Microsecond)
	} else {
		time.Sleep(time.Duration(rng.IntN(30_000)) * time.Microsecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("round %d: child did not die of SIGKILL: %v; stderr:\n%s", round, err, stderr.String())
	}
	return acked, ready.Load()
}

// verifyCrashState checks the invariants described at crashBatch for every
// round so far.
func verifyCrashState(t *testing.T, e *Engine, round int, acked map[int]bool) {
	t.Helper()
	// Group b/ keys by batch id.
	present := map[int]int{}
	it := e.NewIterator(IterOptions{Prefix: []byte("b/")})
	for it.Next() {
		var id, j int
		if _, err := fmt.Sscanf(string(it.Key()), "b/%d/%d", &id, &j); err != nil {
			t.Fatalf("round %d: unexpected key %q", round, it.Key())
		}
		if !bytes.HasPrefix(it.Value(), fmt.Appendf(nil, "%d;", id)) {
			t.Fatalf("round %d: key %q has value of another batch: %.20q", round, it.Key(), it.Value())
		}
		present[id]++
	}
	it.Close()
	for id, n := range present {
		if n != crashKeys(id) {
			t.Fatalf("round %d: batch %d half applied: %d of %d keys present", round, id, n, crashKeys(id))
		}
	}
	for id := range acked {
		if present[id] == 0 {
			t.Fatalf("round %d: acknowledged batch %d lost", round, id)
		}
	}
	// Per writer and round: the applied batches are a gapless prefix of
	// what it issued, hot holds the last one, and exactly one tmp key (the
	// last one) exists.
	for r := 0; r <= round; r++ {
		for g := range crashWriters {
			first := r*crashRoundSpan + g*crashWriterSpan
			last := -1
			for id := first; present[id] > 0; id++ {
				last = id
			}
			for id := range present {
				if id >= first && id < first+crashWriterSpan && id > last {
					t.Fatalf("round %d: writer %d of round %d: batch %d present after gap at %d", round, g, r, id, last+1)
				}
			}
			hot, err := e.Get(fmt.Appendf(nil, "hot/%03d/%d", r, g))
			if last < 0 {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("round %d: hot/%03d/%d = %q, %v with no batch present", round, r, g, hot, err)
				}
			} else if err != nil || string(hot) != strconv.Itoa(last) {
				t.Fatalf("round %d: hot/%03d/%d = %q, %v; want %d", round, r, g, hot, err, last)
			}
			var tmp []string
			it := e.NewIterator(IterOptions{Prefix: fmt.Appendf(nil, "tmp/%03d/%d/", r, g)})
			for it.Next() {
				tmp = append(tmp, string(it.Key()))
			}
			it.Close()
			want := []string(nil)
			if last >= 0 {
				want = []string{fmt.Sprintf("tmp/%03d/%d/%010d", r, g, last)}
			}
			if fmt.Sprint(tmp) != fmt.Sprint(want) {
				t.Fatalf("round %d: tmp keys of writer %d round %d = %q; want %q", round, g, r, tmp, want)
			}
		}
	}
}

// writeTestLog creates a log in a new directory holding n batches, batch i
// putting key "k<i>", and returns the directory, the log path and the
// offset of every record.
func writeTestLog(t *testing.T, n int) (dir, path string, offsets []int64) {
	t.Helper()
	dir = t.TempDir()
	e := openT(t, dir)
	for i := range n {
		putT(t, e, fmt.Sprintf("k%d", i), fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", i)))
	}
	closeT(t, e)
	path = filepath.Join(dir, logName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for off := fileHeaderSize; off < len(data); {
		_, size, err := decodeRecord(data[off:], nil)
		if err != nil {
			t.Fatalf("test log does not decode at %d: %v", off, err)
		}
		offsets = append(offsets, int64(off))
		off += size
	}
	if len(offsets) != n {
		t.Fatalf("test log has %d records; want %d", len(offsets), n)
	}
	return dir, path, offsets
}

// checkBatches checks that exactly batches [0, n) of writeTestLog are
// present.
func checkBatches(t *testing.T, e *Engine, n, total int) {
	t.Helper()
	for i := range total {
		v, err := e.Get(fmt.Appendf(nil, "k%d", i))
		switch {
		case i < n && (err != nil || string(v) != fmt.Sprintf("value-%d-%s", i, strings.Repeat("x", i))):
			t.Fatalf("k%d = %q, %v; want batch %d present", i, v, err, i)
		case i >= n && !errors.Is(err, ErrNotFound):
			t.Fatalf("k%d = %q, %v; want absent", i, v, err)
		}
	}
}

func TestCorruptMiddleRecord(t *testing.T) {
	const n = 10
	tests := []struct {
		name   string
		record int // index of the damaged record; -1 for the file header
		at     int // byte within the record
	}{
		{"payload byte", 4, recordHeaderSize + 6},
		{"crc byte", 4, 5},
		{"length byte, low", 4, 0},
		{"length byte, high", 4, 3},
		{"op kind", 4, recordHeaderSize + batchHeaderSize},
		{"first record", 0, recordHeaderSize + 2},
		{"second to last record", n - 2, recordHeaderSize + 3},
		{"file magic", -1, 0},
		{"file version", -1, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, path, offsets := writeTestLog(t, n)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var off int64
			if tc.record >= 0 {
				off = offsets[tc.record]
			}
			data[off+int64(tc.at)] ^= 0x5a
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			e, err := Open(dir, Options{})
			if err == nil {
				e.Close()
				t.Fatal("Open succeeded on a corrupt log")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open error %v does not wrap ErrCorrupt", err)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, fmt.Sprintf("offset %d", off)) {
				t.Fatalf("Open error %q does not name %s and offset %d", msg, path, off)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, data) {
				t.Fatal("a failed Open modified the corrupt log")
			}
		})
	}
}

func TestTornTail(t *testing.T) {
	const n = 10
	dir, path, offsets := writeTestLog(t, n)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	last := offsets[n-1]
	reopen := func(t *testing.T, data []byte, wantBatches int, wantTruncated int64) {
		t.Helper()
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		e, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		checkBatches(t, e, wantBatches, n)
		if got := e.Stats().TruncatedBytes; got != wantTruncated {
			t.Fatalf("TruncatedBytes = %d; want %d", got, wantTruncated)
		}
		// The engine keeps working on the repaired log.
		putT(t, e, "after", "repair")
		closeT(t, e)
		e = openT(t, dir)
		checkBatches(t, e, wantBatches, n)
		if v, err := e.Get([]byte("after")); err != nil || string(v) != "repair" {
			t.Fatalf("write after repair lost: %q, %v", v, err)
		}
		if st := e.Stats(); st.TruncatedBytes != 0 {
			t.Fatalf("second Open truncated again: %+v", st)
		}
		closeT(t, e)
	}
	t.Run("cut inside last record", func(t *testing.T) {
		for cut := last + 1; cut < int64(len(orig)); cut++ {
			reopen(t, bytes.Clone(orig[:cut]), n-1, cut-last)
		}
	})
	t.Run("cut at record boundary", func(t *testing.T) {
		reopen(t, bytes.Clone(orig[:last]), n-1, 0)
	})
	t.Run("checksum mismatch in last record", func(t *testing.T) {
		data := bytes.Clone(orig)
		data[len(data)-1] ^= 1
		reopen(t, data, n-1, int64(len(orig))-last)
	})
	t.Run("zeros after last record", func(t *testing.T) {
		data := append(bytes.Clone(orig), make([]byte, 4096)...)
		reopen(t, data, n, 4096)
	})
	t.Run("garbage after last record", func(t *testing.T) {
		garbage := make([]byte, 3000)
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range garbage {
			garbage[i] = byte(rng.Uint32())
		}
		reopen(t, append(bytes.Clone(orig), garbage...), n, int64(len(garbage)))
	})
	t.Run("partial header after last record", func(t *testing.T) {
		reopen(t, append(bytes.Clone(orig), 1, 2, 3), n, 3)
	})
}

func TestCorruptFileHeader(t *testing.T) {
	for _, size := range []int{0, 5, fileHeaderSize - 1} {
		dir := t.TempDir()
		path := filepath.Join(dir, logName)
		if err := os.WriteFile(path, encodeFileHeader()[:size], 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(dir, Options{}); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
			t.Fatalf("Open of %d-byte log = %v; want ErrCorrupt naming %s", size, err, path)
		}
	}
	// A future version is refused, but is not corruption.
	dir := t.TempDir()
	h := encodeLogHeader(logVersion+1, 1)
	if err := os.WriteFile(filepath.Join(dir, logName), h, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil || errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "version") {
		t.Fatalf("Open of a version %d log = %v", logVersion+1, err)
	}
}

// TestReplayFindsCorruptionFarAhead damages a record in front of a long run
// of valid data, so the scan for a following valid record crosses its read
// windows.
func TestReplayFindsCorruptionFarAhead(t *testing.T) {
	var log bytes.Buffer
	log.Write(encodeFileHeader())
	damaged := int64(log.Len())
	// A record claiming 3 MiB, of which only the header is written, then
	// 2 MiB of zeros, then valid records.
	rec := encodeRecord([]op{{kind: opPut, key: []byte("k"), value: make([]byte, 3<<20)}})
	log.Write(rec[:recordHeaderSize])
	log.Write(make([]byte, 2<<20))
	for i := 0; log.Len() < 3<<20+4<<20; i++ {
		log.Write(encodeRecord([]op{{kind: opPut, key: fmt.Appendf(nil, "k%d", i), value: make([]byte, 5000)}}))
	}
	data := log.Bytes()
	_, _, err := replayLog(bytes.NewReader(data), int64(len(data)), func([]op) {})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("offset %d", damaged)) {
		t.Fatalf("replay = %v; want ErrCorrupt at offset %d", err, damaged)
	}
	// The same damaged record at the very end is a torn tail.
	tail := append(bytes.Clone(data[:damaged]), rec[:len(rec)-1]...)
	end, _, err := replayLog(bytes.NewReader(tail), int64(len(tail)), func([]op) {})
	if err != nil || end != damaged {
		t.Fatalf("replay of torn tail = %d, %v; want %d, nil", end, err, damaged)
	}
}
