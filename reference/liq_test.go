package reference

import (
	"fmt"
	"math/big"
	"math/rand"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// randomTiers builds a valid tier table (TIER-1..5; maintenanceAmount left
// absent, so TIER-6 derives it) with 1 to 4 tiers.
func randomTiers(rng *rand.Rand) []spec.Tier {
	n := 1 + rng.Intn(4)
	var tiers []spec.Tier
	min := decimal.Zero
	mmr := decimal.New(int64(rng.Intn(50)), -4) // 0 .. 0.0049
	lev := decimal.New(int64(1+rng.Intn(125)), 0)
	for t := 0; t < n; t++ {
		max := min.Add(decimal.New(int64(1+rng.Intn(200000)), 0))
		if t > 0 {
			mmr = mmr.Add(decimal.New(int64(rng.Intn(300)), -4))
			lev = decimal.New(1+rng.Int63n(lev.IntPart()), 0)
		}
		// TIER-5: MMR * maxLeverage <= 1.
		for mmr.Mul(lev).GreaterThan(decimal.NewFromInt(1)) {
			lev = lev.Sub(decimal.NewFromInt(1))
		}
		tiers = append(tiers, spec.Tier{MinNotional: min, MaxNotional: max, MaintenanceMarginRate: mmr, MaxLeverage: lev})
		min = max
	}
	return tiers
}

// randomScenario builds a valid scenario of 1 to 3 positions in distinct markets.
func randomScenario(rng *rand.Rand) *spec.Scenario {
	s := &spec.Scenario{
		Markets: map[string]spec.Market{},
		Prices:  map[string]spec.Price{},
		Account: spec.Account{WalletBalance: decimal.New(rng.Int63n(5000000), -2)},
	}
	ticks := []string{"0.01", "0.1", "0.5", "1", "0.0001", "0.00000001"}
	for i, n := 0, 1+rng.Intn(3); i < n; i++ {
		name := fmt.Sprintf("M%d", i)
		basis := spec.BasisMark
		if rng.Intn(3) == 0 {
			basis = spec.BasisEntry
		}
		s.Markets[name] = spec.Market{
			TickSize: d(ticks[rng.Intn(len(ticks))]), LotSize: d("0.001"), MMBasis: basis,
			Tiers: randomTiers(rng),
		}
		ep := decimal.New(1+rng.Int63n(10000000), -3) // 0.001 .. 10000
		mark := ep.Mul(decimal.New(50+rng.Int63n(100), -2)).Round(8)
		if mark.Sign() <= 0 {
			mark = d("0.00000001")
		}
		s.Prices[name] = spec.Price{Mark: decimal.NewNullDecimal(mark)}
		side := spec.Long
		if rng.Intn(2) == 0 {
			side = spec.Short
		}
		p := spec.Position{
			Market: name, Side: side, Size: decimal.New(1+rng.Int63n(100000), -3), EntryPrice: ep,
			MarginMode: spec.Cross,
		}
		if rng.Intn(2) == 0 {
			p.MarginMode = spec.Isolated
			if rng.Intn(2) == 0 {
				p.IsolatedMargin = decimal.NewNullDecimal(decimal.New(rng.Int63n(100000000), -4))
			}
		}
		maxLev := s.Markets[name].Tiers[0].MaxLeverage
		if rng.Intn(2) == 0 {
			p.Leverage = decimal.NewNullDecimal(decimal.New(1+rng.Int63n(maxLev.IntPart()), 0))
		}
		s.Account.Positions = append(s.Account.Positions, p)
	}
	return s
}

// poolOfPosition returns the report pool that holds position i.
func poolOfPosition(r *spec.Report, s *spec.Scenario, i int) spec.PoolReport {
	if s.Account.Positions[i].MarginMode == spec.Cross {
		return r.Pools[0]
	}
	for _, pl := range r.Pools {
		if pl.Position == i {
			return pl
		}
	}
	panic("no pool")
}

// atMark evaluates s with the mark of position i's market replaced by p, and
// returns the pool holding position i.
func atMark(t *testing.T, s *spec.Scenario, i int, p decimal.Decimal) spec.PoolReport {
	t.Helper()
	c := *s
	c.Prices = map[string]spec.Price{}
	for k, v := range s.Prices {
		c.Prices[k] = v
	}
	c.Prices[s.Account.Positions[i].Market] = spec.Price{Mark: decimal.NewNullDecimal(p)}
	r, err := Evaluate(&c)
	if err != nil {
		t.Fatalf("Evaluate at mark %s: %v", p, err)
	}
	return poolOfPosition(r, &c, i)
}

// TestLiquidationPriceAgreesWithTrigger is a metamorphic check of LIQ-2, LIQ-5,
// LIQ-6 and BKR-3 against POOL-5 and POOL-1/2, which are computed by other
// code: moving only position i's mark to its reported liquidation price leaves
// its pool not liquidatable, and one tick (one unit for the exact price)
// beyond it makes it liquidatable; at the bankruptcy price the pool's equity
// is >= 0, one tick beyond it < 0. The reasons are checked the same way.
func TestLiquidationPriceAgreesWithTrigger(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	n := 400
	if testing.Short() {
		n = 100
	}
	u := d("0.00000001")
	for iter := 0; iter < n; iter++ {
		s := randomScenario(rng)
		r, err := Evaluate(s)
		if err != nil {
			t.Fatalf("scenario %d: %v", iter, err)
		}
		for i, pr := range r.Positions {
			src := s.Account.Positions[i]
			k := s.Markets[src.Market].TickSize
			long := src.Side == spec.Long
			beyond := func(p, step decimal.Decimal) decimal.Decimal { // one step into the liquidatable side
				if long {
					return p.Sub(step)
				}
				return p.Add(step)
			}
			where := fmt.Sprintf("scenario %d position %d (%s %s)", iter, i, src.Side, src.MarginMode)
			switch {
			case pr.LiquidationPrice.Valid:
				lp, lpx := pr.LiquidationPrice.Decimal, pr.LiquidationPriceExact.Decimal
				if atMark(t, s, i, lp).Liquidatable || atMark(t, s, i, lpx).Liquidatable {
					t.Errorf("%s: liquidatable at its liquidation price %s / %s", where, lp, lpx)
				}
				if b := beyond(lp, k); b.Sign() > 0 && !atMark(t, s, i, b).Liquidatable {
					t.Errorf("%s: not liquidatable one tick beyond %s", where, lp)
				}
				if b := beyond(lpx, u); b.Sign() > 0 && !atMark(t, s, i, b).Liquidatable {
					t.Errorf("%s: not liquidatable one unit beyond %s", where, lpx)
				}
			case pr.LiquidationPriceReason == "never-liquidatable":
				if !long || atMark(t, s, i, u).Liquidatable {
					t.Errorf("%s: never-liquidatable, but liquidatable at %s", where, u)
				}
			case pr.LiquidationPriceReason == "always-liquidatable":
				if long || !atMark(t, s, i, k).Liquidatable {
					t.Errorf("%s: always-liquidatable, but not at one tick %s", where, k)
				}
			default:
				t.Errorf("%s: no liquidation price, reason %q", where, pr.LiquidationPriceReason)
			}
			switch {
			case pr.BankruptcyPrice.Valid:
				bp := pr.BankruptcyPrice.Decimal
				if atMark(t, s, i, bp).Equity.Sign() < 0 {
					t.Errorf("%s: negative equity at the bankruptcy price %s", where, bp)
				}
				if b := beyond(bp, k); b.Sign() > 0 && atMark(t, s, i, b).Equity.Sign() >= 0 {
					t.Errorf("%s: equity >= 0 one tick beyond the bankruptcy price %s", where, bp)
				}
			case pr.BankruptcyPriceReason == "never-bankrupt":
				if !long || atMark(t, s, i, u).Equity.Sign() < 0 {
					t.Errorf("%s: never-bankrupt, but negative equity at %s", where, u)
				}
			case pr.BankruptcyPriceReason == "always-bankrupt":
				if long || atMark(t, s, i, k).Equity.Sign() >= 0 {
					t.Errorf("%s: always-bankrupt, but equity >= 0 at one tick %s", where, k)
				}
			default:
				t.Errorf("%s: no bankruptcy price, reason %q", where, pr.BankruptcyPriceReason)
			}
		}
	}
}

// TestEntryValue checks that a position given by entryValue V (LED-1) is
// evaluated as the position with entryPrice V/Q, and that an inconsistent
// pair is a POS-2 error at entryValue.
func TestEntryValue(t *testing.T) {
	byPrice := bybitScenario(spec.BasisMark)
	byValue := bybitScenario(spec.BasisMark)
	ps := append([]spec.Position(nil), byValue.Account.Positions...)
	ps[0].Size, ps[0].EntryPrice, ps[0].EntryValue = d("1"), decimal.Decimal{}, nd("20000")
	byValue.Account.Positions = ps
	a, b := mustEval(t, byPrice), mustEval(t, byValue)
	wantNull(t, "liquidationPriceExact by value", b.Positions[0].LiquidationPriceExact, a.Positions[0].LiquidationPriceExact.Decimal.String())
	wantNull(t, "bankruptcyPrice by value", b.Positions[0].BankruptcyPrice, "19600")

	// An entry price that is not a multiple of 1e-8: 3 units of value 10
	// (EP = 3.333...), long, mark 3, cross, wallet 0: U = 3*3 - 10 = -1.
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"A": oneTier("0.01", "1", "0.05", "10", "")},
		Prices:  map[string]spec.Price{"A": {Mark: nd("3")}},
		Account: spec.Account{WalletBalance: d("2"), Positions: []spec.Position{
			{Market: "A", Side: spec.Long, Size: d("3"), EntryValue: nd("10"), MarginMode: spec.Cross},
		}},
	}
	r := mustEval(t, s)
	wantDec(t, "unrealizedPnl", r.Positions[0].UnrealizedPnl, "-1")
	// LIQ-4: P = (K - Q*EP + 0) / (Q*(0.05 - 1)) = (2 - 10) / -2.85 = 2.8070175438...
	wantNull(t, "liquidationPriceExact", r.Positions[0].LiquidationPriceExact, "2.80701755")
	// BKR-1: (Q*EP - K0)/Q = 8/3 = 2.666..., tickUp 0.01: 2.67.
	wantNull(t, "bankruptcyPrice", r.Positions[0].BankruptcyPrice, "2.67")

	ps = append([]spec.Position(nil), s.Account.Positions...)
	ps[0].EntryPrice = d("3.33333333")
	s.Account.Positions = ps
	_, err := Evaluate(s)
	if me, ok := err.(*spec.Error); !ok || me.Path != "account.positions[0].entryValue" || me.Rule != "POS-2" {
		t.Errorf("inconsistent entryValue: got %v, want POS-2 at account.positions[0].entryValue", err)
	}
}

// TestNeverPanics evaluates degenerate scenarios: they must return a report
// or an error, not panic.
func TestNeverPanics(t *testing.T) {
	scenarios := []*spec.Scenario{
		{},
		{Markets: map[string]spec.Market{"": {}}},
		{Markets: map[string]spec.Market{"A": oneTier("1", "1", "0.05", "10", "")}, Prices: map[string]spec.Price{"A": {}}},
		{Account: spec.Account{Positions: []spec.Position{{}}}},
		{Markets: map[string]spec.Market{"A": {TickSize: decimal.New(1, 2147483647), LotSize: decimal.New(5, -2147483648)}}},
		{Markets: map[string]spec.Market{"A": oneTier("1", "1", "0.05", "10", "")},
			Prices: map[string]spec.Price{"A": {Index: nd("92233720368.54775807"), Last: nd("92233720368.54775807"),
				BasisAverage: nd("92233720368.54775807"), FundingRate: nd("92233720368.54775807"), SecondsToFunding: nd("92233720368.54775807")}}},
	}
	for i, s := range scenarios {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("scenario %d panicked: %v", i, r)
				}
			}()
			_, _ = Evaluate(s)
		}()
	}
	// The empty scenario has the cross pool only, all zero.
	r := mustEval(t, &spec.Scenario{})
	if len(r.Pools) != 1 || r.Pools[0].Position != -1 || r.Pools[0].Liquidatable || r.Pools[0].MarginRatio.Valid {
		t.Errorf("empty scenario: pools %+v", r.Pools)
	}
	// A computed mark above MAX is a NUM-2 error at the report path of the mark.
	_, err := Evaluate(scenarios[5])
	if me, ok := err.(*spec.Error); !ok || me.Path != "prices.A.mark" || me.Rule != "NUM-2" {
		t.Errorf("huge computed mark: got %v, want NUM-2 at prices.A.mark", err)
	}
}

// TestManyPositions checks NUM-2's "intermediate values are exact and
// unbounded" on a long chain of ratio arithmetic: a cross pool of 600
// positions at leverages 3, 7 and 9.5 (so that IM_i = N_i / L_i do not
// terminate). The pool IM must be up(sum N_i / L_i), checked with math/big.
func TestManyPositions(t *testing.T) {
	const n = 600
	s := &spec.Scenario{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{}}
	s.Account.WalletBalance = d("1000000")
	levs := []string{"3", "7", "9.5"}
	sum := new(big.Rat)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("M%04d", i)
		s.Markets[name] = oneTier("0.01", "0.001", "0.01", "10", "")
		mark := decimal.New(int64(1000+i), -2)
		s.Prices[name] = spec.Price{Mark: decimal.NewNullDecimal(mark)}
		lev := levs[i%len(levs)]
		s.Account.Positions = append(s.Account.Positions, spec.Position{
			Market: name, Side: spec.Long, Size: d("1.5"), EntryPrice: mark, MarginMode: spec.Cross, Leverage: nd(lev),
		})
		im, _ := new(big.Rat).SetString(mark.Mul(d("1.5")).String())
		l, _ := new(big.Rat).SetString(lev)
		sum.Add(sum, im.Quo(im, l))
	}
	r := mustEval(t, s)
	// up(sum) on the 1e-8 grid.
	scaled := new(big.Rat).Mul(sum, big.NewRat(100000000, 1))
	ceil := new(big.Int).Neg(new(big.Int).Div(new(big.Int).Neg(scaled.Num()), scaled.Denom()))
	want := decimal.NewFromBigInt(ceil, -8)
	if !r.Pools[0].InitialMargin.Equal(want) {
		t.Errorf("pool IM = %s, want %s", r.Pools[0].InitialMargin, want)
	}
}
