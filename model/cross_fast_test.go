package model_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// singleCross returns a copy of s whose account holds only position i, in
// cross margin.
func singleCross(s *spec.Scenario, i int) *spec.Scenario {
	c := *s
	c.Account.Positions = []spec.Position{s.Account.Positions[i]}
	ps := &c.Account.Positions[0]
	ps.MarginMode = spec.Cross
	ps.IsolatedMargin.Valid = false
	return &c
}

// TestCrossFastPathEqualsGeneral checks Cross's one-position fast path
// (cross_fast.go) against the general path of the same portfolio, every
// field: on random and extreme scenarios reduced to one cross position (the
// generators of properties/gen, every implemented variant), with the wallet
// moved to E about MM now and then, and random marks across the whole range
// (SetMark), long and short. Where the fast path declines (E < 0, a value
// above MAX, ...) Cross must still return the general path's result and
// error; the test counts both kinds so that neither goes untested.
func TestCrossFastPathEqualsGeneral(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 60))
	var taken, declined, liq, errs, atEq int
	for n := 0; n < 4500; n++ { // 4,500: the generators also draw half-initial markets, which decline
		var s *spec.Scenario
		if r.IntN(3) == 0 {
			s = genExtreme(r)
		} else {
			s = genScenario(r)
		}
		if len(s.Account.Positions) == 0 {
			continue
		}
		sc := singleCross(s, r.IntN(len(s.Account.Positions)))
		if r.IntN(3) == 0 {
			nearBoundary(sc)
		}
		p, err := model.Load(sc)
		if err != nil {
			continue
		}
		mi, _ := p.MarketIndex(sc.Account.Positions[0].Market)
		for k := 0; k < 8; k++ {
			if k > 0 {
				mark := logUnits(r)
				if r.IntN(2) == 0 { // near the first mark: small moves
					h, _ := model.FixedFromDecimal(bookRefMark(sc, sc.Account.Positions[0].Market))
					mark = max(1, int64(h)+r.Int64N(2001)-1000)
				}
				if err := p.SetMark(mi, model.Fixed(mark)); err != nil {
					t.Fatal(err)
				}
			}
			gen, applies, ok, fast, gerr := model.CrossPaths(p)
			got, err := p.Cross()
			if got != gen || !sameCrossErr(err, gerr) {
				t.Fatalf("case %d/%d: Cross = %+v, %v; general path %+v, %v\nscenario: %s", n, k, got, err, gen, gerr, dump(sc))
			}
			switch {
			case ok:
				if gerr != nil || fast != gen {
					t.Fatalf("case %d/%d: fast path %+v; general path %+v, %v\nscenario: %s", n, k, fast, gen, gerr, dump(sc))
				}
				taken++
				if gen.Liquidatable {
					liq++
				}
				if gen.Equity == gen.MaintenanceMargin {
					atEq++
				}
			case applies:
				declined++
				if gerr != nil {
					errs++
				}
			}
		}
	}
	t.Logf("fast path taken %d (liquidatable %d, equity = MM as reported %d), declined %d (of which NUM-2 errors %d)", taken, liq, atEq, declined, errs)
	if taken < 5000 || declined < 500 || liq < 500 || errs < 50 {
		t.Fatalf("too few cases: taken %d, declined %d, liquidatable %d, errors %d", taken, declined, liq, errs)
	}
}

// sameCrossErr reports whether two errors of Cross are both nil or the same
// *spec.Error (path, rule, message).
func sameCrossErr(got, want error) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	var g, w *spec.Error
	return errors.As(got, &g) && errors.As(want, &w) && *g == *w
}

// TestCrossFastPathWordBoundaries puts each guard of the one-position fast
// path exactly on its machine-word boundary (and one step off it), where a
// guard written one way instead of the other divides with an overflowing
// quotient (a panic) or reports a value the general path rejects. Those
// boundaries lie beyond MAX (values of 2^64 units and more: NUM-2 in the
// general path), where the generators of properties/gen almost never land
// exactly, so gremlins' boundary mutants of cross_fast.go survived the suite
// (session 8); the inputs were found by exact integer search (units of
// 1e-8; QTY-5:taker with a large maxLeverage is the only way MM reaches
// the words beyond IM's, since TIER-5 bounds MMR_t by 1/maxLeverage_t).
// On every case Cross must equal the general path, and the fast path must
// either decline or equal it.
func TestCrossFastPathWordBoundaries(t *testing.T) {
	const max = 1<<63 - 1
	type cross struct {
		name                  string
		wallet, size, ep, mp  int64 // units of 1e-8
		leverage, maxLeverage int64 // units
		mmr, fee              int64 // units; fee > 0: closeFee "taker"
	}
	cases := []cross{
		// cross_fast.go:69, E's high word at 1e-16 exactly 1e8 (equity = 2^64 units).
		{"E = 2^64 units", max - 1, 2e8, 1, 1<<62 + 2, 100e8, 100e8, 500_000, 0},
		{"E = 2^64 units - 1", max - 2, 2e8, 1, 1<<62 + 2, 100e8, 100e8, 500_000, 0},
		// :76, N's high word exactly d (IM = 2^64 units at leverage 1).
		{"N hi = d", 0, 4e8, 1 << 62, 1 << 62, 1e8, 100e8, 500_000, 0},
		{"N hi = d - 1", 0, 4e8, 1<<62 - 1<<40, 1<<62 - 1<<40, 1e8, 100e8, 500_000, 0},
		// :80, IM's floor exactly MAX with a remainder (IM = MAX + 1).
		{"IM = MAX + 1", 0, 2e8, 9223371990737915623, 9223371990737915623, 199_999_999, 100e8, 500_000, 0},
		{"IM = MAX", 0, 2e8, 9223371990737915622, 9223371990737915622, 199_999_999, 100e8, 500_000, 0},
		// :92, MM at 1e-24 in [2^129, 2^129 + 2^64 * 5e15) with a carry
		// into the top word: h1 + c = 2, h1 - c = 0.
		{"MM top-word carry", 1e8, 756251100202, 9000000000000000007, 9000000000000000007, 100_000e8, 100_000e8, 1000, 99_990_000},
		// :97, MM's middle word exactly 1e16 (MM = 2^64 units).
		{"MM mid = 1e16", 1e8, 18633074821928841, 100000000000, 100000000000, 10e8, 10e8, 10_000_000, 89_000_000},
		// :101, MM's floor exactly MAX with a remainder (MM = MAX + 1).
		{"MM = MAX + 1", 1e8, 4658268705482210004, 200000000, 200000000, 10e8, 10e8, 10_000_000, 89_000_000},
		// :112, E below 2^64 at 1e-16 (one word) and MM's middle word equal
		// to it: MM/E >= 2^64 (no ratio), E = 1e-16.
		{"MM mid = E", 0, 1, 20_000_000_000_000 - 1, 20_000_000_000_000, 100e8, 100e8, 1_000_000, 0},
		{"MM mid = E + 1", 0, 1, 40_000_000_000_000 - 1, 40_000_000_000_000, 100e8, 100e8, 1_000_000, 0},
		// :118, the margin ratio exactly MAX (MM at 1e-24 = MAX = 511 x
		// 18049651735527937, E = 1e-16) and just above it (no ratio).
		{"ratio = MAX", 0, 1, 18049651735527937 - 1, 18049651735527937, 100e8, 100e8, 511, 0},
		{"ratio = MAX + 511", 0, 1, 18049651735527938 - 1, 18049651735527938, 100e8, 100e8, 511, 0},
	}
	for _, c := range cases {
		m := spec.Market{TickSize: fixedDec(1), LotSize: fixedDec(1), MMBasis: spec.BasisMark,
			Tiers: []spec.Tier{{MinNotional: fixedDec(0), MaxNotional: fixedDec(max), MaintenanceMarginRate: fixedDec(c.mmr), MaxLeverage: fixedDec(c.maxLeverage)}}}
		if c.fee > 0 {
			m.Variants = &spec.Variants{CloseFee: spec.CloseFeeTaker}
			m.TakerFeeRate = nul(fixedDec(c.fee))
		}
		s := &spec.Scenario{
			Markets: map[string]spec.Market{"AAA": m},
			Prices:  map[string]spec.Price{"AAA": {Mark: nul(fixedDec(c.mp))}},
			Account: spec.Account{WalletBalance: fixedDec(c.wallet), Positions: []spec.Position{{Market: "AAA", Side: spec.Long,
				Size: fixedDec(c.size), EntryPrice: fixedDec(c.ep), MarginMode: spec.Cross, Leverage: nul(fixedDec(c.leverage))}}},
		}
		p, err := model.Load(s)
		if err != nil {
			t.Fatalf("%s: Load: %v", c.name, err)
		}
		gen, applies, ok, fast, gerr := model.CrossPaths(p)
		if !applies {
			t.Fatalf("%s: the fast path does not apply", c.name)
		}
		got, err := p.Cross()
		if got != gen || !sameCrossErr(err, gerr) {
			t.Errorf("%s: Cross = %+v, %v; general path %+v, %v", c.name, got, err, gen, gerr)
		}
		if ok && (gerr != nil || fast != gen) {
			t.Errorf("%s: fast path %+v; general path %+v, %v", c.name, fast, gen, gerr)
		}
		t.Logf("%s: fast path taken %v, general path error %v", c.name, ok, gerr)
	}
}
