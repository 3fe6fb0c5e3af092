package venue_test

import (
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// bothEngines evaluates the resolved scenario s with the model and the
// reference and returns the first position's report of each.
func bothEngines(t *testing.T, s *spec.Scenario) map[string]spec.PositionReport {
	t.Helper()
	r, err := venue.Resolve(s)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]spec.PositionReport{}
	for name, eval := range map[string]func(*spec.Scenario) (*spec.Report, error){"model": model.Evaluate, "reference": reference.Evaluate} {
		rep, err := eval(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = rep.Positions[0]
	}
	return out
}

// TestHyperliquidProfile: every shipped rate outside ETH is 1/(2 x
// maxLeverage) exactly (SPEC TIER-3:half-initial written as decimals), BTC's
// tiers are the page's (40x below 150,000,000, 20x beyond), ETH selects
// TIER-3:half-initial (its 15x tier's 1/30 is not on the grid), and a cross
// long of 5,000 BTC at 40,000 (N = 200,000,000, tier 2) has, by hand, MM =
// 200,000,000 x 0.025 - 150,000,000 x (0.025 - 0.0125) = 5,000,000 -
// 1,875,000 = 3,125,000.
func TestHyperliquidProfile(t *testing.T) {
	var p *venue.Profile
	ps := venue.Profiles()
	for i := range ps {
		if ps[i].Venue == "hyperliquid" {
			p = &ps[i]
		}
	}
	if p == nil || p.AsOf != "2026-09-27" || len(p.Markets) != 39 {
		t.Fatalf("hyperliquid profile: %+v", p)
	}
	eth := p.Markets["ETH"]
	if eth.Variants == nil || eth.Variants.MaintenanceRate != spec.MaintenanceRateHalfInitial || len(eth.Tiers) != 2 ||
		!eth.Tiers[0].MaxLeverage.Equal(dec("25")) || !eth.Tiers[1].MinNotional.Equal(dec("100000000")) ||
		!eth.Tiers[1].MaxLeverage.Equal(dec("15")) || eth.Tiers[1].MaintenanceAmount.Valid {
		t.Errorf("ETH: %+v", eth)
	}
	for sym, m := range p.Markets {
		if sym == "ETH" {
			continue // half-initial: the given rates are placeholders
		}
		for i, tr := range m.Tiers {
			if !tr.MaintenanceMarginRate.Mul(tr.MaxLeverage).Mul(dec("2")).Equal(dec("1")) {
				t.Errorf("%s tier %d: MMR %s is not 1/(2 x %s)", sym, i+1, tr.MaintenanceMarginRate, tr.MaxLeverage)
			}
		}
	}
	btc := p.Markets["BTC"].Tiers
	if len(btc) != 2 || !btc[0].MaxLeverage.Equal(dec("40")) || !btc[1].MinNotional.Equal(dec("150000000")) ||
		!btc[1].MaxLeverage.Equal(dec("20")) || !btc[1].MaintenanceAmount.Decimal.Equal(dec("1875000")) {
		t.Errorf("BTC tiers %+v", btc)
	}
	got := bothEngines(t, &spec.Scenario{
		Markets: map[string]spec.Market{"BTC": {Profile: "hyperliquid", Symbol: "BTC"}},
		Prices:  map[string]spec.Price{"BTC": {Mark: nullDec("40000")}},
		Account: spec.Account{WalletBalance: dec("20000000"), Positions: []spec.Position{
			{Market: "BTC", Side: spec.Long, Size: dec("5000"), EntryPrice: dec("40000"), MarginMode: spec.Cross, Leverage: nullDec("20")}}},
	})
	for name, pr := range got {
		if !pr.MaintenanceMargin.Equal(dec("3125000")) || pr.Tier != 2 {
			t.Errorf("%s: MM %s tier %d, want 3125000 tier 2", name, pr.MaintenanceMargin, pr.Tier)
		}
	}
}

// TestHyperliquidETH: Hyperliquid's ETH under TIER-3:half-initial (SPEC
// TIER-3's worked example), a cross long of 50,000 ETH at 3,000 with wallet
// 20,000,000, by hand:
//
//	D = lcm(50, 30) = 150, a = (3, 5), c_2 = 100,000,000 * (5 - 3) = 200,000,000
//	N = 150,000,000 (tier 2): MM = (150,000,000 * 5 - 200,000,000)/150 = 11,000,000/3: up 3666666.66666667
//	LIQ-4 tier 2: Q*P = (20,000,000 - 150,000,000 + 4,000,000/3)/(1/30 - 1) = 3,860,000,000/29 (>= 100,000,000)
//	P = 77,200/29 = 2662.06896551724...: up (and tick 1e-8) 2662.06896552
//
// and the ledgers load it (they implement the variant, SPEC TIER-3; their
// goldens: model/ledger_halfimr_test.go).
func TestHyperliquidETH(t *testing.T) {
	got := bothEngines(t, &spec.Scenario{
		Markets: map[string]spec.Market{"ETH": {Profile: "hyperliquid", Symbol: "ETH"}},
		Prices:  map[string]spec.Price{"ETH": {Mark: nullDec("3000")}},
		Account: spec.Account{WalletBalance: dec("20000000"), Positions: []spec.Position{
			{Market: "ETH", Side: spec.Long, Size: dec("50000"), EntryPrice: dec("3000"), MarginMode: spec.Cross, Leverage: nullDec("15")}}},
	})
	for name, pr := range got {
		if !pr.MaintenanceMargin.Equal(dec("3666666.66666667")) || pr.Tier != 2 ||
			!pr.LiquidationPrice.Decimal.Equal(dec("2662.06896552")) || !pr.LiquidationPriceExact.Decimal.Equal(dec("2662.06896552")) {
			t.Errorf("%s: MM %s tier %d liquidation %v / %v, want 3666666.66666667, tier 2, 2662.06896552",
				name, pr.MaintenanceMargin, pr.Tier, pr.LiquidationPrice, pr.LiquidationPriceExact)
		}
	}
	m, err := venue.Lookup("hyperliquid", "ETH")
	if err != nil {
		t.Fatal(err)
	}
	st := &spec.State{Markets: map[string]spec.Market{"ETH": m}}
	for name, newLedger := range map[string]func(*spec.State) error{
		"model":     func(st *spec.State) error { _, err := model.NewLedger(st); return err },
		"reference": func(st *spec.State) error { _, err := reference.NewLedger(st); return err },
	} {
		if err := newLedger(st); err != nil {
			t.Errorf("%s ledger: err = %v, want the half-initial market loaded", name, err)
		}
	}
}

// TestSeedProfile: the seed documents' rule of thumb "10x with 1%
// maintenance margin liquidates about 9% below entry". An isolated long of
// 1,000 at entry 1 with leverage 10 has margin 100. By hand, on the entry
// basis MM = 1,000 x 1 x 1% = 10 and E = 100 + 1,000 x (P - 1), so E < MM
// for P < 0.91: the liquidation price is 0.91 x entry. On the mark basis MM
// = 1,000 x P x 1% = 10P, so E < MM for 990P < 900, P < 0.909090909...,
// reported rounded up to the tick (LIQ-6, long): 0.90909091. Example B of the
// seed (MM 5%, same position) liquidates at 0.95 (E = 50). The profile sets
// the seed's ledger wording as variants.
func TestSeedProfile(t *testing.T) {
	m, err := venue.Lookup("seed", "RULE-1PCT")
	if err != nil {
		t.Fatal(err)
	}
	if m.MMBasis != spec.BasisEntry || m.Variants == nil || m.Variants.IsolatedLeftover != spec.LeftoverInsurance ||
		m.Variants.IsolatedFeePayer != spec.FeePayerPosition {
		t.Errorf("seed market %+v, variants %+v", m, m.Variants)
	}
	for _, tc := range []struct {
		sym   string
		basis spec.MMBasis
		lp    string
	}{{"RULE-1PCT", "", "0.91"}, {"RULE-1PCT", spec.BasisMark, "0.90909091"}, {"XRP", "", "0.95"}} {
		got := bothEngines(t, &spec.Scenario{
			Markets: map[string]spec.Market{"M": {Profile: "seed", Symbol: tc.sym, MMBasis: tc.basis}},
			Prices:  map[string]spec.Price{"M": {Mark: nullDec("1")}},
			Account: spec.Account{WalletBalance: dec("0"), Positions: []spec.Position{
				{Market: "M", Side: spec.Long, Size: dec("1000"), EntryPrice: dec("1"), MarginMode: spec.Isolated,
					Leverage: nullDec("10"), IsolatedMargin: nullDec("100")}}},
		})
		for name, pr := range got {
			if !pr.LiquidationPrice.Valid || !pr.LiquidationPrice.Decimal.Equal(dec(tc.lp)) {
				t.Errorf("%s %s basis %q: liquidation price %v (%s), want %s", name, tc.sym, tc.basis, pr.LiquidationPrice, pr.LiquidationPriceReason, tc.lp)
			}
		}
	}
}
