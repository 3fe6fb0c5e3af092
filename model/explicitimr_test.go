package model_test

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// Golden tests of explicit initial margin rates (SPEC TIER-1, TIER-5,
// QTY-4: IM = N * max(1/L, IMR_t)) on both engines. Every expected value is
// computed by hand in the comment above it, never read from an engine.

// okxTiers is OKX's ETHUSDT tier shape of 2021-06-11 (MMR 0.4%/0.5%/1%,
// IMR 0.8%/1%/1.5%, 125x/100x/66.66x; OKEx support article 4402607424781).
// OKX bounds its tiers in contracts; the contract value is not sourced, so
// the USDT bounds here (0 / 300,000 / 600,000 / 1,200,000) are the test's.
// TIER-6: cum_2 = 300,000 * 0.001 = 300, cum_3 = 300 + 600,000 * 0.005 = 3,300.
func okxTiers() []spec.Tier {
	ts := []spec.Tier{
		tier("0", "300000", "0.004", "125"),
		tier("300000", "600000", "0.005", "100"),
		tier("600000", "1200000", "0.01", "66.66"),
	}
	for i, r := range []string{"0.008", "0.01", "0.015"} {
		v := d(r)
		ts[i].InitialMarginRate = &v
	}
	return ts
}

func okxMarket() spec.Market {
	return spec.Market{TickSize: d("0.01"), LotSize: d("0.00000001"), Tiers: okxTiers()}
}

func imrScenario(wallet string, pos ...spec.Position) *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{"ETH": okxMarket(), "ETC": okxMarket(),
			"LTC": {TickSize: d("0.01"), LotSize: d("0.01"), Tiers: []spec.Tier{tier("0", "1000000000", "0.01", "10")}}},
		Prices:  map[string]spec.Price{"ETH": {Mark: nd("2500")}, "ETC": {Mark: nd("2500")}, "LTC": {Mark: nd("3")}},
		Account: spec.Account{WalletBalance: d(wallet), Positions: pos},
	}
}

func imrPos(market, size, lev string, mode spec.MarginMode) spec.Position {
	return spec.Position{Market: market, Side: spec.Long, Size: d(size), EntryPrice: d("2500"), MarginMode: mode, Leverage: nd(lev)}
}

// TestExplicitIMRGolden: one cross long of 300 ETH at 2,500 (N = 750,000,
// tier 3: MMR 1%, IMR 1.5%, maxLeverage 66.66), wallet 20,000, E = 20,000,
// MM = 750,000 * 0.01 - 3,300 = 4,200, at three chosen leverages:
//
//	125x:   max(1/125 = 0.008, 0.015) = 0.015: IM = 11,250; available 8,750
//	        (1/min(125, 66.66) would ask 750,000/66.66 = 11,251.1251125...)
//	66.66x: 0.015 * 66.66 = 0.9999 <= 1, so 1/66.66 = 0.0150015... wins:
//	        IM = 750,000/66.66 = 75,000,000/6,666 = 11,251.12511251125...: up 11251.12511252;
//	        available = down(20,000 - 11,251.125112511...) = 8748.87488748
//	50x:    1/50 = 0.02 > 0.015: IM = 15,000; available 5,000
//
// QTY-3's reported leverage stays min(L, 66.66).
func TestExplicitIMRGolden(t *testing.T) {
	for _, c := range []struct {
		lev, repLev, im, avail string
	}{
		{"125", "66.66", "11250", "8750"},
		{"66.66", "66.66", "11251.12511252", "8748.87488748"},
		{"50", "50", "15000", "5000"},
	} {
		r, _ := bothEngines(t, imrScenario("20000", imrPos("ETH", "300", c.lev, spec.Cross)))
		p, pl := &r.Positions[0], &r.Pools[0]
		if !p.InitialMargin.Equal(d(c.im)) || !p.Leverage.Equal(d(c.repLev)) || !p.MaintenanceMargin.Equal(d("4200")) || p.Tier != 3 {
			t.Errorf("%sx: position IM %s leverage %s MM %s tier %d, want %s %s 4200 3", c.lev, p.InitialMargin, p.Leverage, p.MaintenanceMargin, p.Tier, c.im, c.repLev)
		}
		if !pl.InitialMargin.Equal(d(c.im)) || !pl.Available.Equal(d(c.avail)) {
			t.Errorf("%sx: cross IM %s available %s, want %s %s", c.lev, pl.InitialMargin, pl.Available, c.im, c.avail)
		}
	}
}

// TestExplicitIMRCrossSum: POOL-1 sums the exact IMs, rounded once. Wallet
// 30,000, every entry at the mark (U = 0, E = 30,000):
//
//	ETH 300.00000001 @ 2,500 at 125x: N = 750,000.000025 (tier 3), IM = N * 0.015 = 11,250.000000375: up 11250.00000038
//	ETC 240.00000003 @ 2,500 at 125x: N = 600,000.000075 (tier 3), IM = N * 0.015 = 9,000.000001125: up 9000.00000113
//	LTC 1 @ 3 at 7x (no explicit rates): IM = 3/7 = 0.428571428571...: up 0.42857143
//	cross IM = 20,250.0000015 + 3/7 = 20,250.42857292857...: up 20250.42857293
//	  (the sum of the rounded IMs would be 20250.42857294)
//	available = down(30,000 - 20,250.42857292857...) = 9749.57142707
//	MM = (7,500.00000025 - 3,300) + (6,000.00000075 - 3,300) + 0.03 = 6900.030001
func TestExplicitIMRCrossSum(t *testing.T) {
	s := imrScenario("30000",
		imrPos("ETH", "300.00000001", "125", spec.Cross),
		imrPos("ETC", "240.00000003", "125", spec.Cross),
		spec.Position{Market: "LTC", Side: spec.Long, Size: d("1"), EntryPrice: d("3"), MarginMode: spec.Cross, Leverage: nd("7")})
	r, _ := bothEngines(t, s)
	for i, want := range []string{"11250.00000038", "9000.00000113", "0.42857143"} {
		if got := r.Positions[i].InitialMargin; !got.Equal(d(want)) {
			t.Errorf("position %d IM = %s, want %s", i, got, want)
		}
	}
	pl := &r.Pools[0]
	if !pl.InitialMargin.Equal(d("20250.42857293")) || !pl.Available.Equal(d("9749.57142707")) || !pl.MaintenanceMargin.Equal(d("6900.030001")) {
		t.Errorf("cross pool = %+v, want IM 20250.42857293, available 9749.57142707, MM 6900.030001", *pl)
	}
}

// TestExplicitIMRIsolated: POS-5's default isolated margin and POOL-6 follow
// QTY-4. An isolated long of 300 ETH at 2,500, 125x (N = 750,000, tier 3):
//
//	default isolatedMargin = up(750,000 * max(1/125, 0.015)) = 11,250 (not 11,251.12511252)
//	  maxRemovableMargin = max(0, min(M, M + 0 - IM)) = 0
//	isolatedMargin 12,000: maxRemovableMargin = 12,000 - 11,250 = 750, available 750
func TestExplicitIMRIsolated(t *testing.T) {
	r, _ := bothEngines(t, imrScenario("0", imrPos("ETH", "300", "125", spec.Isolated)))
	p := &r.Positions[0]
	wantField(t, "isolatedMargin", p.IsolatedMargin, "11250")
	wantField(t, "maxRemovableMargin", p.MaxRemovableMargin, "0")
	pos := imrPos("ETH", "300", "125", spec.Isolated)
	pos.IsolatedMargin = nd("12000")
	r, _ = bothEngines(t, imrScenario("0", pos))
	wantField(t, "maxRemovableMargin", r.Positions[0].MaxRemovableMargin, "750")
	if pl := &r.Pools[1]; !pl.InitialMargin.Equal(d("11250")) || !pl.Available.Equal(d("750")) {
		t.Errorf("isolated pool = %+v, want IM 11250, available 750", *pl)
	}
}

// TestExplicitIMRErrors: the input rules (SPEC TIER-1, TIER-3, TIER-5) on
// both engines, and the ledgers' acceptance of explicit rates.
func TestExplicitIMRErrors(t *testing.T) {
	set := func(ts []spec.Tier, i int, r string) {
		if r == "" {
			ts[i].InitialMarginRate = nil
			return
		}
		v := d(r)
		ts[i].InitialMarginRate = &v
	}
	for _, c := range []struct {
		name       string
		edit       func(m *spec.Market)
		path, rule string
	}{
		{"not all tiers", func(m *spec.Market) { set(m.Tiers, 1, "") }, "tiers[1].initialMarginRate", "TIER-1"},
		{"not tier 0", func(m *spec.Market) { set(m.Tiers, 0, "") }, "tiers[1].initialMarginRate", "TIER-1"},
		{"zero", func(m *spec.Market) { set(m.Tiers, 0, "0") }, "tiers[0].initialMarginRate", "TIER-5"},
		{"above 1", func(m *spec.Market) { set(m.Tiers, 2, "1.01") }, "tiers[2].initialMarginRate", "TIER-5"},
		{"decreasing", func(m *spec.Market) { set(m.Tiers, 1, "0.0079") }, "tiers[1].initialMarginRate", "TIER-5"},
		{"below MMR", func(m *spec.Market) { set(m.Tiers, 0, "0.0039") }, "tiers[0].initialMarginRate", "TIER-5"},
		// 0.0151 * 66.66 = 1.006566 > 1 (0.015 * 66.66 = 0.9999 passes).
		{"times maxLeverage above 1", func(m *spec.Market) { set(m.Tiers, 2, "0.0151") }, "tiers[2].initialMarginRate", "TIER-5"},
		{"half-initial", func(m *spec.Market) {
			m.Variants = &spec.Variants{MaintenanceRate: spec.MaintenanceRateHalfInitial}
			m.Tiers[2].MaxLeverage = d("50")
		}, "tiers[0].initialMarginRate", "TIER-3"},
		{"bad number", func(m *spec.Market) { set(m.Tiers, 1, "0.000000001") }, "tiers[1].initialMarginRate", "NUM-1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := imrScenario("0")
			m := s.Markets["ETH"]
			m.Tiers = okxTiers()
			c.edit(&m)
			s.Markets["ETH"] = m
			in := s.Clone()
			_, err := bothEngines(t, s)
			if err == nil || err.Rule != c.rule || err.Path != "markets.ETH."+c.path {
				t.Fatalf("err = %v, want %s at markets.ETH.%s", err, c.rule, c.path)
			}
			if spec.Diff(in, s) != nil {
				t.Errorf("input mutated")
			}
		})
	}
	// The ledgers implement explicit rates (SPEC TIER-5) and check them:
	// the market loads; a rate below the MMR fails TIER-5 on both.
	st := &spec.State{Markets: map[string]spec.Market{"ETH": okxMarket()}}
	_, merr := model.NewLedger(st)
	_, rerr := reference.NewLedger(st)
	if merr != nil || rerr != nil {
		t.Errorf("NewLedger: %v / %v, want explicit rates accepted", merr, rerr)
	}
	bad := okxMarket()
	set(bad.Tiers, 0, "0.0039")
	st = &spec.State{Markets: map[string]spec.Market{"ETH": bad}}
	_, merr = model.NewLedger(st)
	_, rerr = reference.NewLedger(st)
	for _, err := range []error{merr, rerr} {
		var se *spec.Error
		if !errors.As(err, &se) || se.Rule != "TIER-5" || se.Path != "markets.ETH.tiers[0].initialMarginRate" {
			t.Errorf("NewLedger: err = %v, want TIER-5 at markets.ETH.tiers[0].initialMarginRate", err)
		}
	}
	_ = decimal.Zero
}
