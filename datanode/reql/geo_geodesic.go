package reql

import "math"

// Geodesics on an ellipsoid of revolution by Karney's algorithm (C. F. F.
// Karney, "Algorithms for geodesics", J. Geodesy 87, 43-55 (2013)), as
// RethinkDB computes DISTANCE and CIRCLE (it embeds GeographicLib's C
// geod_inverse and geod_direct). This is a Go port of the inverse and direct
// problems of GeographicLib's geodesic routines (MIT licence, copyright
// Charles Karney), order 6 series, without the area and unrolled-longitude
// outputs that ReQL never asks for. Accurate to about 15 nm on WGS84.

const geodOrder = 6

var (
	geodTol0   = math.Pow(0.5, 52) // epsilon
	geodTol1   = 200 * geodTol0
	geodTol2   = math.Sqrt(geodTol0)
	geodTolb   = geodTol0
	geodXthr   = 1000 * geodTol2
	geodTiny   = math.Sqrt(math.SmallestNonzeroFloat64 / geodTol0)
	geodMaxit1 = 20
	geodMaxit2 = geodMaxit1 + 53 + 10
)

// geodesic holds an ellipsoid's constants.
type geodesic struct {
	a, f, f1, e2, ep2, n, b, etol2 float64
	a3x                            [geodOrder]float64
	c3x                            [geodOrder * (geodOrder - 1) / 2]float64
}

func newGeodesic(a, f float64) *geodesic {
	g := &geodesic{a: a, f: f}
	g.f1 = 1 - f
	g.e2 = f * (2 - f)
	g.ep2 = g.e2 / (g.f1 * g.f1)
	g.n = f / (2 - f)
	g.b = a * g.f1
	g.etol2 = 0.1 * geodTol2 / math.Sqrt(math.Max(0.001, math.Abs(f))*math.Min(1, 1-f/2)/2)
	// A3 coefficients.
	a3 := []float64{-3, 128, -2, -3, 64, -1, -3, -1, 16, 3, -1, -2, 8, 1, -1, 2, 1, 1}
	o, k := 0, 0
	for j := geodOrder - 1; j >= 0; j-- {
		p := min(geodOrder-j-1, j)
		g.a3x[k] = polyval(p, a3[o:], g.n) / a3[o+p+1]
		k++
		o += p + 2
	}
	c3 := []float64{
		3, 128, 2, 5, 128, -1, 3, 3, 64, -1, 0, 1, 8, -1, 1, 4,
		5, 256, 1, 3, 128, -3, -2, 3, 64, 1, -3, 2, 32,
		7, 512, -10, 9, 384, 5, -9, 5, 192,
		7, 512, -14, 7, 512,
		21, 2560,
	}
	o, k = 0, 0
	for l := 1; l < geodOrder; l++ {
		for j := geodOrder - 1; j >= l; j-- {
			p := min(geodOrder-j-1, j)
			g.c3x[k] = polyval(p, c3[o:], g.n) / c3[o+p+1]
			k++
			o += p + 2
		}
	}
	return g
}

func polyval(n int, p []float64, x float64) float64 {
	if n < 0 {
		return 0
	}
	y := p[0]
	for i := 1; i <= n; i++ {
		y = y*x + p[i]
	}
	return y
}

func sq(x float64) float64 { return x * x }

// sinCosSeries evaluates Clenshaw sums of sin (sinp) or cos series; c[0] is
// unused for sine series.
func sinCosSeries(sinp bool, sinx, cosx float64, c []float64) float64 {
	k := len(c)
	n := k
	if sinp {
		n--
	}
	ar := 2 * (cosx - sinx) * (cosx + sinx)
	var y0, y1 float64
	if n&1 == 1 {
		k--
		y0 = c[k]
	}
	for n /= 2; n > 0; n-- {
		k--
		y1 = ar*y0 - y1 + c[k]
		k--
		y0 = ar*y1 - y0 + c[k]
	}
	if sinp {
		return 2 * sinx * cosx * y0
	}
	return cosx * (y0 - y1)
}

func a1m1f(eps float64) float64 {
	coeff := []float64{1, 4, 64, 0, 256}
	p := geodOrder / 2
	t := polyval(p, coeff, sq(eps)) / coeff[p+1]
	return (t + eps) / (1 - eps)
}

func seriesCoeffs(coeff []float64, eps float64, c []float64) {
	eps2 := sq(eps)
	d := eps
	o := 0
	for l := 1; l <= geodOrder; l++ {
		p := (geodOrder - l) / 2
		c[l] = d * polyval(p, coeff[o:], eps2) / coeff[o+p+1]
		o += p + 2
		d *= eps
	}
}

var (
	c1fCoeff = []float64{-1, 6, -16, 32, -9, 64, -128, 2048, 9, -16, 768, 3, -5, 512, -7, 1280, -7, 2048}
	c1pCoeff = []float64{205, -432, 768, 1536, 4005, -4736, 3840, 12288, -225, 116, 384, -7173, 2695, 7680, 3467, 7680, 38081, 61440}
	c2fCoeff = []float64{1, 2, 16, 32, 35, 64, 384, 2048, 15, 80, 768, 7, 35, 512, 63, 1280, 77, 2048}
)

func c1f(eps float64, c []float64)  { seriesCoeffs(c1fCoeff, eps, c) }
func c1pf(eps float64, c []float64) { seriesCoeffs(c1pCoeff, eps, c) }
func c2f(eps float64, c []float64)  { seriesCoeffs(c2fCoeff, eps, c) }

func a2m1f(eps float64) float64 {
	coeff := []float64{-11, -28, -192, 0, 256}
	p := geodOrder / 2
	t := polyval(p, coeff, sq(eps)) / coeff[p+1]
	return (t - eps) / (1 + eps)
}

func (g *geodesic) a3f(eps float64) float64 { return polyval(geodOrder-1, g.a3x[:], eps) }

func (g *geodesic) c3f(eps float64, c []float64) {
	mult := 1.0
	o := 0
	for l := 1; l < geodOrder; l++ {
		p := geodOrder - l - 1
		mult *= eps
		c[l] = mult * polyval(p, g.c3x[o:], eps)
		o += p + 1
	}
}

// Angle helpers (degrees), exact where GeographicLib's are.

func angRound(x float64) float64 {
	const z = 1.0 / 16
	y := math.Abs(x)
	if y < z {
		y = z - (z - y)
	}
	return math.Copysign(y, x)
}

func remainderDeg(x, y float64) float64 {
	x = math.Mod(x, y)
	if x < -y/2 {
		return x + y
	}
	if x < y/2 {
		return x
	}
	return x - y
}

func angNormalize(x float64) float64 {
	y := remainderDeg(x, 360)
	if math.Abs(y) == 180 {
		return math.Copysign(180, x)
	}
	return y
}

func twoSum(u, v float64) (s, t float64) {
	s = u + v
	up := s - v
	vpp := s - up
	up -= u
	vpp -= v
	if s != 0 {
		t = 0 - (up + vpp)
	} else {
		t = s
	}
	return s, t
}

func angDiff(x, y float64) (d, e float64) {
	s, t := twoSum(remainderDeg(-x, 360), remainderDeg(y, 360))
	d, e = twoSum(remainderDeg(s, 360), t)
	if d == 0 || math.Abs(d) == 180 {
		if e == 0 {
			d = math.Copysign(d, y-x)
		} else {
			d = math.Copysign(d, -e)
		}
	}
	return d, e
}

func sincosdE(x, t float64) (sinx, cosx float64) {
	d := math.Mod(x, 360)
	q := math.Floor(d/90 + 0.5) // round half up, as GeographicLib
	d = angRound((d - 90*q) + t)
	r := d * math.Pi / 180
	s, c := math.Sin(r), math.Cos(r)
	switch math.Abs(d) {
	case 45:
		c = math.Sqrt(0.5)
		s = math.Copysign(c, r)
	case 30:
		c = math.Sqrt(0.75)
		s = math.Copysign(0.5, r)
	}
	switch int(q) & 3 {
	case 0:
		sinx, cosx = s, c
	case 1:
		sinx, cosx = c, -s
	case 2:
		sinx, cosx = -s, -c
	default:
		sinx, cosx = -c, s
	}
	cosx += 0
	if sinx == 0 {
		sinx = math.Copysign(sinx, x+t)
	}
	return sinx, cosx
}

func sincosd(x float64) (float64, float64) {
	d := math.Mod(x, 360)
	q := math.Floor(d/90 + 0.5)
	d -= 90 * q
	r := d * math.Pi / 180
	s, c := math.Sin(r), math.Cos(r)
	switch math.Abs(d) {
	case 45:
		c = math.Sqrt(0.5)
		s = math.Copysign(c, r)
	case 30:
		c = math.Sqrt(0.75)
		s = math.Copysign(0.5, r)
	}
	var sinx, cosx float64
	switch int(q) & 3 {
	case 0:
		sinx, cosx = s, c
	case 1:
		sinx, cosx = c, -s
	case 2:
		sinx, cosx = -s, -c
	default:
		sinx, cosx = -c, s
	}
	cosx += 0
	if sinx == 0 {
		sinx = math.Copysign(sinx, x)
	}
	return sinx, cosx
}

func atan2d(y, x float64) float64 {
	q := 0
	if math.Abs(y) > math.Abs(x) {
		x, y = y, x
		q = 2
	}
	if math.Signbit(x) {
		x = -x
		q++
	}
	ang := math.Atan2(y, x) * 180 / math.Pi
	switch q {
	case 1:
		ang = math.Copysign(180, y) - ang
	case 2:
		ang = 90 - ang
	case 3:
		ang = -90 + ang
	}
	return ang
}

func astroid(x, y float64) float64 {
	p, q := sq(x), sq(y)
	r := (p + q - 1) / 6
	if q == 0 && r <= 0 {
		return 0
	}
	S := p * q / 4
	r2 := sq(r)
	r3 := r * r2
	disc := S * (S + 2*r3)
	u := r
	if disc >= 0 {
		T3 := S + r3
		if T3 < 0 {
			T3 -= math.Sqrt(disc)
		} else {
			T3 += math.Sqrt(disc)
		}
		T := math.Cbrt(T3)
		u += T
		if T != 0 {
			u += r2 / T
		}
	} else {
		ang := math.Atan2(math.Sqrt(-disc), -(S + r3))
		u += 2 * r * math.Cos(ang/3)
	}
	v := math.Sqrt(sq(u) + q)
	var uv float64
	if u < 0 {
		uv = q / (v - u)
	} else {
		uv = u + v
	}
	w := (uv - q) / (2 * v)
	return uv / (math.Sqrt(uv+sq(w)) + w)
}

// lengths computes s12/b (distance) and m12/b (reduced length) as asked.
func (g *geodesic) lengths(eps, sig12, ssig1, csig1, dn1, ssig2, csig2, dn2 float64, wantDist, wantRed bool, c1a, c2a []float64) (s12b, m12b, m0 float64) {
	A1 := a1m1f(eps)
	c1f(eps, c1a)
	var A2, m0x, J12 float64
	if wantRed {
		A2 = a2m1f(eps)
		c2f(eps, c2a)
		m0x = A1 - A2
		A2 = 1 + A2
	}
	A1 = 1 + A1
	if wantDist {
		B1 := sinCosSeries(true, ssig2, csig2, c1a) - sinCosSeries(true, ssig1, csig1, c1a)
		s12b = A1 * (sig12 + B1)
		if wantRed {
			B2 := sinCosSeries(true, ssig2, csig2, c2a) - sinCosSeries(true, ssig1, csig1, c2a)
			J12 = m0x*sig12 + (A1*B1 - A2*B2)
		}
	} else if wantRed {
		for l := 1; l <= geodOrder; l++ {
			c2a[l] = A1*c1a[l] - A2*c2a[l]
		}
		J12 = m0x*sig12 + (sinCosSeries(true, ssig2, csig2, c2a) - sinCosSeries(true, ssig1, csig1, c2a))
	}
	if wantRed {
		m0 = m0x
		m12b = dn2*(csig1*ssig2) - dn1*(ssig1*csig2) - csig1*csig2*J12
	}
	return s12b, m12b, m0
}

type inverseStart struct {
	sig12, salp1, calp1, salp2, calp2, dnm float64
}

func (g *geodesic) inverseStart(sbet1, cbet1, dn1, sbet2, cbet2, dn2, lam12, slam12, clam12 float64, c1a, c2a []float64) inverseStart {
	v := inverseStart{sig12: -1}
	sbet12 := sbet2*cbet1 - cbet2*sbet1
	cbet12 := cbet2*cbet1 + sbet2*sbet1
	sbet12a := sbet2 * cbet1
	sbet12a += cbet2 * sbet1
	shortline := cbet12 >= 0 && sbet12 < 0.5 && cbet2*lam12 < 0.5
	var somg12, comg12 float64
	if shortline {
		sbetm2 := sq(sbet1 + sbet2)
		sbetm2 /= sbetm2 + sq(cbet1+cbet2)
		v.dnm = math.Sqrt(1 + g.ep2*sbetm2)
		omg12 := lam12 / (g.f1 * v.dnm)
		somg12, comg12 = math.Sin(omg12), math.Cos(omg12)
	} else {
		somg12, comg12 = slam12, clam12
	}
	v.salp1 = cbet2 * somg12
	if comg12 >= 0 {
		v.calp1 = sbet12 + cbet2*sbet1*sq(somg12)/(1+comg12)
	} else {
		v.calp1 = sbet12a - cbet2*sbet1*sq(somg12)/(1-comg12)
	}
	ssig12 := math.Hypot(v.salp1, v.calp1)
	csig12 := sbet1*sbet2 + cbet1*cbet2*comg12
	if shortline && ssig12 < g.etol2 {
		v.salp2 = cbet1 * somg12
		if comg12 >= 0 {
			v.calp2 = sbet12 - cbet1*sbet2*(sq(somg12)/(1+comg12))
		} else {
			v.calp2 = sbet12 - cbet1*sbet2*(1-comg12)
		}
		t := math.Hypot(v.salp2, v.calp2)
		v.salp2 /= t
		v.calp2 /= t
		v.sig12 = math.Atan2(ssig12, csig12)
	} else if math.Abs(g.n) > 0.1 || csig12 >= 0 || ssig12 >= 6*math.Abs(g.n)*math.Pi*sq(cbet1) {
		// Zeroth order spherical approximation is OK.
	} else {
		var x, y, lamscale, betscale float64
		lam12x := math.Atan2(-slam12, -clam12)
		if g.f >= 0 {
			k2 := sq(sbet1) * g.ep2
			eps := k2 / (2*(1+math.Sqrt(1+k2)) + k2)
			lamscale = g.f * cbet1 * g.a3f(eps) * math.Pi
			betscale = lamscale * cbet1
			x = lam12x / lamscale
			y = sbet12a / betscale
		} else {
			cbet12a := cbet2*cbet1 - sbet2*sbet1
			bet12a := math.Atan2(sbet12a, cbet12a)
			_, m12b, m0 := g.lengths(g.n, math.Pi+bet12a, sbet1, -cbet1, dn1, sbet2, cbet2, dn2, false, true, c1a, c2a)
			x = -1 + m12b/(cbet1*cbet2*m0*math.Pi)
			if x < -0.01 {
				betscale = sbet12a / x
			} else {
				betscale = -g.f * sq(cbet1) * math.Pi
			}
			lamscale = betscale / cbet1
			y = lam12 / lamscale
		}
		if y > -geodTol1 && x > -1-geodXthr {
			if g.f >= 0 {
				v.salp1 = math.Min(1, -x)
				v.calp1 = -math.Sqrt(1 - sq(v.salp1))
			} else {
				lo := -1.0
				if x > -geodTol1 {
					lo = 0
				}
				v.calp1 = math.Max(lo, x)
				v.salp1 = math.Sqrt(1 - sq(v.calp1))
			}
		} else {
			k := astroid(x, y)
			var omg12a float64
			if g.f >= 0 {
				omg12a = lamscale * (-x * k / (1 + k))
			} else {
				omg12a = lamscale * (-y * (1 + k) / k)
			}
			somg12, comg12 = math.Sin(omg12a), -math.Cos(omg12a)
			v.salp1 = cbet2 * somg12
			v.calp1 = sbet12a - cbet2*sbet1*sq(somg12)/(1-comg12)
		}
	}
	if !(v.salp1 <= 0) {
		t := math.Hypot(v.salp1, v.calp1)
		v.salp1 /= t
		v.calp1 /= t
	} else {
		v.salp1, v.calp1 = 1, 0
	}
	return v
}

type lambda12 struct {
	lam12, salp2, calp2, sig12, ssig1, csig1, ssig2, csig2, eps, dlam12 float64
}

func (g *geodesic) lambda12(sbet1, cbet1, dn1, sbet2, cbet2, dn2, salp1, calp1, slam120, clam120 float64, diffp bool, c1a, c2a, c3a []float64) lambda12 {
	var v lambda12
	if sbet1 == 0 && calp1 == 0 {
		calp1 = -geodTiny
	}
	salp0 := salp1 * cbet1
	calp0 := math.Hypot(calp1, salp1*sbet1)
	v.ssig1 = sbet1
	somg1 := salp0 * sbet1
	v.csig1 = calp1 * cbet1
	comg1 := v.csig1
	t := math.Hypot(v.ssig1, v.csig1)
	v.ssig1 /= t
	v.csig1 /= t
	if cbet2 != cbet1 {
		v.salp2 = salp0 / cbet2
	} else {
		v.salp2 = salp1
	}
	if cbet2 != cbet1 || math.Abs(sbet2) != -sbet1 {
		var d float64
		if cbet1 < -sbet1 {
			d = (cbet2 - cbet1) * (cbet1 + cbet2)
		} else {
			d = (sbet1 - sbet2) * (sbet1 + sbet2)
		}
		v.calp2 = math.Sqrt(sq(calp1*cbet1)+d) / cbet2
	} else {
		v.calp2 = math.Abs(calp1)
	}
	v.ssig2 = sbet2
	somg2 := salp0 * sbet2
	v.csig2 = v.calp2 * cbet2
	comg2 := v.csig2
	t = math.Hypot(v.ssig2, v.csig2)
	v.ssig2 /= t
	v.csig2 /= t
	v.sig12 = math.Atan2(math.Max(0, v.csig1*v.ssig2-v.ssig1*v.csig2), v.csig1*v.csig2+v.ssig1*v.ssig2)
	somg12 := math.Max(0, comg1*somg2-somg1*comg2)
	comg12 := comg1*comg2 + somg1*somg2
	eta := math.Atan2(somg12*clam120-comg12*slam120, comg12*clam120+somg12*slam120)
	k2 := sq(calp0) * g.ep2
	v.eps = k2 / (2*(1+math.Sqrt(1+k2)) + k2)
	g.c3f(v.eps, c3a)
	B312 := sinCosSeries(true, v.ssig2, v.csig2, c3a) - sinCosSeries(true, v.ssig1, v.csig1, c3a)
	domg12 := -g.f * g.a3f(v.eps) * salp0 * (v.sig12 + B312)
	v.lam12 = eta + domg12
	if diffp {
		if v.calp2 == 0 {
			v.dlam12 = -2 * g.f1 * dn1 / sbet1
		} else {
			_, m12b, _ := g.lengths(v.eps, v.sig12, v.ssig1, v.csig1, dn1, v.ssig2, v.csig2, dn2, false, true, c1a, c2a)
			v.dlam12 = m12b * g.f1 / (v.calp2 * cbet2)
		}
	}
	return v
}

// inverse solves the inverse geodesic problem: the distance in metres (in
// the ellipsoid's unit) between two points given in degrees.
func (g *geodesic) inverse(lat1, lon1, lat2, lon2 float64) float64 {
	if math.Abs(lat1) > 90 || math.Abs(lat2) > 90 {
		return math.NaN()
	}
	lat1 = angRound(lat1)
	lat2 = angRound(lat2)
	lon12, lon12s := angDiff(lon1, lon2)
	lonsign := math.Copysign(1, lon12)
	lon12 *= lonsign
	lon12s *= lonsign
	lam12 := lon12 * math.Pi / 180
	slam12, clam12 := sincosdE(lon12, lon12s)
	lon12s = (180 - lon12) - lon12s
	if math.Abs(lat1) < math.Abs(lat2) {
		lat1, lat2 = lat2, lat1
	}
	latsign := math.Copysign(1, -lat1)
	lat1 *= latsign
	lat2 *= latsign
	s, c := sincosd(lat1)
	sbet1, cbet1 := g.f1*s, c
	t := math.Hypot(sbet1, cbet1)
	sbet1 /= t
	cbet1 /= t
	cbet1 = math.Max(geodTiny, cbet1)
	s, c = sincosd(lat2)
	sbet2, cbet2 := g.f1*s, c
	t = math.Hypot(sbet2, cbet2)
	sbet2 /= t
	cbet2 /= t
	cbet2 = math.Max(geodTiny, cbet2)
	if cbet1 < -sbet1 {
		if cbet2 == cbet1 {
			sbet2 = math.Copysign(sbet1, sbet2)
		}
	} else if math.Abs(sbet2) == -sbet1 {
		cbet2 = cbet1
	}
	dn1 := math.Sqrt(1 + g.ep2*sq(sbet1))
	dn2 := math.Sqrt(1 + g.ep2*sq(sbet2))
	c1a := make([]float64, geodOrder+1)
	c2a := make([]float64, geodOrder+1)
	c3a := make([]float64, geodOrder)

	var s12x, sig12, salp1, calp1 float64
	meridian := lat1 == -90 || slam12 == 0
	if meridian {
		calp1, salp1 = clam12, slam12
		calp2 := 1.0
		ssig1, csig1 := sbet1, calp1*cbet1
		ssig2, csig2 := sbet2, calp2*cbet2
		sig12 = math.Atan2(math.Max(0, csig1*ssig2-ssig1*csig2), csig1*csig2+ssig1*ssig2)
		sb, mb, _ := g.lengths(g.n, sig12, ssig1, csig1, dn1, ssig2, csig2, dn2, true, true, c1a, c2a)
		s12x = sb
		if sig12 < geodTol2 || mb >= 0 {
			if sig12 < 3*geodTiny || (sig12 < geodTol0 && (s12x < 0 || mb < 0)) {
				sig12, s12x = 0, 0
			}
			s12x *= g.b
		} else {
			meridian = false
		}
	}
	if !meridian && sbet1 == 0 && (g.f <= 0 || lon12s >= g.f*180) {
		s12x = g.a * lam12
	} else if !meridian {
		st := g.inverseStart(sbet1, cbet1, dn1, sbet2, cbet2, dn2, lam12, slam12, clam12, c1a, c2a)
		sig12, salp1, calp1 = st.sig12, st.salp1, st.calp1
		if sig12 >= 0 {
			s12x = sig12 * g.b * st.dnm
		} else {
			salp1a, calp1a, salp1b, calp1b := geodTiny, 1.0, geodTiny, -1.0
			tripn, tripb := false, false
			var lv lambda12
			for numit := 0; ; numit++ {
				lv = g.lambda12(sbet1, cbet1, dn1, sbet2, cbet2, dn2, salp1, calp1, slam12, clam12, numit < geodMaxit1, c1a, c2a, c3a)
				v := lv.lam12
				lim := 1.0
				if tripn {
					lim = 8
				}
				if tripb || !(math.Abs(v) >= lim*geodTol0) || numit == geodMaxit2 {
					break
				}
				if v > 0 && (numit < geodMaxit1 || calp1/salp1 > calp1b/salp1b) {
					salp1b, calp1b = salp1, calp1
				} else if v < 0 && (numit < geodMaxit1 || calp1/salp1 < calp1a/salp1a) {
					salp1a, calp1a = salp1, calp1
				}
				if numit < geodMaxit1 && lv.dlam12 > 0 {
					dalp1 := -v / lv.dlam12
					if math.Abs(dalp1) < math.Pi {
						sdalp1, cdalp1 := math.Sin(dalp1), math.Cos(dalp1)
						nsalp1 := salp1*cdalp1 + calp1*sdalp1
						if nsalp1 > 0 {
							calp1 = calp1*cdalp1 - salp1*sdalp1
							salp1 = nsalp1
							t := math.Hypot(salp1, calp1)
							salp1 /= t
							calp1 /= t
							tripn = math.Abs(v) <= 16*geodTol0
							continue
						}
					}
				}
				salp1 = (salp1a + salp1b) / 2
				calp1 = (calp1a + calp1b) / 2
				t := math.Hypot(salp1, calp1)
				salp1 /= t
				calp1 /= t
				tripn = false
				tripb = math.Abs(salp1a-salp1)+(calp1a-calp1) < geodTolb || math.Abs(salp1-salp1b)+(calp1-calp1b) < geodTolb
			}
			sb, _, _ := g.lengths(lv.eps, lv.sig12, lv.ssig1, lv.csig1, dn1, lv.ssig2, lv.csig2, dn2, true, false, c1a, c2a)
			s12x = sb * g.b
		}
	}
	return 0 + s12x
}

// direct solves the direct geodesic problem: the point (degrees) at
// distance s12 from (lat1, lon1) along azimuth azi1 (degrees).
func (g *geodesic) direct(lat1, lon1, azi1, s12 float64) (lat2, lon2 float64) {
	azi1 = angNormalize(azi1)
	salp1, calp1 := sincosd(angRound(azi1))
	s, c := sincosd(angRound(lat1))
	sbet1, cbet1 := g.f1*s, c
	t := math.Hypot(sbet1, cbet1)
	sbet1 /= t
	cbet1 /= t
	cbet1 = math.Max(geodTiny, cbet1)
	salp0 := salp1 * cbet1
	calp0 := math.Hypot(calp1, salp1*sbet1)
	ssig1 := sbet1
	somg1 := salp0 * sbet1
	csig1 := 1.0
	if sbet1 != 0 || calp1 != 0 {
		csig1 = cbet1 * calp1
	}
	comg1 := csig1
	t = math.Hypot(ssig1, csig1)
	ssig1 /= t
	csig1 /= t
	k2 := sq(calp0) * g.ep2
	eps := k2 / (2*(1+math.Sqrt(1+k2)) + k2)
	A1m1 := a1m1f(eps)
	c1a := make([]float64, geodOrder+1)
	c1f(eps, c1a)
	B11 := sinCosSeries(true, ssig1, csig1, c1a)
	sB, cB := math.Sin(B11), math.Cos(B11)
	stau1 := ssig1*cB + csig1*sB
	ctau1 := csig1*cB - ssig1*sB
	c1pa := make([]float64, geodOrder+1)
	c1pf(eps, c1pa)
	c3a := make([]float64, geodOrder)
	g.c3f(eps, c3a)
	A3c := -g.f * salp0 * g.a3f(eps)
	B31 := sinCosSeries(true, ssig1, csig1, c3a)

	tau12 := s12 / (g.b * (1 + A1m1))
	st, ct := math.Sin(tau12), math.Cos(tau12)
	B12 := -sinCosSeries(true, stau1*ct+ctau1*st, ctau1*ct-stau1*st, c1pa)
	sig12 := tau12 - (B12 - B11)
	ssig12, csig12 := math.Sin(sig12), math.Cos(sig12)
	if math.Abs(g.f) > 0.01 {
		ssig2 := ssig1*csig12 + csig1*ssig12
		csig2 := csig1*csig12 - ssig1*ssig12
		B12 = sinCosSeries(true, ssig2, csig2, c1a)
		serr := (1+A1m1)*(sig12+(B12-B11)) - s12/g.b
		sig12 -= serr / math.Sqrt(1+k2*sq(ssig2))
		ssig12, csig12 = math.Sin(sig12), math.Cos(sig12)
	}
	ssig2 := ssig1*csig12 + csig1*ssig12
	csig2 := csig1*csig12 - ssig1*ssig12
	sbet2 := calp0 * ssig2
	cbet2 := math.Hypot(salp0, calp0*csig2)
	if cbet2 == 0 {
		cbet2, csig2 = geodTiny, geodTiny
	}
	somg2, comg2 := salp0*ssig2, csig2
	omg12 := math.Atan2(somg2*comg1-comg2*somg1, comg2*comg1+somg2*somg1)
	lam12 := omg12 + A3c*(sig12+(sinCosSeries(true, ssig2, csig2, c3a)-B31))
	lon12 := lam12 * 180 / math.Pi
	lon2 = angNormalize(angNormalize(lon1) + angNormalize(lon12))
	lat2 = atan2d(sbet2, g.f1*cbet2)
	return lat2, lon2
}
