package reference

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"
)

func apdOf(t *testing.T, s string) *apd.Decimal {
	t.Helper()
	d, _, err := apd.NewFromString(s)
	if err != nil {
		t.Fatalf("bad test decimal %q: %v", s, err)
	}
	return d
}

// TestRoundingOperators checks NUM-4's up, down, tickUp and tickDown on hand
// cases, including the apd pitfall of issues #122 / #140 (a directed rounding
// of a value whose every digit is below the target exponent).
func TestRoundingOperators(t *testing.T) {
	cases := []struct {
		x                ratio
		wantUp, wantDown string
	}{
		// apd #122/#140: ceil of 0.00000000005 to 8 places is 0.00000001.
		{exact(apdOf(t, "0.00000000005")), "0.00000001", "0"},
		{exact(apdOf(t, "-0.00000000005")), "0", "-0.00000001"},
		{exact(apdOf(t, "5E-100")), "0.00000001", "0"},
		{exact(apdOf(t, "0.00000001")), "0.00000001", "0.00000001"},
		{exact(apdOf(t, "1.000000015")), "1.00000002", "1.00000001"},
		{exact(apdOf(t, "-1.000000015")), "-1.00000001", "-1.00000002"},
		{exact(apdOf(t, "0")), "0", "0"},
		{exact(apdOf(t, "123456789012345678901234567890.123456789")), "123456789012345678901234567890.12345679", "123456789012345678901234567890.12345678"},
		{quo(dec(900), apdOf(t, "950")), "0.94736843", "0.94736842"},
		{quo(dec(-1), dec(3)), "-0.33333333", "-0.33333334"},
		{quo(dec(1), dec(-3)), "-0.33333333", "-0.33333334"},
		{quo(dec(2), dec(1)), "2", "2"},
		{quo(apdOf(t, "1E-30"), apdOf(t, "1E+30")), "0.00000001", "0"},
		{quo(apdOf(t, "1E+30"), apdOf(t, "1E-30")), "1E+60", "1E+60"},
	}
	for _, c := range cases {
		if got := up(c.x); got.Cmp(apdOf(t, c.wantUp)) != 0 {
			t.Errorf("up(%s/%s) = %s, want %s", c.x.num, c.x.den, got, c.wantUp)
		}
		if got := down(c.x); got.Cmp(apdOf(t, c.wantDown)) != 0 {
			t.Errorf("down(%s/%s) = %s, want %s", c.x.num, c.x.den, got, c.wantDown)
		}
	}

	ticks := []struct {
		x, k, wantUp, wantDown string
	}{
		{"0.94736843", "0.0001", "0.9474", "0.9473"},
		{"0.9474", "0.0001", "0.9474", "0.9474"},
		{"0.00000000005", "0.01", "0.01", "0"},
		{"-0.00000000005", "0.01", "0", "-0.01"},
		{"19698.49246232", "0.01", "19698.50", "19698.49"},
		{"7", "2.5", "7.5", "5"},
		{"0", "0.5", "0", "0"},
	}
	for _, c := range ticks {
		x, k := exact(apdOf(t, c.x)), apdOf(t, c.k)
		if got := tickUp(x, k); got.Cmp(apdOf(t, c.wantUp)) != 0 {
			t.Errorf("tickUp(%s, %s) = %s, want %s", c.x, c.k, got, c.wantUp)
		}
		if got := tickDown(x, k); got.Cmp(apdOf(t, c.wantDown)) != 0 {
			t.Errorf("tickDown(%s, %s) = %s, want %s", c.x, c.k, got, c.wantDown)
		}
	}
}

// TestFloorCeilAgainstBigRat checks floorQuo and ceilQuo against a second
// oracle, math/big's exact integer division, on random decimals of very
// different magnitudes and signs.
func TestFloorCeilAgainstBigRat(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	randDec := func() (*apd.Decimal, *big.Rat) {
		coeff := new(big.Int).Rand(rng, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(1+rng.Intn(40))), nil))
		if coeff.Sign() == 0 {
			coeff.SetInt64(1)
		}
		if rng.Intn(2) == 0 {
			coeff.Neg(coeff)
		}
		exp := int32(rng.Intn(60) - 40)
		d := apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(coeff), exp)
		r := new(big.Rat).SetInt(coeff)
		p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs32(exp))), nil))
		if exp >= 0 {
			r.Mul(r, p)
		} else {
			r.Quo(r, p)
		}
		return d, r
	}
	for i := 0; i < 3000; i++ {
		a, ar := randDec()
		b, br := randDec()
		q := new(big.Rat).Quo(ar, br)
		// floor and ceil of q with big.Int Euclidean-free arithmetic.
		num, den := q.Num(), q.Denom()   // den > 0
		fl := new(big.Int).Div(num, den) // Div rounds toward -inf for den > 0 (Euclidean)
		ce := new(big.Int).Neg(new(big.Int).Div(new(big.Int).Neg(num), den))
		if got := floorQuo(a, b); got.Cmp(apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(fl), 0)) != 0 {
			t.Fatalf("floorQuo(%s, %s) = %s, want %s", a, b, got, fl)
		}
		if got := ceilQuo(a, b); got.Cmp(apd.NewWithBigInt(new(apd.BigInt).SetMathBigInt(ce), 0)) != 0 {
			t.Fatalf("ceilQuo(%s, %s) = %s, want %s", a, b, got, ce)
		}
	}
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// TestFromInput checks NUM-1 and NUM-2 on input decimals, including extreme
// exponents that must neither allocate nor panic.
func TestFromInput(t *testing.T) {
	cases := []struct {
		d    decimal.Decimal
		want inputStatus
		val  string
	}{
		{decimal.RequireFromString("1.500000000"), inputOK, "1.5"},
		{decimal.RequireFromString("0.00000001"), inputOK, "0.00000001"},
		{decimal.RequireFromString("0.000000001"), inputOffGrid, ""},
		{decimal.RequireFromString("92233720368.54775807"), inputOK, "92233720368.54775807"},
		{decimal.RequireFromString("-92233720368.54775807"), inputOK, "-92233720368.54775807"},
		{decimal.RequireFromString("92233720368.54775808"), inputOutOfRange, ""},
		{decimal.RequireFromString("-92233720368.54775808"), inputOutOfRange, ""},
		{decimal.RequireFromString("1e20"), inputOutOfRange, ""},
		{decimal.New(0, 2147483647), inputOK, "0"},
		{decimal.New(0, -2147483648), inputOK, "0"},
		{decimal.New(1, 2147483647), inputOutOfRange, ""},
		{decimal.New(1, -2147483648), inputOffGrid, ""},
		{decimal.New(1000, -11), inputOK, "0.00000001"},
		{decimal.Decimal{}, inputOK, "0"},
	}
	for _, c := range cases {
		x, st := fromInput(c.d)
		if st != c.want {
			t.Errorf("fromInput(%s) status %d, want %d", c.d.String(), st, c.want)
			continue
		}
		if st == inputOK && x.Cmp(apdOf(t, c.val)) != 0 {
			t.Errorf("fromInput(%s) = %s, want %s", c.d.String(), x, c.val)
		}
	}
}

// TestToDecimal checks the exact conversion of reported values.
func TestToDecimal(t *testing.T) {
	for _, s := range []string{"0", "1.5", "-0.00000001", "92233720368.54775807", "1E+30", "12.3400000000000"} {
		got := toDecimal(apdOf(t, s))
		if !got.Equal(decimal.RequireFromString(s)) {
			t.Errorf("toDecimal(%s) = %s", s, got)
		}
	}
}

// TestLongRatioChain checks that a long chain of ratio additions does not
// drift toward apd's exponent limit (|exponent| <= 100000): 15000 additions
// of 1 / 0.00000001 would give a denominator exponent of -120000 without the
// rescaling of scaled (NUM-2: intermediates are unbounded).
func TestLongRatioChain(t *testing.T) {
	sum := exact(dec(0))
	step := quo(dec(1), apd.New(1, -8))
	for i := 0; i < 15000; i++ {
		sum = sum.plus(step)
	}
	// 15000 / 0.00000001 = 1500000000000 exactly.
	if got := down(sum); got.Cmp(apdOf(t, "1500000000000")) != 0 {
		t.Errorf("sum = %s, want 1500000000000", got)
	}
}

// TestExactContext checks that exactCtx (Precision 0) neither rounds nor
// truncates Add, Sub and Mul on coefficients far beyond 64 bits, against
// math/big.
func TestExactContext(t *testing.T) {
	x := apdOf(t, "123456789012345678901234567890123456789.12345678")
	y := apdOf(t, "-98765432109876543210987654321.00000001")
	bx, _ := new(big.Rat).SetString("123456789012345678901234567890123456789.12345678")
	by, _ := new(big.Rat).SetString("-98765432109876543210987654321.00000001")
	for _, c := range []struct {
		name string
		got  *apd.Decimal
		want *big.Rat
	}{
		{"add", add(x, y), new(big.Rat).Add(bx, by)},
		{"sub", sub(x, y), new(big.Rat).Sub(bx, by)},
		{"mul", mul(x, y), new(big.Rat).Mul(bx, by)},
		{"mul chain", mul(mul(x, x), mul(y, y)), new(big.Rat).Mul(new(big.Rat).Mul(bx, bx), new(big.Rat).Mul(by, by))},
	} {
		got, ok := new(big.Rat).SetString(c.got.Text('f'))
		if !ok || got.Cmp(c.want) != 0 {
			t.Errorf("%s = %s, want %s", c.name, c.got.Text('f'), c.want.FloatString(20))
		}
	}
}
