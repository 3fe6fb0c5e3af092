package reference

import (
	"errors"
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// hyperliquidETH is Hyperliquid's ETH margin table (docs "margin tiers":
// 25x below 100,000,000 USDC, 15x from it; ../shared/data/venues SOURCES.md)
// under TIER-3:half-initial. The given maintenanceMarginRate values are
// placeholders that pass TIER-3's own checks and are unused (SPEC TIER-3);
// the last tier's maxNotional is ours (the table is open-ended).
func hyperliquidETH(basis spec.MMBasis) spec.Market {
	tier := func(min, max, mmr, lev string) spec.Tier {
		return spec.Tier{MinNotional: d(min), MaxNotional: d(max), MaintenanceMarginRate: d(mmr), MaxLeverage: d(lev)}
	}
	return spec.Market{
		TickSize: d("0.01"), LotSize: d("0.0001"), MMBasis: basis,
		Variants: &spec.Variants{MaintenanceRate: spec.MaintenanceRateHalfInitial},
		Tiers: []spec.Tier{
			tier("0", "100000000", "0.02", "25"),
			tier("100000000", "1000000000", "0.03", "15"),
		},
	}
}

// ethScenario is an isolated long of 50,000 ETH at entry 3,000 with
// 15x leverage and isolated margin 10,000,000 (= IM at 15x), marked at mark.
func ethScenario(basis spec.MMBasis, mark string) *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{"ETH": hyperliquidETH(basis)},
		Prices:  map[string]spec.Price{"ETH": {Mark: nd(mark)}},
		Account: spec.Account{Positions: []spec.Position{{
			Market: "ETH", Side: spec.Long, Size: d("50000"), EntryPrice: d("3000"),
			MarginMode: spec.Isolated, Leverage: nd("15"), IsolatedMargin: nd("10000000"),
		}}},
	}
}

func evalHalf(t *testing.T, s *spec.Scenario) *spec.Report {
	t.Helper()
	r, err := Evaluate(s)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return r
}

// TestGoldenHalfInitialETH: TIER-3:half-initial, TIER-6, QTY-5, POOL-4,
// LIQ-4..6, BKR-1 on Hyperliquid's ETH table, computed by hand:
//
//	D = lcm(2*25, 2*15) = 150, a = (3, 5): MMR = (3/150, 5/150) = (1/50, 1/30)
//	c_2 = 100,000,000 * (5 - 3) = 200,000,000: cum_2 = 200,000,000/150 = 4,000,000/3
//	mark basis, mark 3000: N = 50,000 * 3,000 = 150,000,000 (tier 2)
//	MM = (150,000,000 * 5 - 200,000,000)/150 = 11,000,000/3 = 3,666,666.666...
//	  reported up: 3666666.66666667
//	IM = 150,000,000/15 = 10,000,000; E = 10,000,000 + 0
//	marginRatio = (11,000,000/3)/10,000,000 = 11/30 = 0.3666...: up 0.36666667
//	LIQ-4 tier 2: Q*P = (K - Q*EP + cum_2)/(1/30 - 1)
//	  = (10,000,000 - 150,000,000 + 4,000,000/3) / (-29/30)
//	  = (416,000,000/3) * (30/29) = 4,160,000,000/29 (>= 100,000,000: in tier 2)
//	  P = 4,160,000,000/(29 * 50,000) = 83,200/29 = 2868.96551724137931...
//	  exact report up: 2868.96551725; tick 0.01 up: 2868.97
//	bankruptcy: EP - K0/Q = 3000 - 10,000,000/50,000 = 2800
//	entry basis, mark 2900: P = EP - (K - MM(Q*EP))/Q
//	  = 3000 - (10,000,000 - 11,000,000/3)/50,000 = 3000 - 380/3 = 8620/3
//	  = 2873.3333...: exact up 2873.33333334, tick up 2873.34
func TestGoldenHalfInitialETH(t *testing.T) {
	r := evalHalf(t, ethScenario(spec.BasisMark, "3000"))
	p := r.Positions[0]
	wantDec(t, "maintenanceMargin", p.MaintenanceMargin, "3666666.66666667")
	if p.Tier != 2 {
		t.Errorf("tier = %d, want 2", p.Tier)
	}
	wantDec(t, "initialMargin", p.InitialMargin, "10000000")
	wantNull(t, "liquidationPriceExact", p.LiquidationPriceExact, "2868.96551725")
	wantNull(t, "liquidationPrice", p.LiquidationPrice, "2868.97")
	wantNull(t, "bankruptcyPrice", p.BankruptcyPrice, "2800")
	iso := r.Pools[1]
	wantDec(t, "pool maintenanceMargin", iso.MaintenanceMargin, "3666666.66666667")
	wantNull(t, "pool marginRatio", iso.MarginRatio, "0.36666667")
	if iso.Liquidatable {
		t.Error("pool liquidatable at E = 10,000,000 > MM")
	}

	r = evalHalf(t, ethScenario(spec.BasisEntry, "2900"))
	p = r.Positions[0]
	wantDec(t, "entry maintenanceMargin", p.MaintenanceMargin, "3666666.66666667")
	wantNull(t, "entry liquidationPriceExact", p.LiquidationPriceExact, "2873.33333334")
	wantNull(t, "entry liquidationPrice", p.LiquidationPrice, "2873.34")

	// Tier 1 is on the grid: 1 ETH at 3000, N = 3000, MM = 3000 * 3/150 = 60.
	s := ethScenario(spec.BasisMark, "3000")
	s.Account.Positions[0].Size = d("1")
	s.Account.Positions[0].IsolatedMargin = nd("200")
	wantDec(t, "tier-1 maintenanceMargin", evalHalf(t, s).Positions[0].MaintenanceMargin, "60")
}

// TestHalfInitialErrors: the input rules of TIER-3:half-initial (integer
// leverages, D <= 10^6, TIER-6 with a rational deduction), and the
// ledger's acceptance of the variant (its goldens: ledger_variant_test.go).
func TestHalfInitialErrors(t *testing.T) {
	cases := []struct {
		name       string
		edit       func(m *spec.Market)
		path, rule string
	}{
		{"non-integer leverage", func(m *spec.Market) { m.Tiers[1].MaxLeverage = d("12.5") },
			"markets.ETH.tiers[1].maxLeverage", "TIER-3"},
		// lcm(2*999, 2*998) = 2*999*998 = 1,994,004 > 10^6.
		{"denominator above 10^6", func(m *spec.Market) {
			m.Tiers[0].MaxLeverage = d("999")
			m.Tiers[1].MaxLeverage = d("998")
		}, "markets.ETH.tiers[1].maxLeverage", "TIER-3"},
		// cum_2 = 4,000,000/3 is not on the grid: no decimal equals it.
		{"deduction not on the grid", func(m *spec.Market) { m.Tiers[1].MaintenanceAmount = nd("1333333.33333333") },
			"markets.ETH.tiers[1].maintenanceAmount", "TIER-6"},
		// 1/(2*1) + 0.5 = 1: QTY-5:taker needs < 1.
		{"taker rate reaches 1", func(m *spec.Market) {
			m.Tiers[1].MaxLeverage = d("1")
			m.TakerFeeRate = nd("0.5")
			m.Variants.CloseFee = spec.CloseFeeTaker
		}, "markets.ETH.tiers[1].maintenanceMarginRate", "QTY-5"},
	}
	for _, c := range cases {
		s := ethScenario(spec.BasisMark, "3000")
		m := s.Markets["ETH"]
		v := *m.Variants
		m.Variants = &v
		m.Tiers = append([]spec.Tier(nil), m.Tiers...)
		c.edit(&m)
		s.Markets["ETH"] = m
		_, err := Evaluate(s)
		var se *spec.Error
		if !errors.As(err, &se) || se.Path != c.path || se.Rule != c.rule {
			t.Errorf("%s: err = %v, want %s at %s", c.name, err, c.rule, c.path)
		}
	}
	// A deduction on the grid is accepted: with 20x then 10x,
	// cum_2 = 100,000,000 * (1/20 - 1/40) = 2,500,000.
	s := ethScenario(spec.BasisMark, "3000")
	m := s.Markets["ETH"]
	m.Tiers = []spec.Tier{m.Tiers[0], m.Tiers[1]}
	m.Tiers[0].MaxLeverage, m.Tiers[1].MaxLeverage = d("20"), d("10")
	m.Tiers[1].MaintenanceAmount = nd("2500000")
	s.Markets["ETH"] = m
	s.Account.Positions[0].Leverage = nd("10")
	s.Account.Positions[0].IsolatedMargin = nd("15000000")
	// MM = 150,000,000/20 - 2,500,000 = 5,000,000.
	wantDec(t, "20x/10x maintenanceMargin", evalHalf(t, s).Positions[0].MaintenanceMargin, "5000000")

	// The ledger implements the variant (SPEC TIER-3) and checks its rules:
	// the market loads; at 12.5x it fails TIER-3 as the queries do.
	sc := ethScenario(spec.BasisMark, "3000")
	if _, err := NewLedger(&spec.State{Markets: sc.Markets, Prices: sc.Prices}); err != nil {
		t.Errorf("NewLedger: %v, want the half-initial market accepted", err)
	}
	sc.Markets["ETH"].Tiers[1].MaxLeverage = d("12.5")
	_, err := NewLedger(&spec.State{Markets: sc.Markets, Prices: sc.Prices})
	var se *spec.Error
	if !errors.As(err, &se) || se.Rule != "TIER-3" || se.Path != "markets.ETH.tiers[1].maxLeverage" {
		t.Errorf("NewLedger: err = %v, want TIER-3 at markets.ETH.tiers[1].maxLeverage", err)
	}
}

// TestGoldenHalfInitialCross: a cross pool of two TIER-3:half-initial
// markets, where LIQ-1's K holds the other position's rational MM. Hand
// calculation, wallet 20,000,000, ETH long 50,000 @ 3000 (mark 3000; table
// of hyperliquidETH, MM_A = 11,000,000/3 as above), BTC short 1 @ 60,000
// (mark 60,000; Hyperliquid BTC: 40x below 150,000,000, 20x from it, so
// D = lcm(80, 40) = 80, MMR_1 = 1/80, MM_B = 60,000/80 = 750):
//
//	pool MM = 11,000,000/3 + 750 = 11,002,250/3 = 3,667,416.666...: up 3667416.66666667
//	marginRatio = (11,002,250/3)/20,000,000 = 44,009/240,000 = 0.1833708333...: up 0.18337084
//	BTC (short): K = 20,000,000 - 11,000,000/3 = 49,000,000/3; tier 1:
//	  Q*P = (K + 60,000 + 0)/(1/80 + 1) = (49,180,000/3)*(80/81) = 3,934,400,000/243
//	  = 16,190,946.502057613... (< 150,000,000: tier 1; tier 2's P_t is below
//	  its range, so its candidate 150,000,000 is larger): exact down 16190946.50205761,
//	  tick 1 down 16190946
//	ETH (long): K = 20,000,000 - 750 = 19,999,250; tier 2:
//	  Q*P = (19,999,250 - 150,000,000 + 4,000,000/3)/(1/30 - 1)
//	  = (386,002,250/3)*(30/29) = 3,860,022,500/29 (>= 100,000,000)
//	  P = 3,860,022,500/(29*50,000) = 1,544,009/580 = 2662.0844827586...:
//	  exact up 2662.08448276, tick 0.01 up 2662.09
//	ETH bankruptcy: EP - K0/Q = 3000 - 20,000,000/50,000 = 2600
func TestGoldenHalfInitialCross(t *testing.T) {
	btc := hyperliquidETH(spec.BasisMark)
	btc.TickSize = d("1")
	btc.Tiers = []spec.Tier{
		{MinNotional: d("0"), MaxNotional: d("150000000"), MaintenanceMarginRate: d("0.0125"), MaxLeverage: d("40")},
		{MinNotional: d("150000000"), MaxNotional: d("1000000000"), MaintenanceMarginRate: d("0.025"), MaxLeverage: d("20")},
	}
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"ETH": hyperliquidETH(spec.BasisMark), "BTC": btc},
		Prices:  map[string]spec.Price{"ETH": {Mark: nd("3000")}, "BTC": {Mark: nd("60000")}},
		Account: spec.Account{WalletBalance: d("20000000"), Positions: []spec.Position{
			{Market: "ETH", Side: spec.Long, Size: d("50000"), EntryPrice: d("3000"), MarginMode: spec.Cross, Leverage: nd("15")},
			{Market: "BTC", Side: spec.Short, Size: d("1"), EntryPrice: d("60000"), MarginMode: spec.Cross, Leverage: nd("20")},
		}},
	}
	r := evalHalf(t, s)
	cross := r.Pools[0]
	wantDec(t, "cross maintenanceMargin", cross.MaintenanceMargin, "3667416.66666667")
	wantNull(t, "cross marginRatio", cross.MarginRatio, "0.18337084")
	eth, btcP := r.Positions[0], r.Positions[1]
	wantDec(t, "BTC maintenanceMargin", btcP.MaintenanceMargin, "750")
	wantNull(t, "BTC liquidationPriceExact", btcP.LiquidationPriceExact, "16190946.50205761")
	wantNull(t, "BTC liquidationPrice", btcP.LiquidationPrice, "16190946")
	wantNull(t, "ETH liquidationPriceExact", eth.LiquidationPriceExact, "2662.08448276")
	wantNull(t, "ETH liquidationPrice", eth.LiquidationPrice, "2662.09")
	wantNull(t, "ETH bankruptcyPrice", eth.BankruptcyPrice, "2600")
}
