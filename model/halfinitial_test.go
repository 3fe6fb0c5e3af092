package model_test

import (
	"errors"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// Golden tests of TIER-3:half-initial (SPEC TIER-3: MMR_t = 1/(2
// maxLeverage_t) exactly) on both engines. Every expected value is computed
// by hand with exact fractions in the comment above it, never read from an
// engine.

// hlETH is Hyperliquid's ETH margin table (25x below 100,000,000, 15x from
// it) under TIER-3:half-initial; the given maintenanceMarginRate values are
// placeholders that TIER-3's own checks accept and the variant ignores.
func hlETH() spec.Market {
	return spec.Market{
		TickSize: d("0.01"), LotSize: d("0.0001"),
		Variants: &spec.Variants{MaintenanceRate: spec.MaintenanceRateHalfInitial},
		Tiers: []spec.Tier{
			tier("0", "100000000", "0.02", "25"),
			tier("100000000", "1000000000", "0.03", "15"),
		},
	}
}

// ethLong is a long of 50,000 ETH at entry 3,000, marked at 3,000.
func ethLong(mode spec.MarginMode) spec.Position {
	p := spec.Position{Market: "ETH", Side: spec.Long, Size: d("50000"), EntryPrice: d("3000"), MarginMode: mode, Leverage: nd("15")}
	if mode == spec.Isolated {
		p.IsolatedMargin = nd("10000000")
	}
	return p
}

func halfScenario(m spec.Market, wallet string, pos ...spec.Position) *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{"ETH": m},
		Prices:  map[string]spec.Price{"ETH": {Mark: nd("3000")}},
		Account: spec.Account{WalletBalance: d(wallet), Positions: pos},
	}
}

// TestHalfInitialGolden: TIER-3:half-initial with TIER-6, TIER-8, QTY-5,
// POOL-4, LIQ-4..6, on an isolated ETH long (N = 50,000 * 3,000 =
// 150,000,000, tier 2, E = 10,000,000).
//
//	D = lcm(2*25, 2*15) = 150, a = (3, 5), c_2 = 100,000,000*(5-3) = 200,000,000
//	MM = (150,000,000*5 - 200,000,000)/150 = 11,000,000/3 = 3,666,666.666...: up 3666666.66666667
//	marginRatio = (11,000,000/3)/10,000,000 = 11/30: up 0.36666667
//	LIQ-4 tier 2: Q*P = (10,000,000 - 150,000,000 + 4,000,000/3)/(1/30 - 1)
//	  = (416,000,000/3)*(30/29) = 4,160,000,000/29 (>= 100,000,000: tier 2)
//	  P = 83,200/29 = 2868.9655172413...: up 2868.96551725, tick 0.01 up 2868.97
//	entry basis: P = EP - (K - MM(Q*EP))/Q = 3000 - (10,000,000 - 11,000,000/3)/50,000
//	  = 3000 - 380/3 = 8620/3 = 2873.333...: up 2873.33333334, tick 2873.34
//	QTY-5:taker (takerFeeRate 0.0005): MM = N*(1/30 + 0.0005) - 4,000,000/3
//	  = 5,000,000 + 75,000 - 1,333,333.333... = 11,225,000/3 = 3,741,666.666...: up 3741666.66666667
//	TIER-8:flat: MM = N/30 = 5,000,000 (no deduction)
//	tier 1 (1 ETH, N = 3,000): MM = 3,000 * 3/150 = 60
func TestHalfInitialGolden(t *testing.T) {
	r, _ := bothEngines(t, halfScenario(hlETH(), "0", ethLong(spec.Isolated)))
	p := &r.Positions[0]
	wantMMAndPrices(t, p, "3666666.66666667", "2868.96551725", "2868.97")
	if p.Tier != 2 {
		t.Errorf("tier = %d, want 2", p.Tier)
	}
	wantField(t, "marginRatio", r.Pools[1].MarginRatio, "0.36666667")
	if !r.Pools[1].MaintenanceMargin.Equal(d("3666666.66666667")) || r.Pools[1].Liquidatable {
		t.Errorf("isolated pool = %+v, want MM 3666666.66666667, not liquidatable", r.Pools[1])
	}

	entry := hlETH()
	entry.MMBasis = spec.BasisEntry
	s := halfScenario(entry, "0", ethLong(spec.Isolated))
	s.Prices["ETH"] = spec.Price{Mark: nd("2900")}
	r, _ = bothEngines(t, s)
	wantMMAndPrices(t, &r.Positions[0], "3666666.66666667", "2873.33333334", "2873.34")

	taker := hlETH()
	taker.TakerFeeRate = nd("0.0005")
	taker.Variants.CloseFee = spec.CloseFeeTaker
	r, _ = bothEngines(t, halfScenario(taker, "0", ethLong(spec.Isolated)))
	if got := r.Positions[0].MaintenanceMargin; !got.Equal(d("3741666.66666667")) {
		t.Errorf("taker MM = %s, want 3741666.66666667", got)
	}

	flat := hlETH()
	flat.Variants.TierSchedule = spec.TierScheduleFlat
	r, _ = bothEngines(t, halfScenario(flat, "0", ethLong(spec.Isolated)))
	if got := r.Positions[0].MaintenanceMargin; !got.Equal(d("5000000")) {
		t.Errorf("flat MM = %s, want 5000000", got)
	}

	small := ethLong(spec.Isolated)
	small.Size, small.IsolatedMargin = d("1"), nd("200")
	r, _ = bothEngines(t, halfScenario(hlETH(), "0", small))
	if got := r.Positions[0].MaintenanceMargin; !got.Equal(d("60")) {
		t.Errorf("tier-1 MM = %s, want 60", got)
	}
}

// TestHalfInitialCrossMixed: a cross pool of the half-initial ETH long and a
// short in a market under the given rates (SOL: MMR 0.01, 50x), so the model
// scales SOL's rate to ETH's denominator. Wallet 20,000,000; SOL short 100 @
// 150, mark 150 (MM = 15,000 * 0.01 = 150, U = 0).
//
//	pool MM = 11,000,000/3 + 150 = 11,000,450/3 = 3,666,816.666...: up 3666816.66666667
//	marginRatio = (11,000,450/3)/20,000,000 = 220,009/1,200,000 = 0.18334083...: up 0.18334084
//	SOL: K = 20,000,000 - 11,000,000/3 = 49,000,000/3; Q*P*(1 + 0.01) = K + 15,000
//	  P = (49,045,000/3)/(1.01*100) = 49,045,000/303 = 161864.68646864686...:
//	  down 161864.68646864, tick 0.001 down 161864.686
//	ETH: K = 20,000,000 - 150 = 19,999,850; tier 2:
//	  Q*P = (19,999,850 - 150,000,000 + 4,000,000/3)/(1/30 - 1) = 3,860,004,500/29 (>= 100,000,000)
//	  P = 7,720,009/2,900 = 2662.0720689655...: up 2662.07206897, tick 0.01 up 2662.08
func TestHalfInitialCrossMixed(t *testing.T) {
	s := halfScenario(hlETH(), "20000000", ethLong(spec.Cross),
		spec.Position{Market: "SOL", Side: spec.Short, Size: d("100"), EntryPrice: d("150"), MarginMode: spec.Cross, Leverage: nd("10")})
	s.Markets["SOL"] = spec.Market{TickSize: d("0.001"), LotSize: d("0.1"), Tiers: []spec.Tier{tier("0", "1000000000", "0.01", "50")}}
	s.Prices["SOL"] = spec.Price{Mark: nd("150")}
	r, _ := bothEngines(t, s)
	if got := r.Pools[0].MaintenanceMargin; !got.Equal(d("3666816.66666667")) {
		t.Errorf("cross MM = %s, want 3666816.66666667", got)
	}
	wantField(t, "cross marginRatio", r.Pools[0].MarginRatio, "0.18334084")
	wantMMAndPrices(t, &r.Positions[1], "150", "161864.68646864", "161864.686")
	wantMMAndPrices(t, &r.Positions[0], "3666666.66666667", "2662.07206897", "2662.08")
}

// TestHalfInitialErrors: TIER-3:half-initial's input rules on both engines,
// and the ledger's acceptance of the variant (goldens: ledger_halfimr_test.go).
func TestHalfInitialErrors(t *testing.T) {
	cases := []struct {
		name       string
		edit       func(s *spec.Scenario)
		path, rule string
	}{
		{"non-integer leverage", func(s *spec.Scenario) { s.Markets["ETH"].Tiers[1].MaxLeverage = d("12.5") },
			"markets.ETH.tiers[1].maxLeverage", "TIER-3"},
		// One table: lcm(2*999, 2*998) = 1,994,004 > 10^6.
		{"table denominator above 10^6", func(s *spec.Scenario) {
			s.Markets["ETH"].Tiers[0].MaxLeverage = d("999")
			s.Markets["ETH"].Tiers[1].MaxLeverage = d("998")
		}, "markets.ETH.tiers[1].maxLeverage", "TIER-3"},
		// Across markets: BTC (first in byte order) at 999x gives D = 1998;
		// ETH's 25x then 15x: lcm(1998, 50) = 49,950, lcm(49,950, 30) =
		// 49,950 <= 10^6; with ETH at 998x: lcm(1998, 1996) = 1,994,004.
		{"scenario denominator above 10^6", func(s *spec.Scenario) {
			btc := hlETH()
			btc.Tiers = []spec.Tier{tier("0", "1000000000", "0.0005", "999")}
			s.Markets["BTC"] = btc
			s.Markets["ETH"].Tiers[0].MaxLeverage = d("998")
		}, "markets.ETH.tiers[0].maxLeverage", "TIER-3"},
		// cum_2 = 4,000,000/3 is not on the 1e-8 grid: no decimal equals it.
		{"deduction off the grid", func(s *spec.Scenario) {
			s.Markets["ETH"].Tiers[1].MaintenanceAmount = nd("1333333.33333333")
		}, "markets.ETH.tiers[1].maintenanceAmount", "TIER-6"},
		// 1/(2*1) + 0.5 = 1: QTY-5:taker needs < 1.
		{"taker rate reaches 1", func(s *spec.Scenario) {
			m := s.Markets["ETH"]
			m.Tiers[1].MaxLeverage = d("1")
			m.TakerFeeRate = nd("0.5")
			m.Variants.CloseFee = spec.CloseFeeTaker
			s.Markets["ETH"] = m
		}, "markets.ETH.tiers[1].maintenanceMarginRate", "QTY-5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := halfScenario(hlETH(), "0", ethLong(spec.Isolated))
			c.edit(s)
			_, err := bothEngines(t, s)
			if err == nil || err.Path != c.path || err.Rule != c.rule {
				t.Errorf("err = %v, want %s at %s", err, c.rule, c.path)
			}
		})
	}
	// A deduction on the grid is accepted: 20x then 10x, D = 40,
	// cum_2 = 100,000,000*(1/20 - 1/40) = 2,500,000; MM = 150,000,000/20 - 2,500,000 = 5,000,000.
	m := hlETH()
	m.Tiers[0].MaxLeverage, m.Tiers[1].MaxLeverage = d("20"), d("10")
	m.Tiers[1].MaintenanceAmount = nd("2500000")
	pos := ethLong(spec.Isolated)
	pos.Leverage, pos.IsolatedMargin = nd("10"), nd("15000000")
	r, _ := bothEngines(t, halfScenario(m, "0", pos))
	if got := r.Positions[0].MaintenanceMargin; !got.Equal(d("5000000")) {
		t.Errorf("20x/10x MM = %s, want 5000000", got)
	}

	if _, err := model.NewLedger(&spec.State{Markets: map[string]spec.Market{"ETH": hlETH()}}); err != nil {
		t.Errorf("NewLedger: %v, want the half-initial market accepted", err)
	}
	bad := hlETH()
	bad.Tiers[1].MaxLeverage = d("12.5")
	_, err := model.NewLedger(&spec.State{Markets: map[string]spec.Market{"ETH": bad}})
	var se *spec.Error
	if !errors.As(err, &se) || se.Rule != "TIER-3" || se.Path != "markets.ETH.tiers[1].maxLeverage" {
		t.Errorf("NewLedger: err = %v, want TIER-3 at markets.ETH.tiers[1].maxLeverage", err)
	}
}
