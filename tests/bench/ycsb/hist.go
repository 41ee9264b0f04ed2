package ycsb

import (
	"math/bits"
	"time"
)

// Histogram is a log-linear latency histogram: 64 linear sub-buckets per
// power of two, so any recorded value is reported within 1.6%. Fixed size,
// no allocation per sample. Not safe for concurrent use (one per client).
type Histogram struct {
	counts [histBuckets]uint64
	total  uint64
	max    int64
}

const (
	subBits     = 6
	subCount    = 1 << subBits // 64
	histBuckets = (64 - subBits) * subCount
)

func bucketOf(v int64) int {
	if v < subCount {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	e := bits.Len64(uint64(v)) - subBits - 1 // v>>e in [64,128)
	return (e+1)*subCount + int(v>>e) - subCount
}

// bucketMid is a representative value (the midpoint) of bucket i.
func bucketMid(i int) int64 {
	if i < subCount {
		return int64(i)
	}
	e := i/subCount - 1
	lo := int64(i%subCount+subCount) << e
	return lo + (int64(1)<<e)/2
}

// Record adds one sample.
func (h *Histogram) Record(d time.Duration) {
	v := int64(d)
	h.counts[bucketOf(v)]++
	h.total++
	if v > h.max {
		h.max = v
	}
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.total }

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	if o.max > h.max {
		h.max = o.max
	}
}

// Quantile returns the latency at quantile q in [0, 1].
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	if rank < 1 {
		rank = 1
	}
	if rank > h.total {
		rank = h.total
	}
	var cum uint64
	for i, c := range h.counts {
		cum += c
		if cum >= rank {
			v := bucketMid(i)
			if v > h.max {
				v = h.max
			}
			return time.Duration(v)
		}
	}
	return time.Duration(h.max)
}
