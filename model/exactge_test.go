package model

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// TestExactGE: Portfolio.exactGE (the exact path that decides the cross
// IM's floor when its word bounds straddle an integer) agrees with math/big
// on sum n_i/d_i >= k, for 1 to 12 proper fractions with denominators up to
// 2^63, k at the floor of the sum, one above and one below, and sums that
// are exactly an integer. (It did not fail with natMulWord's carry dropped,
// gremlins' portfolio.go:534 survivor, for a reason not yet understood;
// TestNatArithmetic below does.)
func TestExactGE(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	checked, exact := 0, 0
	for it := 0; it < 20000; it++ {
		n := 1 + r.IntN(12)
		ts := make([]frac, n)
		sum := new(big.Rat)
		for i := range ts {
			var d uint64
			switch r.IntN(3) {
			case 0:
				d = 2 + r.Uint64N(1000)
			case 1:
				d = 2 + r.Uint64N(1<<32)
			default:
				d = 2 + r.Uint64N(1<<63-2)
			}
			ts[i] = frac{n: 1 + r.Uint64N(d-1), d: d}
			sum.Add(sum, new(big.Rat).SetFrac(new(big.Int).SetUint64(ts[i].n), new(big.Int).SetUint64(ts[i].d)))
		}
		if it%5 == 0 && n >= 2 {
			// Make the sum an integer: the last fraction becomes 1 - frac(sum of the others).
			rest := new(big.Rat)
			for _, f := range ts[:n-1] {
				rest.Add(rest, new(big.Rat).SetFrac(new(big.Int).SetUint64(f.n), new(big.Int).SetUint64(f.d)))
			}
			fl := new(big.Int).Quo(rest.Num(), rest.Denom())
			fr := new(big.Rat).Sub(rest, new(big.Rat).SetInt(fl))
			need := new(big.Rat).Sub(big.NewRat(1, 1), fr)
			if need.Num().IsUint64() && need.Denom().IsUint64() && need.Cmp(big.NewRat(1, 1)) < 0 && need.Sign() > 0 {
				ts[n-1] = frac{n: need.Num().Uint64(), d: need.Denom().Uint64()}
				sum = new(big.Rat).Add(rest, need)
				exact++
			}
		}
		p := &Portfolio{nat: make([]uint64, 3*(n+4))}
		fl := new(big.Int).Quo(sum.Num(), sum.Denom()).Uint64()
		for _, k := range []uint64{fl, fl + 1, fl - min(fl, 1)} {
			want := sum.Cmp(new(big.Rat).SetInt(new(big.Int).SetUint64(k))) >= 0
			if got := p.exactGE(ts, k); got != want {
				t.Fatalf("case %d: sum %v >= %d: exactGE %v, want %v (fractions %v)", it, sum.FloatString(30), k, got, want, ts)
			}
			checked++
		}
	}
	if exact < 400 {
		t.Fatalf("only %d sums made integers", exact)
	}
	t.Logf("%d comparisons, %d integer sums", checked, exact)
}

// natBig is x (little-endian words) as a big.Int.
func natBig(x []uint64) *big.Int {
	b := new(big.Int)
	for i := len(x) - 1; i >= 0; i-- {
		b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(x[i]))
	}
	return b
}

// TestNatArithmetic: natMulWord, natAdd and natCmp, the multi-word helpers
// of exactGE, agree with math/big on random operands of 1 to 6 words (top
// words often 0, so that lengths and carries vary), including products and
// sums whose carry makes a new word and comparisons of equal values.
func TestNatArithmetic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	word := func() uint64 {
		switch r.IntN(4) {
		case 0:
			return 0
		case 1:
			return ^uint64(0) - r.Uint64N(3)
		}
		return r.Uint64()
	}
	nat := func() []uint64 {
		x := make([]uint64, 1+r.IntN(6), 16)
		for i := range x {
			x[i] = word()
		}
		return x
	}
	for it := 0; it < 20000; it++ {
		x, y := nat(), word()
		want := new(big.Int).Mul(natBig(x), new(big.Int).SetUint64(y))
		if got := natMulWord(make([]uint64, 0, 16), x, y); natBig(got).Cmp(want) != 0 {
			t.Fatalf("natMulWord(%v, %d) = %v, want %v", x, y, got, want)
		}
		a, b := nat(), nat()
		want = new(big.Int).Add(natBig(a), natBig(b))
		z := append(make([]uint64, 0, 16), a...)
		if got := natAdd(z, b); natBig(got).Cmp(want) != 0 {
			t.Fatalf("natAdd(%v, %v) = %v, want %v", a, b, got, want)
		}
		if it%3 == 0 { // equal values, possibly with different zero top words
			b = append(append(b[:0:0], a...), make([]uint64, r.IntN(3))...)
		}
		if got, want := natCmp(a, b), natBig(a).Cmp(natBig(b)); got != want {
			t.Fatalf("natCmp(%v, %v) = %d, want %d", a, b, got, want)
		}
	}
}

// TestLoadSizesExactGEScratch: the scratch space Load gives exactGE holds
// the largest sum the cross IM can ask of it (one fraction per IM group plus
// one, each denominator up to 2^63): on portfolios of 1 to 3 cross positions
// with distinct leverages on multi-tier markets (several IM groups each),
// exactGE over len(grpDen)+1 fractions with large denominators agrees with
// math/big. TestExactGE sizes its own Portfolio, so a Load that allocated
// too little (gremlins' load.go:675 survivor, '3*(g+4)' as '3/(g+4)')
// went unseen: exactGE is reached only when the IM's word bounds straddle an
// integer, which generated scenarios rarely do.
func TestLoadSizesExactGEScratch(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 75))
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	nd := func(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }
	tiers := []spec.Tier{
		{MinNotional: d("0"), MaxNotional: d("10000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125")},
		{MinNotional: d("10000"), MaxNotional: d("100000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("77")},
		{MinNotional: d("100000"), MaxNotional: d("1000000"), MaintenanceMarginRate: d("0.01"), MaxLeverage: d("33")},
	}
	checked := 0
	for n := 1; n <= 3; n++ {
		s := &spec.Scenario{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{}}
		s.Account.WalletBalance = d("1000")
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("M%d", i)
			s.Markets[name] = spec.Market{TickSize: d("0.01"), LotSize: d("0.001"), Tiers: tiers}
			s.Prices[name] = spec.Price{Mark: nd("100")}
			s.Account.Positions = append(s.Account.Positions, spec.Position{Market: name, Side: spec.Long, Size: d("1"),
				EntryPrice: d("100"), MarginMode: spec.Cross, Leverage: nd([]string{"3.7", "11.3", "29.9"}[i])})
		}
		p, err := Load(s)
		if err != nil {
			t.Fatal(err)
		}
		g := len(p.grpDen)
		if g < n {
			t.Fatalf("%d positions: %d IM groups", n, g)
		}
		for it := 0; it < 2000; it++ {
			ts := make([]frac, g+1)
			sum := new(big.Rat)
			for i := range ts {
				den := 1<<63 - r.Uint64N(1<<20)
				ts[i] = frac{n: 1 + r.Uint64N(den-1), d: den}
				sum.Add(sum, new(big.Rat).SetFrac(new(big.Int).SetUint64(ts[i].n), new(big.Int).SetUint64(ts[i].d)))
			}
			fl := new(big.Int).Quo(sum.Num(), sum.Denom()).Uint64()
			for _, k := range []uint64{fl, fl + 1} {
				want := sum.Cmp(new(big.Rat).SetInt(new(big.Int).SetUint64(k))) >= 0
				if got := p.exactGE(ts, k); got != want {
					t.Fatalf("%d groups: sum %v >= %d: exactGE %v, want %v", g, sum.FloatString(30), k, got, want)
				}
				checked++
			}
		}
	}
	t.Logf("%d comparisons", checked)
}
