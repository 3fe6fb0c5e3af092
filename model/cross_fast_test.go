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
