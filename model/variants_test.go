package model_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// Golden tests of the query variants of SPEC VAR (POOL-5, TIER-7, TIER-8,
// QTY-5) and of VAR-1's validation, on both engines. Every expected value is
// computed by hand in the comment above its case.

func nd(s string) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d(s), Valid: true} }

// oneMarket is a scenario with market AAA (tick 0.1 unless set, lot 1) and
// one position; v may be nil.
func oneMarket(tiers []spec.Tier, v *spec.Variants, tick string, pos spec.Position, mark, wallet string) *spec.Scenario {
	pos.Market = "AAA"
	return &spec.Scenario{
		Markets: map[string]spec.Market{"AAA": {TickSize: d(tick), LotSize: d("1"), Tiers: tiers, Variants: v}},
		Prices:  map[string]spec.Price{"AAA": {Mark: nd(mark)}},
		Account: spec.Account{WalletBalance: d(wallet), Positions: []spec.Position{pos}},
	}
}

func tier(min, max, mmr, lev string) spec.Tier {
	return spec.Tier{MinNotional: d(min), MaxNotional: d(max), MaintenanceMarginRate: d(mmr), MaxLeverage: d(lev)}
}

// bothEngines evaluates s with the model and the reference, requires the
// same report (or the same error), and returns the report or the error.
func bothEngines(t *testing.T, s *spec.Scenario) (*spec.Report, *spec.Error) {
	t.Helper()
	got, gerr := model.Evaluate(s)
	want, werr := reference.Evaluate(s)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("model error %v, reference error %v", gerr, werr)
	}
	if gerr != nil {
		ge, we := gerr.(*spec.Error), werr.(*spec.Error)
		if ge.Path != we.Path || ge.Rule != we.Rule {
			t.Fatalf("model error %v, reference error %v", gerr, werr)
		}
		return nil, ge
	}
	if diff := spec.Diff(got, want); diff != nil {
		t.Fatalf("model and reference differ: %v", diff)
	}
	return got, nil
}

// wantMMAndPrices checks a position's maintenance margin and its exact and
// tick-rounded liquidation prices ("" for null).
func wantMMAndPrices(t *testing.T, p *spec.PositionReport, mm, exact, tickPrice string) {
	t.Helper()
	if !p.MaintenanceMargin.Equal(d(mm)) {
		t.Errorf("MM = %s, want %s", p.MaintenanceMargin, mm)
	}
	wantField(t, "liquidationPriceExact", p.LiquidationPriceExact, exact)
	wantField(t, "liquidationPrice", p.LiquidationPrice, tickPrice)
}

func wantField(t *testing.T, what string, got decimal.NullDecimal, want string) {
	t.Helper()
	if want == "" {
		if got.Valid {
			t.Errorf("%s = %s, want null", what, got.Decimal)
		}
		return
	}
	if !got.Valid || !got.Decimal.Equal(d(want)) {
		t.Errorf("%s = %v, want %s", what, got, want)
	}
}

func TestVariantTriggerAtEquality(t *testing.T) {
	// One tier, MMR 1%. Isolated, 1 unit at entry 100, mark 100, margin 1:
	// E = 1 + 0 = 1 and MM = 100 * 1% = 1, so E = MM (POOL-5: liquidatable
	// only at-equality). f(P) = 1 + s*(P - 100) - 0.01*P: the long's root is
	// 99/0.99 = 100, the short's 101/1.01 = 100, both on the tick grid (0.1)
	// and the 1e-8 grid. Strict: reported 100 and 100. At-equality the pool
	// is liquidatable at 100, so LIQ-5/6 move one step away: the long
	// 100.00000001 and 100.1, the short 99.99999999 and 99.9.
	ts := []spec.Tier{tier("0", "1000000", "0.01", "10")}
	for _, c := range []struct {
		side             spec.Side
		trigger          string
		liq              bool
		exact, tickPrice string
	}{
		{spec.Long, spec.TriggerStrict, false, "100", "100"},
		{spec.Long, spec.TriggerAtEquality, true, "100.00000001", "100.1"},
		{spec.Short, spec.TriggerStrict, false, "100", "100"},
		{spec.Short, spec.TriggerAtEquality, true, "99.99999999", "99.9"},
	} {
		t.Run(string(c.side)+"/"+c.trigger, func(t *testing.T) {
			pos := spec.Position{Side: c.side, Size: d("1"), EntryPrice: d("100"), MarginMode: spec.Isolated, IsolatedMargin: nd("1")}
			rep, err := bothEngines(t, oneMarket(ts, &spec.Variants{Trigger: c.trigger}, "0.1", pos, "100", "0"))
			if err != nil {
				t.Fatal(err)
			}
			// The empty cross pool (E = MM = 0) is never liquidatable.
			if rep.Pools[0].Liquidatable {
				t.Errorf("the empty cross pool is liquidatable (POOL-5: E = MM = 0 is not)")
			}
			if rep.Pools[1].Liquidatable != c.liq {
				t.Errorf("liquidatable = %v, want %v (POOL-5:%s)", rep.Pools[1].Liquidatable, c.liq, c.trigger)
			}
			wantField(t, "liquidationPriceExact", rep.Positions[0].LiquidationPriceExact, c.exact)
			wantField(t, "liquidationPrice", rep.Positions[0].LiquidationPrice, c.tickPrice)
		})
	}
}

func TestVariantTierBoundUpperInclusive(t *testing.T) {
	// Tiers [0, 1000) 1% 50x and [1000, ...) 2% 25x; cum_2 = 1000 * 1% = 10.
	// Cross long 10 at mark 100 (N = 1000 exactly), leverage 50, wallet
	// 1000. Lower-inclusive: tier 2, MM = 20 - 10 = 10, L_eff = 25, IM = 40.
	// Upper-inclusive (TIER-7): N = 1000 <= max_1, tier 1, MM = 10 (the same:
	// MM is continuous), L_eff = 50, IM = 20.
	ts := []spec.Tier{tier("0", "1000", "0.01", "50"), tier("1000", "1000000", "0.02", "25")}
	for _, c := range []struct {
		bound       string
		tier        int
		lev, im, mm string
	}{
		{spec.TierBoundLower, 2, "25", "40", "10"},
		{spec.TierBoundUpper, 1, "50", "20", "10"},
	} {
		t.Run(c.bound, func(t *testing.T) {
			pos := spec.Position{Side: spec.Long, Size: d("10"), EntryPrice: d("100"), MarginMode: spec.Cross, Leverage: nd("50")}
			rep, err := bothEngines(t, oneMarket(ts, &spec.Variants{TierBound: c.bound}, "0.1", pos, "100", "1000"))
			if err != nil {
				t.Fatal(err)
			}
			p := rep.Positions[0]
			if p.Tier != c.tier || !p.Leverage.Equal(d(c.lev)) || !p.InitialMargin.Equal(d(c.im)) || !p.MaintenanceMargin.Equal(d(c.mm)) {
				t.Errorf("tier %d leverage %s IM %s MM %s, want %d %s %s %s", p.Tier, p.Leverage, p.InitialMargin, p.MaintenanceMargin, c.tier, c.lev, c.im, c.mm)
			}
		})
	}
}

func TestVariantCloseFeeTaker(t *testing.T) {
	// One tier MMR 0.5%, takerFeeRate 0.06%. Cross long 1 at entry 10,000,
	// mark 10,000, wallet 1,000. None: MM = 50. Taker (QTY-5): MM = 10,000 *
	// (0.005 + 0.0006) = 56. Root: 1000 + (P - 10000) - 0.0056 P = 0, P =
	// 9000/0.9944 = 11250000/1243 = 9050.683829444..., up 9050.68382945,
	// tickUp (0.1) 9050.7. Without the fee: 9000/0.995 = 9045.226130653...,
	// up 9045.22613066, tick 9045.3.
	ts := []spec.Tier{tier("0", "100000000", "0.005", "100")}
	for _, c := range []struct {
		fee                  string
		mm, exact, tickPrice string
	}{
		{spec.CloseFeeNone, "50", "9045.22613066", "9045.3"},
		{spec.CloseFeeTaker, "56", "9050.68382945", "9050.7"},
	} {
		t.Run(c.fee, func(t *testing.T) {
			pos := spec.Position{Side: spec.Long, Size: d("1"), EntryPrice: d("10000"), MarginMode: spec.Cross}
			s := oneMarket(ts, &spec.Variants{CloseFee: c.fee}, "0.1", pos, "10000", "1000")
			m := s.Markets["AAA"]
			m.TakerFeeRate = nd("0.0006")
			s.Markets["AAA"] = m
			rep, err := bothEngines(t, s)
			if err != nil {
				t.Fatal(err)
			}
			wantMMAndPrices(t, &rep.Positions[0], c.mm, c.exact, c.tickPrice)
		})
	}
}

func TestVariantFlatSchedule(t *testing.T) {
	// Tiers [0, 1000) 1% 50x, [1000, 5000) 2% 25x, [5000, ...) 5% 10x;
	// progressive cum_2 = 10; flat (TIER-8) no deduction. Tick 1.
	ts := []spec.Tier{tier("0", "1000", "0.01", "50"), tier("1000", "5000", "0.02", "25"), tier("5000", "1000000", "0.05", "10")}
	iso := func(side spec.Side, entry, margin string) spec.Position {
		return spec.Position{Side: side, Size: d("1"), EntryPrice: d(entry), MarginMode: spec.Isolated, IsolatedMargin: nd(margin)}
	}
	for _, c := range []struct {
		name                 string
		v                    spec.Variants
		pos                  spec.Position
		mark                 string
		mm, exact, tickPrice string
	}{
		// Mark 2000 (N = 2000, tier 2): progressive MM = 40 - 10 = 30; flat 40.
		// Long at 1100, margin 115: f_t(P) = 115 + P - 1100 - MMR_t*P (+cum_t).
		// Progressive: tier 2's zero (975/0.98 = 994.9) is below 1000, tier
		// 1's 985/0.99 = 994.949494... is in tier 1: up 994.94949495, tick 995.
		{"long/progressive", spec.Variants{}, iso(spec.Long, "1100", "115"), "2000", "30", "994.94949495", "995"},
		// Flat: liquidatable below 985/0.99 in tier 1 and on [1000,
		// 985/0.98) in tier 2 (a gap between): the root is the supremum,
		// 985/0.98 = 1005.102040816..., up 1005.10204082, tick 1006.
		{"long/flat", spec.Variants{TierSchedule: spec.TierScheduleFlat}, iso(spec.Long, "1100", "115"), "2000", "40", "1005.10204082", "1006"},
		// Short at 900, margin 115: f_t(P) = 115 - (P - 900) - MMR_t*P. Flat:
		// in tier 1 f > 0 (zero at 1015/1.01 = 1004.95 > 1000), at 1000 f
		// jumps to 1015 - 1020 = -5 < 0: the root is the boundary 1000,
		// where the pool is liquidatable (lower-inclusive), so LIQ-5/6 report
		// one step below: 999.99999999 and 999.
		{"short/flat", spec.Variants{TierSchedule: spec.TierScheduleFlat}, iso(spec.Short, "900", "115"), "2000", "40", "999.99999999", "999"},
		// Upper-inclusive: 1000 is in tier 1 (f = 5 > 0): not liquidatable at
		// the root, reported 1000 and 1000. N = 2000 is tier 2 either way.
		{"short/flat/upper", spec.Variants{TierSchedule: spec.TierScheduleFlat, TierBound: spec.TierBoundUpper}, iso(spec.Short, "900", "115"), "2000", "40", "1000", "1000"},
		// Progressive short: tier 2's zero (1015 + 10)/1.02 = 1004.90196078...
		// lies in tier 2: down 1004.90196078, tickDown 1004.
		{"short/progressive", spec.Variants{}, iso(spec.Short, "900", "115"), "2000", "30", "1004.90196078", "1004"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := c.v
			rep, err := bothEngines(t, oneMarket(ts, &v, "1", c.pos, c.mark, "0"))
			if err != nil {
				t.Fatal(err)
			}
			wantMMAndPrices(t, &rep.Positions[0], c.mm, c.exact, c.tickPrice)
		})
	}
}

func TestVariantValidation(t *testing.T) {
	// VAR-1, in EVAL-2 order: after fundingRateCap, before the tiers.
	ts := []spec.Tier{tier("0", "1000", "0.01", "50")}
	badTiers := []spec.Tier{tier("0", "1000", "0.01", "500")} // TIER-5
	pos := spec.Position{Side: spec.Long, Size: d("1"), EntryPrice: d("100"), MarginMode: spec.Cross}
	for _, c := range []struct {
		name       string
		v          *spec.Variants
		tiers      []spec.Tier
		path, rule string
	}{
		{"unknown trigger", &spec.Variants{Trigger: "lenient"}, ts, "markets.AAA.variants.trigger", "VAR-1"},
		{"unknown bound before bad tiers", &spec.Variants{TierBound: "both"}, badTiers, "markets.AAA.variants.tierBound", "VAR-1"},
		{"share without split", &spec.Variants{LiquidatorShare: nd("0.5")}, ts, "markets.AAA.variants.liquidatorShare", "VAR-1"},
		{"split without share", &spec.Variants{IsolatedLeftover: spec.LeftoverLiquidatorSplit}, ts, "markets.AAA.variants.liquidatorShare", "VAR-1"},
		{"share above 1", &spec.Variants{IsolatedLeftover: spec.LeftoverLiquidatorSplit, LiquidatorShare: nd("1.5")}, ts, "markets.AAA.variants.liquidatorShare", "VAR-1"},
		{"share off grid", &spec.Variants{IsolatedLeftover: spec.LeftoverLiquidatorSplit, LiquidatorShare: nd("0.000000001")}, ts, "markets.AAA.variants.liquidatorShare", "NUM-1"},
		{"factor without margin-linked", &spec.Variants{FundingCapFactor: nd("1")}, ts, "markets.AAA.variants.fundingCapFactor", "VAR-1"},
		{"margin-linked without factor", &spec.Variants{FundingCap: spec.FundingCapMarginLinked}, ts, "markets.AAA.variants.fundingCapFactor", "VAR-1"},
		{"factor zero", &spec.Variants{FundingCap: spec.FundingCapMarginLinked, FundingCapFactor: nd("0")}, ts, "markets.AAA.variants.fundingCapFactor", "VAR-1"},
		{"unknown setLeverage", &spec.Variants{SetLeverage: "maybe"}, ts, "markets.AAA.variants.setLeverage", "VAR-1"},
		{"bad tiers after valid variants", &spec.Variants{IsolatedLeftover: spec.LeftoverLiquidatorSplit, LiquidatorShare: nd("1")}, badTiers, "markets.AAA.tiers[0].maxLeverage", "TIER-5"},
		{"taker rate reaches 1", &spec.Variants{CloseFee: spec.CloseFeeTaker}, []spec.Tier{tier("0", "1000", "0.01", "50"), tier("1000", "2000", "0.6", "1")}, "markets.AAA.tiers[1].maintenanceMarginRate", "QTY-5"},
		{"flat with a deduction", &spec.Variants{TierSchedule: spec.TierScheduleFlat}, []spec.Tier{tier("0", "1000", "0.01", "50"), {MinNotional: d("1000"), MaxNotional: d("2000"), MaintenanceMarginRate: d("0.02"), MaxLeverage: d("25"), MaintenanceAmount: nd("10")}}, "markets.AAA.tiers[1].maintenanceAmount", "TIER-6"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := oneMarket(c.tiers, c.v, "0.1", pos, "100", "1000")
			m := s.Markets["AAA"]
			m.TakerFeeRate = nd("0.5")
			s.Markets["AAA"] = m
			_, err := bothEngines(t, s)
			if err == nil || err.Path != c.path || err.Rule != c.rule {
				t.Fatalf("error %v, want %s at %s", err, c.rule, c.path)
			}
		})
	}
	// One trigger per scenario: the second market (BBB) differs from AAA.
	s := oneMarket(ts, nil, "0.1", pos, "100", "1000")
	s.Markets["BBB"] = spec.Market{TickSize: d("1"), LotSize: d("1"), Tiers: badTiers, Variants: &spec.Variants{Trigger: spec.TriggerAtEquality}}
	if _, err := bothEngines(t, s); err == nil || err.Path != "markets.BBB.variants.trigger" || err.Rule != "VAR-1" {
		t.Fatalf("error %v, want VAR-1 at markets.BBB.variants.trigger", err)
	}
	// The same trigger, spelled out or left to its default, is fine.
	s.Markets["BBB"] = spec.Market{TickSize: d("1"), LotSize: d("1"), Tiers: ts, Variants: &spec.Variants{Trigger: spec.TriggerStrict}}
	if _, err := bothEngines(t, s); err != nil {
		t.Fatal(err)
	}
}
