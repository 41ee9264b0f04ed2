package ycsb

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// fmtDur prints a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func fmtOps(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// Targets of issue 5: the minimum PhotonDB/PostgreSQL throughput ratio.
var Targets = map[string]float64{
	WRead: 1.0, WInsert: 1.0, WInsertBatch: 1.0, WYCSBA: 1.0, WRange: 0.8,
}

// PrintTable writes a Markdown table, one row per workload: ops/s, p50 and
// p99 for every target and, with two targets, the throughput ratio
// first/second next to the target for it.
func PrintTable(w io.Writer, cfg Config, res [][]*Result) {
	if len(res) == 0 {
		return
	}
	hdr := []string{"workload"}
	for _, r := range res[0] {
		hdr = append(hdr, r.Target+" ops/s", "p50", "p99")
	}
	two := len(res[0]) == 2
	if two {
		hdr = append(hdr, "ratio", "target", "met")
	}
	rows := [][]string{hdr}
	for _, row := range res {
		cells := []string{Describe(row[0].Workload, cfg)}
		for _, r := range row {
			ops := fmtOps(r.OpsPerSec())
			if r.Errors > 0 {
				ops += fmt.Sprintf(" (%d errors)", r.Errors)
			}
			cells = append(cells, ops, fmtDur(r.Hist.Quantile(0.5)), fmtDur(r.Hist.Quantile(0.99)))
		}
		if two {
			ratio, tgt, met := "-", Targets[row[0].Workload], "no"
			if b := row[1].OpsPerSec(); b > 0 {
				q := row[0].OpsPerSec() / b
				ratio = fmt.Sprintf("%.2fx", q)
				if q >= tgt && row[0].Errors == 0 {
					met = "yes"
				}
			}
			cells = append(cells, ratio, fmt.Sprintf("%.1fx", tgt), met)
		}
		rows = append(rows, cells)
	}
	width := make([]int, len(hdr))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	line := func(cells []string) {
		var sb strings.Builder
		sb.WriteString("|")
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				sb.WriteString(" " + c + pad + " |")
			} else {
				sb.WriteString(" " + pad + c + " |")
			}
		}
		fmt.Fprintln(w, sb.String())
	}
	line(rows[0])
	sep := make([]string, len(hdr))
	for i := range sep {
		if i == 0 {
			sep[i] = strings.Repeat("-", width[i])
		} else {
			sep[i] = strings.Repeat("-", width[i]-1) + ":"
		}
	}
	line(sep)
	for _, row := range rows[1:] {
		line(row)
	}
}
