package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progress draws a one-line progress bar on a terminal: only when stderr
// is one, only once a run has lasted progressDelay, and at most every
// progressEvery. A nil *progress draws nothing.
type progress struct {
	w     io.Writer
	label string
	total int64 // in units; 0: unknown
	bytes bool  // units are bytes (else documents)
	now   func() time.Time
	start time.Time
	last  time.Time
	drawn bool
	width int // of the last line drawn
}

const (
	progressDelay = 500 * time.Millisecond
	progressEvery = 100 * time.Millisecond
	progressBar   = 24
)

// newProgress returns a progress bar on c.stderr, or nil when stderr is
// not a terminal.
func (c *cli) newProgress(label string, total int64, unitsAreBytes bool) *progress {
	if !isTerminal(c.stderr) {
		return nil
	}
	return newProgressOn(c.stderr, label, total, unitsAreBytes, time.Now)
}

func newProgressOn(w io.Writer, label string, total int64, unitsAreBytes bool, now func() time.Time) *progress {
	return &progress{w: w, label: label, total: total, bytes: unitsAreBytes, now: now, start: now()}
}

// isTerminal reports whether w is a terminal (a character device; TERM=dumb
// is not one).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// update reports done units and docs documents so far; it redraws when
// due.
func (p *progress) update(done, docs int64) {
	if p == nil {
		return
	}
	now := p.now()
	if now.Sub(p.start) < progressDelay || now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	p.draw(done, docs, now.Sub(p.start))
}

func (p *progress) draw(done, docs int64, elapsed time.Duration) {
	var b strings.Builder
	b.WriteString(p.label)
	if p.total > 0 {
		frac := min(float64(done)/float64(p.total), 1)
		n := int(frac * progressBar)
		fmt.Fprintf(&b, " [%s%s] %3.0f%%", strings.Repeat("=", n), strings.Repeat(" ", progressBar-n), 100*frac)
	}
	fmt.Fprintf(&b, " %d docs", docs)
	if s := elapsed.Seconds(); s > 0 {
		fmt.Fprintf(&b, ", %.0f docs/s", float64(docs)/s)
		if p.total > 0 && done > 0 && done < p.total {
			eta := time.Duration(float64(elapsed) * float64(p.total-done) / float64(done)).Round(time.Second)
			fmt.Fprintf(&b, ", ETA %s", eta)
		}
	}
	line := b.String()
	pad := max(p.width-len(line), 0)
	fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
	p.width = len(line)
	p.drawn = true
}

// done clears the bar (the summary follows on stdout).
func (p *progress) done() {
	if p == nil || !p.drawn {
		return
	}
	fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	p.drawn = false
}
