package ycsb

import (
	"math"
	"math/rand/v2"
)

// ZipfianConstant is YCSB's default skew.
const ZipfianConstant = 0.99

// Zipfian draws item numbers in [0, n) with YCSB's scrambled Zipfian
// distribution: the Zipfian generator of Gray et al. ("Quickly generating
// billion-record synthetic databases", as in YCSB's ZipfianGenerator) whose
// output is hashed over the key space so the popular items are not
// clustered. The constants are shared; each client passes its own rng.
type Zipfian struct {
	n                   int64
	theta, alpha, eta   float64
	zetan, halfPowTheta float64
}

// NewZipfian precomputes the constants for n items (O(n), once).
func NewZipfian(n int64) *Zipfian {
	theta := ZipfianConstant
	zeta := func(n int64) float64 {
		var s float64
		for i := int64(1); i <= n; i++ {
			s += 1 / math.Pow(float64(i), theta)
		}
		return s
	}
	z := &Zipfian{n: n, theta: theta}
	z.zetan = zeta(n)
	zeta2 := zeta(2)
	z.alpha = 1 / (1 - theta)
	z.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/z.zetan)
	z.halfPowTheta = 1 + math.Pow(0.5, theta)
	return z
}

// next is the unscrambled rank: 0 is the most popular item.
func (z *Zipfian) next(rng *rand.Rand) int64 {
	u := rng.Float64()
	uz := u * z.zetan
	if uz < 1 {
		return 0
	}
	if uz < z.halfPowTheta {
		return 1
	}
	v := int64(float64(z.n) * math.Pow(z.eta*u-z.eta+1, z.alpha))
	if v >= z.n {
		v = z.n - 1
	}
	return v
}

// Next returns an item number in [0, n).
func (z *Zipfian) Next(rng *rand.Rand) int64 {
	return int64(fnv64(uint64(z.next(rng))) % uint64(z.n))
}

// fnv64 is FNV-1a over the 8 bytes of v (YCSB's Utils.fnvhash64).
func fnv64(v uint64) uint64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= 0x100000001b3
		v >>= 8
	}
	return h
}
