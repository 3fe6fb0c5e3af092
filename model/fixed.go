package model

import (
	"math"
	"math/big"
	"math/bits"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// Fixed is a decimal quantity as an integer number of units u = 1e-8 (SPEC
// NUM-1): the Fixed value 150000000 is the decimal 1.5. Every value a Scenario
// or a Report holds is a Fixed in [-MaxFixed, MaxFixed] (SPEC NUM-2).
type Fixed int64

// Scale is the number of units in 1: a Fixed f is the decimal f/Scale.
const Scale = 100_000_000

// MaxFixed is MAX of SPEC NUM-2, 92233720368.54775807, the largest Fixed. The
// range is symmetric, so math.MinInt64 is not a valid Fixed.
const MaxFixed Fixed = math.MaxInt64

// String returns f in shortest decimal form: no exponent, no trailing
// fractional zeros, no decimal point for integers ("1.5", "-0.00000001", "0").
func (f Fixed) String() string {
	var buf [32]byte
	return string(f.Append(buf[:0]))
}

// Append appends f.String() to b without building the string (for encoders
// that write many values, such as perpcheck run's effects).
func (f Fixed) Append(b []byte) []byte {
	u := uint64(f)
	if f < 0 {
		b = append(b, '-')
		u = -u
	}
	b = strconv.AppendUint(b, u/Scale, 10)
	fp := u % Scale
	if fp == 0 {
		return b
	}
	var frac [8]byte
	for i := 7; i >= 0; i-- {
		frac[i] = byte('0' + fp%10)
		fp /= 10
	}
	n := 8
	for frac[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, frac[:n]...)
}

// Decimal returns f as an exact decimal (coefficient f, exponent -8).
func (f Fixed) Decimal() decimal.Decimal { return decimal.New(int64(f), -8) }

// FixedFromDecimal converts d to a Fixed exactly. A non-zero digit beyond the
// 8th fractional digit is an *Error with Rule "NUM-1"; a value outside
// [-MaxFixed, MaxFixed] is an *Error with Rule "NUM-2" (NUM-1 is checked
// first). The returned Error has an empty Path; callers that know the field
// set it.
func FixedFromDecimal(d decimal.Decimal) (Fixed, error) {
	v, rule := fromDecimal(d)
	if rule != "" {
		return 0, numError("", rule, d)
	}
	return Fixed(v), nil
}

var (
	bigMaxFixed = big.NewInt(math.MaxInt64)
	bigMinFixed = big.NewInt(-math.MaxInt64)
)

// fromDecimal converts d to units of 1e-8 and returns the rule it breaks
// ("NUM-1", "NUM-2") or "".
func fromDecimal(d decimal.Decimal) (int64, string) {
	if d.NumDigits() <= 18 { // the coefficient fits an int64: no big.Int
		return fromSmall(d.CoefficientInt64(), int(d.Exponent())+8)
	}
	coef := d.Coefficient()
	if coef.Sign() == 0 {
		return 0, ""
	}
	shift := int64(d.Exponent()) + 8
	if shift < 0 {
		k := -shift
		// |coef| < 2^BitLen <= 10^k: a non-zero coef is not a multiple of 10^k.
		if k >= int64(coef.BitLen()) {
			return 0, "NUM-1"
		}
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(k), nil)
		var r big.Int
		coef.QuoRem(coef, p, &r)
		if r.Sign() != 0 {
			return 0, "NUM-1"
		}
	} else {
		if shift > 19 { // |coef| >= 1, and 10^19 units > MAX
			return 0, "NUM-2"
		}
		coef.Mul(coef, new(big.Int).Exp(big.NewInt(10), big.NewInt(shift), nil))
	}
	if coef.Cmp(bigMaxFixed) > 0 || coef.Cmp(bigMinFixed) < 0 {
		return 0, "NUM-2"
	}
	return coef.Int64(), ""
}

var pow10 = [19]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// fromSmall is fromDecimal for a coefficient c with |c| < 10^18 and the value
// c * 10^(shift-8).
func fromSmall(c int64, shift int) (int64, string) {
	if c == 0 {
		return 0, ""
	}
	u := uint64(c)
	if c < 0 {
		u = -u
	}
	if shift >= 0 {
		if shift > 18 { // |c| >= 1, and 10^19 units > MAX
			return 0, "NUM-2"
		}
		hi, lo := bits.Mul64(u, pow10[shift])
		if hi != 0 || lo > math.MaxInt64 {
			return 0, "NUM-2"
		}
		if c < 0 {
			return -int64(lo), ""
		}
		return int64(lo), ""
	}
	k := -shift
	if k > 18 || u%pow10[k] != 0 { // |c| < 10^18 is not a multiple of 10^k > 10^18
		return 0, "NUM-1"
	}
	if c < 0 {
		return -int64(u / pow10[k]), ""
	}
	return int64(u / pow10[k]), ""
}

func numError(path, rule string, d decimal.Decimal) *spec.Error {
	if rule == "NUM-1" {
		return &spec.Error{Path: path, Rule: rule, Msg: "value " + decString(d) + " has a non-zero digit beyond the 8th fractional digit"}
	}
	return &spec.Error{Path: path, Rule: rule, Msg: "value " + decString(d) + " is outside [-92233720368.54775807, 92233720368.54775807]"}
}

// decString formats d for a message, in scientific form when its exponent
// is extreme (so that 1e1000000 does not become a megabyte of zeros).
func decString(d decimal.Decimal) string {
	if e := d.Exponent(); e > 40 || e < -40 {
		return d.Coefficient().String() + "e" + strconv.Itoa(int(e))
	}
	return d.String()
}
