package reference

import (
	"fmt"
	"math/big"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"
)

// bug is the panic value of an internal inconsistency of this package. It is
// recovered by Evaluate and returned as a plain error (never a *spec.Error,
// which is reserved for rule violations of the input).
type bug struct{ msg string }

func (b bug) String() string { return "reference: internal error: " + b.msg }

func bugf(format string, args ...any) bug { return bug{fmt.Sprintf(format, args...)} }

// exactCtx is the context of every Add, Sub, Mul and Neg of this package.
// apd's BaseContext has Precision 0, which disables rounding (context.go:
// "Disable rounding"; Rounder.Round returns early when the precision is 0),
// so these operations are exact on coefficients of any size. Inexact and
// Rounded are trapped on top of the default traps, so a rounding would be an
// error, never a silently changed value (NUM-3).
var exactCtx = func() *apd.Context {
	c := apd.BaseContext.WithPrecision(0)
	c.Traps |= apd.Inexact | apd.Rounded
	return c
}()

// must turns an apd error (or an inexact result) into a bug panic.
func must(c apd.Condition, err error) {
	if err != nil {
		panic(bugf("apd: %v", err))
	}
	if c.Inexact() || c.Rounded() {
		panic(bugf("apd: inexact result (condition %v)", c))
	}
}

func add(x, y *apd.Decimal) *apd.Decimal {
	z := new(apd.Decimal)
	must(exactCtx.Add(z, x, y))
	return z
}

func sub(x, y *apd.Decimal) *apd.Decimal {
	z := new(apd.Decimal)
	must(exactCtx.Sub(z, x, y))
	return z
}

func mul(x, y *apd.Decimal) *apd.Decimal {
	z := new(apd.Decimal)
	must(exactCtx.Mul(z, x, y))
	return z
}

func neg(x *apd.Decimal) *apd.Decimal {
	z := new(apd.Decimal)
	must(exactCtx.Neg(z, x))
	return z
}

// sgn returns the decimal +1 or -1 for a side sign s.
func sgn(s int) *apd.Decimal { return apd.New(int64(s), 0) }

// dec returns the small integer v as a decimal.
func dec(v int64) *apd.Decimal { return apd.New(v, 0) }

func minDec(x, y *apd.Decimal) *apd.Decimal {
	if x.Cmp(y) <= 0 {
		return x
	}
	return y
}

func maxDec(x, y *apd.Decimal) *apd.Decimal {
	if x.Cmp(y) >= 0 {
		return x
	}
	return y
}

// ---------------------------------------------------------------------------
// NUM-1, NUM-2: scale and range of inputs.

// unit is u = 1e-8, the scale of every decimal of a scenario and a report (NUM-1).
var unit = apd.New(1, -8)

// maxValue is MAX = 92233720368.54775807, the int64 range at scale 1e-8 (NUM-2).
var maxValue = apd.New(9223372036854775807, -8)

// maxUnits is MAX in units of 1e-8.
var maxUnits = big.NewInt(9223372036854775807)

// inputStatus is the outcome of reading an input decimal.
type inputStatus int

const (
	inputOK         inputStatus = iota
	inputOffGrid                // NUM-1: a non-zero digit beyond the 8th fractional digit
	inputOutOfRange             // NUM-2: |d| > MAX
)

// fromInput converts the shopspring decimal d exactly (from its coefficient
// and exponent, never through a float or a string) into an apd decimal with
// exponent -8, after checking NUM-1 (d is a multiple of 1e-8; trailing zeros
// beyond the 8th place are fine) and then NUM-2 (|d| <= MAX). The coefficient
// and exponent are handled so that no input, however extreme its exponent,
// allocates more than its own coefficient's size.
func fromInput(d decimal.Decimal) (*apd.Decimal, inputStatus) {
	coeff := d.Coefficient() // a copy; d is not modified
	exp := int64(d.Exponent())
	units := new(big.Int) // d * 1e8
	switch {
	case coeff.Sign() == 0:
		// zero, whatever its exponent
	case exp >= -8:
		// d = coeff * 10^exp is an integer number of units: coeff * 10^(exp+8).
		// With exp+8 > 19, |units| >= 10^20 > MAX in units: out of range.
		if exp+8 > 19 {
			return nil, inputOutOfRange
		}
		units.Mul(coeff, new(big.Int).Exp(big.NewInt(10), big.NewInt(exp+8), nil))
	default:
		// d has digits below 1e-8: it is on the grid iff coeff is a multiple
		// of 10^k, k = -8-exp. A non-zero multiple of 10^k has at least k bits
		// (10^k > 2^k), so a shorter coefficient is off the grid.
		k := -8 - exp
		if k >= int64(coeff.BitLen()) {
			return nil, inputOffGrid
		}
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(k), nil)
		var rem big.Int
		units.QuoRem(coeff, p, &rem)
		if rem.Sign() != 0 {
			return nil, inputOffGrid
		}
	}
	if new(big.Int).Abs(units).Cmp(maxUnits) > 0 {
		return nil, inputOutOfRange
	}
	return apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(units), -8), inputOK
}

// inRange reports NUM-2 for a reported value: -MAX <= x <= MAX.
func inRange(x *apd.Decimal) bool {
	a := new(apd.Decimal).Abs(x)
	return a.Cmp(maxValue) <= 0
}

// toDecimal converts a reported value, which is a multiple of 1e-8 by
// construction (it comes out of a rounding operator or is an input), to the
// shopspring decimal of the same exact value.
func toDecimal(x *apd.Decimal) decimal.Decimal {
	if x.Form != apd.Finite {
		panic(bugf("non-finite reported value %s", x))
	}
	coeff := x.Coeff.MathBigInt()
	if x.Negative {
		coeff.Neg(coeff)
	}
	shift := int64(x.Exponent) + 8 // x * 1e8 = coeff * 10^shift
	units := new(big.Int)
	ten := big.NewInt(10)
	if shift >= 0 {
		units.Mul(coeff, new(big.Int).Exp(ten, big.NewInt(shift), nil))
	} else {
		var rem big.Int
		units.QuoRem(coeff, new(big.Int).Exp(ten, big.NewInt(-shift), nil), &rem)
		if rem.Sign() != 0 {
			panic(bugf("reported value %s is not a multiple of 1e-8", x))
		}
	}
	return decimal.NewFromBigInt(units, -8)
}

// ---------------------------------------------------------------------------
// Exact rationals. SPEC writes quotients (N / L_eff, MM / E, the roots of
// LIQ-4 and BKR-1, the funding term of MARK-2); this package keeps each as an
// exact ratio and rounds it only where it is reported.

// ratio is the exact rational number num/den, always with den > 0.
type ratio struct{ num, den *apd.Decimal }

// exact is the decimal x as a ratio x/1.
func exact(x *apd.Decimal) ratio { return ratio{x, dec(1)} }

// quo is the exact quotient a/b, b != 0.
func quo(a, b *apd.Decimal) ratio {
	switch b.Sign() {
	case 0:
		panic(bugf("division by zero: %s / %s", a, b))
	case -1:
		a, b = neg(a), neg(b)
	}
	return scaled(a, b)
}

// scaled returns num/den (den > 0) with both multiplied by 10^k so that den
// is an integer (exponent 0). The value is unchanged; this only keeps the
// exponents of long chains of ratio arithmetic (e.g. a pool's IM, a sum over
// many positions) from drifting toward apd's exponent limit, so that no
// intermediate the exact computation can carry fails (NUM-2).
func scaled(num, den *apd.Decimal) ratio {
	k := -den.Exponent
	n, d := new(apd.Decimal).Set(num), new(apd.Decimal).Set(den)
	n.Exponent += k
	d.Exponent = 0
	return ratio{n, d}
}

// plus returns r + o = (r.num*o.den + o.num*r.den) / (r.den*o.den).
func (r ratio) plus(o ratio) ratio {
	return scaled(add(mul(r.num, o.den), mul(o.num, r.den)), mul(r.den, o.den))
}

// minus returns r - o.
func (r ratio) minus(o ratio) ratio {
	return scaled(sub(mul(r.num, o.den), mul(o.num, r.den)), mul(r.den, o.den))
}

// times returns r * o.
func (r ratio) times(o ratio) ratio {
	return scaled(mul(r.num, o.num), mul(r.den, o.den))
}

// String formats r as num/den (diagnostics).
func (r ratio) String() string { return str(r.num) + "/" + str(r.den) }

// over returns r / d, d != 0.
func (r ratio) over(d *apd.Decimal) ratio {
	return r.times(quo(dec(1), d))
}

// sign returns -1, 0 or +1.
func (r ratio) sign() int { return r.num.Sign() }

// cmpRatio compares a and b numerically by cross-multiplication (NUM-6):
// a < b iff a.num*b.den < b.num*a.den, the denominators being positive.
func cmpRatio(a, b ratio) int {
	return mul(a.num, b.den).Cmp(mul(b.num, a.den))
}

func minRatio(a, b ratio) ratio {
	if cmpRatio(a, b) <= 0 {
		return a
	}
	return b
}

func maxRatio(a, b ratio) ratio {
	if cmpRatio(a, b) >= 0 {
		return a
	}
	return b
}

// ---------------------------------------------------------------------------
// NUM-4: rounding operators.

// adjusted is the adjusted exponent of a non-zero x: x = d.ddd * 10^adjusted.
func adjusted(x *apd.Decimal) int64 { return int64(x.Exponent) + x.NumDigits() - 1 }

// directedQuo returns a/b rounded in the direction of rounding (apd.RoundFloor
// or apd.RoundCeiling) to enough significant digits that the result keeps at
// least one digit below the units place, i.e. its exponent is <= 0 (unless the
// quotient is exact).
//
// Why this makes the following Floor/Ceil exact: |a/b| < 10^(adj(a)-adj(b)+1),
// so the integer part of a/b has at most adj(a)-adj(b)+1 digits; with a
// precision of that plus 10, apd's Quo rounds on a grid 10^e with e <= -1.
// Rounding a/b down (up) on a grid that contains the integers and then taking
// the floor (ceiling) gives exactly floor(a/b) (ceil(a/b)): the directed
// quotient never crosses an integer that the true quotient does not cross.
func directedQuo(a, b *apd.Decimal, rounding apd.Rounder) *apd.Decimal {
	if b.IsZero() {
		panic(bugf("division by zero: %s / %s", a, b))
	}
	if a.IsZero() {
		return dec(0)
	}
	intDigits := adjusted(a) - adjusted(b) + 1
	prec := int64(10)
	if intDigits > 0 {
		prec += intDigits
	}
	if prec > 100000 {
		panic(bugf("quotient %s / %s too large", a, b))
	}
	ctx := apd.BaseContext.WithPrecision(uint32(prec))
	ctx.Rounding = rounding
	q := new(apd.Decimal)
	c, err := ctx.Quo(q, a, b)
	if err != nil {
		panic(bugf("apd Quo: %v", err))
	}
	if c.Inexact() && q.Exponent > 0 {
		panic(bugf("directed quotient %s / %s lost integer digits", a, b))
	}
	return q
}

// floorQuo returns floor(a/b), exactly, for b != 0.
func floorQuo(a, b *apd.Decimal) *apd.Decimal {
	q := directedQuo(a, b, apd.RoundFloor)
	z := new(apd.Decimal)
	must(exactCtx.Floor(z, q))
	return z
}

// ceilQuo returns ceil(a/b), exactly, for b != 0.
func ceilQuo(a, b *apd.Decimal) *apd.Decimal {
	q := directedQuo(a, b, apd.RoundCeiling)
	z := new(apd.Decimal)
	must(exactCtx.Ceil(z, q))
	return z
}

// perUnit is 1/u = 1e8.
var perUnit = apd.New(100000000, 0)

// down is NUM-4 down(x): the largest multiple of u = 1e-8 that is <= x.
// down(num/den) = u * floor(num * 1e8 / den).
func down(x ratio) *apd.Decimal {
	return mul(floorQuo(mul(x.num, perUnit), x.den), unit)
}

// up is NUM-4 up(x): the smallest multiple of u = 1e-8 that is >= x.
// up(num/den) = u * ceil(num * 1e8 / den).
func up(x ratio) *apd.Decimal {
	return mul(ceilQuo(mul(x.num, perUnit), x.den), unit)
}

// tickDown is NUM-4 tickDown(x) = k * floor(x/k) for a tick k > 0;
// for x = num/den, x/k = num / (den*k).
func tickDown(x ratio, k *apd.Decimal) *apd.Decimal {
	return mul(floorQuo(x.num, mul(x.den, k)), k)
}

// tickUp is NUM-4 tickUp(x) = k * ceil(x/k) for a tick k > 0.
func tickUp(x ratio, k *apd.Decimal) *apd.Decimal {
	return mul(ceilQuo(x.num, mul(x.den, k)), k)
}

// str formats an exact decimal for a message, in plain notation without
// trailing zeros (never in exponent notation).
func str(x *apd.Decimal) string {
	r := new(apd.Decimal)
	r.Reduce(x)
	return r.Text('f')
}

// inputText formats an input decimal for an error message. It does not use
// decimal.String for extreme exponents: that would expand, say, 1e2147483647
// digit by digit.
func inputText(d decimal.Decimal) string {
	if e := d.Exponent(); e < -40 || e > 40 {
		return fmt.Sprintf("%se%d", d.Coefficient().String(), e)
	}
	return d.String()
}
