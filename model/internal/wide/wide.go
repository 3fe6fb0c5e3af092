// Package wide provides the fixed-width integer arithmetic behind the model's
// fixed-point engine: a signed 192-bit two's-complement integer with the few
// operations the margin formulas need, built on math/bits, and a bounded
// wide-by-wide division. Nothing here allocates or panics.
//
// Bounds. The model's inputs are int64 multiples of 1e-8 (|x| < 2^63). The
// widest intermediates are products of three inputs (size*mark*MMR at scale
// 1e-24, < 2^153) and sums of such products over the positions of one pool,
// which stay far below 2^191 for any number of positions a machine can hold
// (2^38). The operations below are therefore unchecked modular arithmetic on
// 192 bits; the model documents, at each call site, why the value fits.
package wide

import "math/bits"

// Int is a signed 192-bit integer in two's complement, least significant
// word first.
type Int struct{ W0, W1, W2 uint64 }

// FromInt64 returns x as an Int.
func FromInt64(x int64) Int {
	s := uint64(x >> 63)
	return Int{uint64(x), s, s}
}

// FromU128 returns the non-negative 128-bit value hi*2^64+lo as an Int.
func FromU128(hi, lo uint64) Int { return Int{lo, hi, 0} }

// MulU64 returns the exact product a*b of two unsigned 64-bit values.
func MulU64(a, b uint64) Int {
	hi, lo := bits.Mul64(a, b)
	return Int{lo, hi, 0}
}

// MulI64 returns the exact product a*b of a signed and an unsigned value.
func MulI64(a int64, b uint64) Int {
	if a >= 0 {
		return MulU64(uint64(a), b)
	}
	return MulU64(uint64(-a), b).Neg() // uint64(-MinInt64) is 2^63: correct
}

// Add returns x+y (mod 2^192).
func (x Int) Add(y Int) Int {
	w0, c := bits.Add64(x.W0, y.W0, 0)
	w1, c := bits.Add64(x.W1, y.W1, c)
	w2, _ := bits.Add64(x.W2, y.W2, c)
	return Int{w0, w1, w2}
}

// Sub returns x-y (mod 2^192).
func (x Int) Sub(y Int) Int {
	w0, b := bits.Sub64(x.W0, y.W0, 0)
	w1, b := bits.Sub64(x.W1, y.W1, b)
	w2, _ := bits.Sub64(x.W2, y.W2, b)
	return Int{w0, w1, w2}
}

// Neg returns -x.
func (x Int) Neg() Int { return Int{}.Sub(x) }

// Abs returns |x|.
func (x Int) Abs() Int {
	if x.IsNeg() {
		return x.Neg()
	}
	return x
}

// IsNeg reports x < 0.
func (x Int) IsNeg() bool { return int64(x.W2) < 0 }

// IsZero reports x == 0.
func (x Int) IsZero() bool { return x.W0|x.W1|x.W2 == 0 }

// Sign returns -1, 0 or +1.
func (x Int) Sign() int {
	if x.IsNeg() {
		return -1
	}
	if x.IsZero() {
		return 0
	}
	return 1
}

// Cmp compares x and y as signed integers and returns -1, 0 or +1.
func (x Int) Cmp(y Int) int {
	if x.W2 != y.W2 {
		if int64(x.W2) < int64(y.W2) {
			return -1
		}
		return 1
	}
	if x.W1 != y.W1 {
		if x.W1 < y.W1 {
			return -1
		}
		return 1
	}
	if x.W0 != y.W0 {
		if x.W0 < y.W0 {
			return -1
		}
		return 1
	}
	return 0
}

// Less reports x < y (signed).
func (x Int) Less(y Int) bool { return x.Cmp(y) < 0 }

// Mul returns x*y for a signed x and an unsigned y (mod 2^192; the caller
// guarantees the product fits).
func (x Int) Mul(y uint64) Int {
	h0, l0 := bits.Mul64(x.W0, y)
	h1, l1 := bits.Mul64(x.W1, y)
	w1, c := bits.Add64(l1, h0, 0)
	w2 := x.W2*y + h1 + c
	return Int{l0, w1, w2}
}

// Int64 returns x as an int64 and whether it fits.
func (x Int) Int64() (int64, bool) {
	s := uint64(int64(x.W0) >> 63)
	return int64(x.W0), x.W1 == s && x.W2 == s
}

// quoRemU divides the non-negative x by d > 0.
func (x Int) quoRemU(d uint64) (Int, uint64) {
	if x.W2 == 0 && x.W1 < d {
		q, r := bits.Div64(x.W1, x.W0, d)
		return Int{q, 0, 0}, r
	}
	q2, r := bits.Div64(0, x.W2, d)
	q1, r := bits.Div64(r, x.W1, d)
	q0, r := bits.Div64(r, x.W0, d)
	return Int{q0, q1, q2}, r
}

// DivFloor returns q = floor(x/d) and r = x - q*d (0 <= r < d) for d > 0.
func (x Int) DivFloor(d uint64) (Int, uint64) {
	if !x.IsNeg() {
		return x.quoRemU(d)
	}
	q, r := x.Neg().quoRemU(d)
	if r == 0 {
		return q.Neg(), 0
	}
	return q.Neg().Sub(Int{1, 0, 0}), d - r
}

// DivCeil returns ceil(x/d) for d > 0.
func (x Int) DivCeil(d uint64) Int {
	q, r := x.DivFloor(d)
	if r != 0 {
		q = q.Add(Int{1, 0, 0})
	}
	return q
}

// QuoCeilBounded returns ceil(a/b) for a >= 0 and b > 0 when it is <= max
// (max < 2^63), and ok == false when it exceeds max.
func QuoCeilBounded(a, b Int, max uint64) (q uint64, ok bool) {
	if b.W2 == 0 {
		if b.W1 == 0 {
			d := b.W0
			if a.W2 != 0 || a.W1 >= d { // quotient >= 2^64
				return 0, false
			}
			q, r := bits.Div64(a.W1, a.W0, d)
			if r != 0 {
				q++ // q < 2^64-1 here unless the quotient exceeds max anyway
				if q == 0 {
					return 0, false
				}
			}
			return q, q <= max
		}
		return quo2(a, b.W1, b.W0, max)
	}
	// A three-word divisor: ceil(a/b) <= max  <=>  a <= b*max (b*max has at
	// most 4 words).
	var p [4]uint64
	h0, l0 := bits.Mul64(b.W0, max)
	h1, l1 := bits.Mul64(b.W1, max)
	h2, l2 := bits.Mul64(b.W2, max)
	var c uint64
	p[0] = l0
	p[1], c = bits.Add64(l1, h0, 0)
	p[2], c = bits.Add64(l2, h1, c)
	p[3] = h2 + c
	if p[3] == 0 && cmp3([3]uint64{a.W0, a.W1, a.W2}, [3]uint64{p[0], p[1], p[2]}) > 0 {
		return 0, false
	}
	fq, exact := quoSmall(a, b)
	if !exact {
		fq++
	}
	return fq, true
}

// quo2 is QuoCeilBounded for a two-word divisor b1:b0 (b1 != 0): one step of
// Knuth's algorithm D.
func quo2(a Int, b1, b0, max uint64) (uint64, bool) {
	s := uint(bits.LeadingZeros64(b1))
	// Normalize (a shift by 64 is 0 in Go, which covers s == 0).
	v1 := b1<<s | b0>>(64-s)
	v0 := b0 << s
	u3 := a.W2 >> (64 - s)
	u2 := a.W2<<s | a.W1>>(64-s)
	u1 := a.W1<<s | a.W0>>(64-s)
	u0 := a.W0 << s
	// The quotient is below 2^64 iff a < b*2^64 iff u3 == 0 and u2:u1 < v1:v0.
	if u3 != 0 || u2 > v1 || (u2 == v1 && u1 >= v0) {
		return 0, false
	}
	qhat := ^uint64(0)
	if u2 != v1 {
		qhat, _ = bits.Div64(u2, u1, v1)
	}
	for { // at most two corrections (Knuth, theorem B)
		h0, p0 := bits.Mul64(qhat, v0)
		h1, l1 := bits.Mul64(qhat, v1)
		p1, c := bits.Add64(l1, h0, 0)
		p2 := h1 + c
		if p2 < u2 || (p2 == u2 && (p1 < u1 || (p1 == u1 && p0 <= u0))) {
			q := qhat
			if p2 != u2 || p1 != u1 || p0 != u0 {
				if q == ^uint64(0) {
					return 0, false
				}
				q++
			}
			return q, q <= max
		}
		qhat--
	}
}

func cmp3(x, y [3]uint64) int {
	for i := 2; i >= 0; i-- {
		if x[i] != y[i] {
			if x[i] < y[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// quoSmall returns floor(a/b) and whether the division is exact, for a >= 0,
// b > 0 and a quotient below 2^63 (Knuth's algorithm D with a one-word
// quotient).
func quoSmall(a, b Int) (uint64, bool) {
	if b.W2 == 0 && b.W1 == 0 {
		d := b.W0
		if a.W2 != 0 || a.W1 >= d { // cannot happen under the precondition
			q, r := a.quoRemU(d)
			return q.W0, r == 0
		}
		q, r := bits.Div64(a.W1, a.W0, d)
		return q, r == 0
	}
	n := 2
	if b.W2 != 0 {
		n = 3
	}
	bw := [3]uint64{b.W0, b.W1, b.W2}
	s := uint(bits.LeadingZeros64(bw[n-1]))
	// Normalize: v = b << s (n words), u = a << s (n+1 words).
	var v [3]uint64
	var u [4]uint64
	aw := [3]uint64{a.W0, a.W1, a.W2}
	if s == 0 {
		copy(v[:], bw[:])
		u[0], u[1], u[2] = aw[0], aw[1], aw[2]
	} else {
		for i := 2; i > 0; i-- {
			v[i] = bw[i]<<s | bw[i-1]>>(64-s)
		}
		v[0] = bw[0] << s
		u[3] = aw[2] >> (64 - s)
		for i := 2; i > 0; i-- {
			u[i] = aw[i]<<s | aw[i-1]>>(64-s)
		}
		u[0] = aw[0] << s
	}
	var qhat uint64
	if u[n] >= v[n-1] {
		qhat = ^uint64(0)
	} else {
		qhat, _ = bits.Div64(u[n], u[n-1], v[n-1])
	}
	// prod = qhat * v (n+1 words); decrease qhat while prod > u[0..n].
	for {
		var prod [4]uint64
		var carry uint64
		for i := 0; i < n; i++ {
			hi, lo := bits.Mul64(v[i], qhat)
			var c uint64
			prod[i], c = bits.Add64(lo, carry, 0)
			carry = hi + c
		}
		prod[n] = carry
		gt := false
		eq := true
		for i := n; i >= 0; i-- {
			if prod[i] != u[i] {
				gt = prod[i] > u[i]
				eq = false
				break
			}
		}
		if !gt {
			return qhat, eq
		}
		qhat--
	}
}
