package model_test

import (
	"math/rand/v2"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// health returns the health of the pool holding position i.
func health(p *model.Portfolio, s *spec.Scenario, i int) (model.PoolHealth, error) {
	if s.Account.Positions[i].MarginMode == spec.Cross {
		return p.Cross()
	}
	return p.Isolated(i)
}

// SPEC LIQ-5, LIQ-6, BKR-3 agree with POOL-5 and the pool's equity: at the
// reported liquidation price (tick and exact) the pool is not liquidatable,
// one tick (one unit) beyond it, it is; at the reported bankruptcy price the
// equity is >= 0, one tick beyond it, < 0. Checked with SetMark and the pool
// queries on random scenarios; the reasons are checked at a far price.
func TestLiquidationPriceAgreesWithTrigger(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	n := 3000
	if testing.Short() {
		n = 500
	}
	var checked, beyond int
	for it := 0; it < n; it++ {
		s := genScenario(r)
		if it%3 == 2 {
			s = genExtreme(r)
		}
		p, err := model.Load(s)
		if err != nil {
			continue
		}
		if _, err := p.Report(); err != nil {
			continue // out of range at the marks
		}
		for i, pos := range s.Account.Positions {
			mi, _ := p.MarketIndex(pos.Market)
			tick, _ := model.FixedFromDecimal(s.Markets[pos.Market].TickSize)
			mark, _ := model.FixedFromDecimal(s.Prices[pos.Market].Mark.Decimal)
			if !s.Prices[pos.Market].Mark.Valid {
				rep, _ := p.Report()
				mark, _ = model.FixedFromDecimal(rep.Prices[pos.Market].Mark)
			}
			long := pos.Side == spec.Long
			// at returns the pool's health with this market's mark at price x.
			at := func(x model.Fixed) (model.PoolHealth, bool) {
				if x <= 0 {
					return model.PoolHealth{}, false
				}
				if err := p.SetMark(mi, x); err != nil {
					t.Fatalf("SetMark(%d, %s): %v", mi, x, err)
				}
				h, err := health(p, s, i)
				return h, err == nil
			}
			beyondOf := func(x, step model.Fixed) model.Fixed {
				if long {
					return x - step
				}
				if x > model.MaxFixed-step {
					return 0
				}
				return x + step
			}
			lp, err := p.LiquidationPrice(i)
			if err != nil {
				t.Fatalf("case %d: LiquidationPrice(%d): %v", it, i, err)
			}
			if lp.OK {
				checked++
				for _, c := range []struct {
					price, step model.Fixed
				}{{lp.Price, tick}, {lp.Exact, 1}} {
					if h, ok := at(c.price); ok && h.Liquidatable {
						t.Fatalf("case %d pos %d: liquidatable at its liquidation price %s (%+v)", it, i, c.price, lp)
					}
					if h, ok := at(beyondOf(c.price, c.step)); ok {
						beyond++
						if !h.Liquidatable {
							t.Fatalf("case %d pos %d: not liquidatable one step beyond %s (%+v)", it, i, c.price, lp)
						}
					}
				}
			} else {
				switch lp.Reason {
				case spec.ReasonNeverLiquidatable:
					for _, x := range []model.Fixed{1, tick, mark} {
						if h, ok := at(x); ok && h.Liquidatable {
							t.Fatalf("case %d pos %d: never-liquidatable but liquidatable at %s", it, i, x)
						}
					}
				case spec.ReasonAlwaysLiquidatable:
					for _, x := range []model.Fixed{tick, max(tick, mark)} { // a root in (0, tick) is always-liquidatable too (LIQ-6)
						if h, ok := at(x); ok && !h.Liquidatable {
							t.Fatalf("case %d pos %d: always-liquidatable but not at %s", it, i, x)
						}
					}
				case spec.ReasonOutOfRange:
				default:
					t.Fatalf("reason %q", lp.Reason)
				}
			}
			bp, err := p.BankruptcyPrice(i)
			if err != nil {
				t.Fatalf("case %d: BankruptcyPrice(%d): %v", it, i, err)
			}
			if bp.OK {
				if h, ok := at(bp.Price); ok && h.Equity < 0 {
					t.Fatalf("case %d pos %d: equity %s < 0 at the bankruptcy price %s", it, i, h.Equity, bp.Price)
				}
				if h, ok := at(beyondOf(bp.Price, tick)); ok && h.Equity >= 0 {
					t.Fatalf("case %d pos %d: equity %s >= 0 one tick beyond the bankruptcy price %s", it, i, h.Equity, bp.Price)
				}
			}
			if err := p.SetMark(mi, mark); err != nil {
				t.Fatal(err)
			}
		}
	}
	if checked < n/10 || beyond < n/10 {
		t.Fatalf("too few checks: %d prices, %d beyond", checked, beyond)
	}
	t.Logf("%d liquidation prices, %d one-step-beyond checks", checked, beyond)
}

// The engine neither panics nor fails unexpectedly on values across the whole
// range: every scenario is a report or an *Error, and the queries of a loaded
// portfolio answer or return an *Error.
func TestExtremeValues(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	var reports int
	for it := 0; it < 5000; it++ {
		s := genExtreme(r)
		rep, err := model.Evaluate(s)
		if err != nil {
			if _, ok := err.(*spec.Error); !ok {
				t.Fatalf("case %d: %T %v", it, err, err)
			}
		} else {
			reports++
			if len(rep.Pools) == 0 {
				t.Fatal("no pools")
			}
		}
		p, err := model.Load(s)
		if err != nil {
			continue
		}
		for i := 0; i < p.NumPositions(); i++ {
			for _, f := range []func(int) error{
				func(i int) error { _, err := p.Position(i); return err },
				func(i int) error { _, err := p.LiquidationPrice(i); return err },
				func(i int) error { _, err := p.BankruptcyPrice(i); return err },
			} {
				if err := f(i); err != nil {
					if _, ok := err.(*spec.Error); !ok {
						t.Fatalf("case %d: %T %v", it, err, err)
					}
				}
			}
		}
		if _, err := p.Cross(); err != nil {
			if _, ok := err.(*spec.Error); !ok {
				t.Fatalf("case %d: %T %v", it, err, err)
			}
		}
	}
	if reports < 100 {
		t.Fatalf("only %d reports", reports)
	}
	t.Logf("%d reports", reports)
}
