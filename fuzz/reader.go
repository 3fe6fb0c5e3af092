package fuzz

import (
	"math"
	"math/big"
	"math/bits"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
)

// u is one unit, 1e-8, as a Fixed; one is 1.
const (
	u     int64 = 1
	one   int64 = model.Scale
	maxFx int64 = math.MaxInt64
)

// reader hands out the fuzzer's bytes one decision at a time. Reading past
// the end yields zeros, so every input decodes, and an all-zero (or empty)
// input decodes to the decoder's defaults: a small valid scenario.
type reader struct {
	b []byte
	i int
}

func (r *reader) u8() byte {
	if r.i >= len(r.b) {
		r.i++
		return 0
	}
	v := r.b[r.i]
	r.i++
	return v
}

func (r *reader) u16() uint16 { return uint16(r.u8())<<8 | uint16(r.u8()) }

func (r *reader) u64() uint64 {
	var v uint64
	for range 8 {
		v = v<<8 | uint64(r.u8())
	}
	return v
}

// n returns a choice in [0, k) for 1 <= k <= 256.
func (r *reader) n(k int) int {
	if k <= 1 {
		r.u8()
		return 0
	}
	return int(r.u8()) % k
}

// Value modes: the low 7 bits of a value's first byte pick how the value is
// drawn; the high bit picks its representation (exponent -8, or the shortest
// coefficient with the largest exponent, e.g. 1e3). Modes 0..31 give the
// context's default, so that zero bytes decode to a sensible value; only the
// last two modes without the high bit (1 in 256 each) give invalid input
// (NUM-1, NUM-2), so that most decoded scenarios are valid and reach deep
// code.
const (
	modeDefault  = 0   // 0..31: the default
	modeZero     = 32  // 32..37: 0
	modeUnit     = 38  // 38..41: one unit
	modeUnits    = 42  // 42..45: 2..257 units
	modeBaseMul  = 46  // 46..59: base * k, k in 1..65536 (tick and lot multiples)
	modeDefDelta = 60  // 60..71: default +- up to 128 units
	modeBaseNear = 72  // 72..79: base * k +- up to 128 units
	modeNice     = 80  // 80..87: m * 10^e, m in 1..256, e in -8..8
	modeScale16  = 88  // 88..95: default * k / 16, k in 1..256
	modeShift    = 96  // 96..103: default * 2^j or / 2^j, j in 0..31
	modeNearMax  = 104 // 104..111: MAX - k, k in 0..255
	modeRaw      = 112 // 112..125 (and 126, 127 with the high bit): any int64 from 8 bytes (the encoder's mode)
	modeSubUnit  = 126 // without the high bit: a ninth fractional digit, NUM-1
	modeTooBig   = 127 // without the high bit: beyond MAX, NUM-2
)

// val draws a decimal for a field whose typical value is def and whose grid
// is base (both in units of 1e-8). It returns the decimal and its value in
// units; when the decimal is not a valid Fixed the value is def.
func (r *reader) val(def, base int64) (decimal.Decimal, int64) {
	v, short, bad := r.draw(def, base)
	if bad != nil {
		return *bad, def
	}
	return fixedDecimal(v, short), v
}

// bval is val for a field with a range [lo, hi] (hi - lo >= 0): a drawn value
// outside it is wrapped into it (modulo the range's width), so that a value
// already inside, as the encoder writes, is kept. Use a range one unit wider
// than the valid one to keep an invalid boundary value reachable (a rate of
// exactly 1, a mark of 0). Invalid modes (NUM-1, NUM-2) are not wrapped.
func (r *reader) bval(def, base, lo, hi int64) (decimal.Decimal, int64) {
	v, short, bad := r.draw(def, base)
	if bad != nil {
		return *bad, def
	}
	if v < lo || v > hi {
		width := uint64(hi) - uint64(lo) + 1 // 0 means the whole uint64 range
		off := uint64(v) - uint64(lo)
		if width != 0 {
			off %= width
		}
		v = int64(uint64(lo) + off)
	}
	return fixedDecimal(v, short), v
}

// draw draws a value in units, with its representation; bad is set instead
// for the invalid modes.
func (r *reader) draw(def, base int64) (v int64, short bool, bad *decimal.Decimal) {
	b := r.u8()
	m := int(b & 127)
	short = b&128 != 0
	switch {
	case m < modeZero:
		v = def
	case m < modeUnit:
		v = 0
	case m < modeUnits:
		v = u
	case m < modeBaseMul:
		v = 2 + int64(r.u8())
	case m < modeDefDelta:
		v = satMul(base, 1+int64(r.u16()))
	case m < modeBaseNear:
		v = satAdd(def, int64(int8(r.u8())))
	case m < modeNice:
		k := satMul(base, 1+int64(r.u8()))
		v = satAdd(k, int64(int8(r.u8())))
	case m < modeScale16:
		mant := 1 + int64(r.u8())
		e := int(r.u8() % 17) // 10^(e-8) units of 1e-8 is 10^e units
		v = satMul(mant, pow10(e))
	case m < modeShift:
		v = satMul(def, 1+int64(r.u8())) / 16
	case m < modeNearMax:
		j := r.u8()
		if j&1 == 0 {
			v = satMul(def, int64(1)<<((j>>1)%32))
		} else {
			v = def >> ((j >> 1) % 32)
		}
	case m < modeRaw:
		v = maxFx - int64(r.u8())
	case m < modeSubUnit || short:
		// Raw; also modes 126 and 127 with the high bit set, so that the
		// invalid modes below are 1 in 256 each.
		x := int64(r.u64())
		if x == math.MinInt64 {
			d := decimal.New(x, -8) // outside the range: NUM-2
			return 0, false, &d
		}
		v = x
	case m == modeSubUnit:
		d := decimal.New(int64(r.u16())*10+1+int64(r.u8()%9), -9)
		return 0, false, &d
	default: // modeTooBig
		x := new(big.Int).SetInt64(maxFx)
		x.Add(x, big.NewInt(1+int64(r.u8())))
		if r.u8()&1 == 1 {
			x.Neg(x)
		}
		d := decimal.NewFromBigInt(x, -8)
		return 0, false, &d
	}
	return v, short, nil
}

// nval draws an optional decimal: null for a quarter of the first byte's
// values (including 0), else val.
func (r *reader) nval(def, base int64) decimal.NullDecimal {
	if r.u8()&3 == 0 {
		return decimal.NullDecimal{}
	}
	d, _ := r.val(def, base)
	return decimal.NullDecimal{Decimal: d, Valid: true}
}

// nbval is an optional bval.
func (r *reader) nbval(def, base, lo, hi int64) decimal.NullDecimal {
	if r.u8()&3 == 0 {
		return decimal.NullDecimal{}
	}
	d, _ := r.bval(def, base, lo, hi)
	return decimal.NullDecimal{Decimal: d, Valid: true}
}

// sval draws a decimal of either sign (funding rates, basis) whose absolute
// value is drawn as bval draws it.
func (r *reader) sval(def, base, lo, hi int64) decimal.Decimal {
	d, _ := r.bval(def, base, lo, hi)
	if r.u8()&1 == 1 {
		d = d.Neg()
	}
	return d
}

// nsval is an optional sval.
func (r *reader) nsval(def, base, lo, hi int64) decimal.NullDecimal {
	if r.u8()&3 == 0 {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: r.sval(def, base, lo, hi), Valid: true}
}

// fixedDecimal returns v units as a decimal: exponent -8, or with short the
// shortest coefficient (1000 units of 1 = coefficient 1, exponent 3).
func fixedDecimal(v int64, short bool) decimal.Decimal {
	if !short || v == 0 {
		return decimal.New(v, -8)
	}
	e := int32(-8)
	for v%10 == 0 {
		v /= 10
		e++
	}
	return decimal.New(v, e)
}

func pow10(e int) int64 {
	p := int64(1)
	for range e {
		p *= 10
	}
	return p
}

// satAdd and satMul are int64 arithmetic clamped to [-MAX, MAX].
func satAdd(a, b int64) int64 {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || s > maxFx {
		return maxFx
	}
	if (a < 0 && b < 0 && s >= 0) || s < -maxFx {
		return -maxFx
	}
	return s
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	neg := (a < 0) != (b < 0)
	hi, lo := bits.Mul64(absU(a), absU(b))
	if hi != 0 || lo > uint64(maxFx) {
		if neg {
			return -maxFx
		}
		return maxFx
	}
	if neg {
		return -int64(lo)
	}
	return int64(lo)
}

func absU(a int64) uint64 {
	if a < 0 {
		return -uint64(a)
	}
	return uint64(a)
}

// toFixed returns d in units, or def when d is not a valid Fixed.
func toFixed(d decimal.Decimal, def int64) int64 {
	f, err := model.FixedFromDecimal(d)
	if err != nil {
		return def
	}
	return int64(f)
}

// writer is the inverse of reader for the encoder: it emits the bytes that
// make the decoder take given decisions.
type writer struct{ b []byte }

func (w *writer) u8(v byte) { w.b = append(w.b, v) }

func (w *writer) u64(v uint64) {
	for i := 7; i >= 0; i-- {
		w.b = append(w.b, byte(v>>(8*i)))
	}
}

// val emits the exact value v (units) in raw mode.
func (w *writer) val(v int64) {
	w.u8(modeRaw)
	w.u64(uint64(v))
}

// nval emits an optional value.
func (w *writer) nval(d decimal.NullDecimal) error {
	if !d.Valid {
		w.u8(0)
		return nil
	}
	v, err := model.FixedFromDecimal(d.Decimal)
	if err != nil {
		return err
	}
	w.u8(1)
	w.val(int64(v))
	return nil
}

// dval emits a decimal that must be a valid Fixed.
func (w *writer) dval(d decimal.Decimal) error {
	v, err := model.FixedFromDecimal(d)
	if err != nil {
		return err
	}
	w.val(int64(v))
	return nil
}

// sval emits a signed value: its absolute value, then the sign.
func (w *writer) sval(d decimal.Decimal) error {
	if err := w.dval(d.Abs()); err != nil {
		return err
	}
	if d.IsNegative() {
		w.u8(1)
	} else {
		w.u8(0)
	}
	return nil
}

// nsval emits an optional signed value.
func (w *writer) nsval(d decimal.NullDecimal) error {
	if !d.Valid {
		w.u8(0)
		return nil
	}
	w.u8(1)
	return w.sval(d.Decimal)
}
