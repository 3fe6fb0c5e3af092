package reference

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// d parses a test decimal.
func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// nd parses an optional test decimal.
func nd(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }

// oneTier is a one-tier market with the given MMR and maximum leverage.
func oneTier(tick, lot, mmr, maxLev string, basis spec.MMBasis) spec.Market {
	return spec.Market{
		TickSize: d(tick), LotSize: d(lot), MMBasis: basis,
		Tiers: []spec.Tier{{MinNotional: d("0"), MaxNotional: d("1000000000"), MaintenanceMarginRate: d(mmr), MaxLeverage: d(maxLev)}},
	}
}

// binanceBTCUSDT is Binance's BTCUSDT leverage brackets of 2024-10 (the
// brief's table; cum 0, 50, 950, 11450, 131450).
func binanceBTCUSDT() spec.Market {
	tier := func(min, max, mmr, lev string) spec.Tier {
		return spec.Tier{MinNotional: d(min), MaxNotional: d(max), MaintenanceMarginRate: d(mmr), MaxLeverage: d(lev)}
	}
	return spec.Market{
		TickSize: d("0.1"), LotSize: d("0.001"),
		Tiers: []spec.Tier{
			tier("0", "50000", "0.004", "125"),
			tier("50000", "600000", "0.005", "100"),
			tier("600000", "3000000", "0.0065", "75"),
			tier("3000000", "12000000", "0.01", "50"),
			tier("12000000", "70000000", "0.02", "25"),
		},
	}
}

func mustEval(t *testing.T, s *spec.Scenario) *spec.Report {
	t.Helper()
	r, err := Evaluate(s)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return r
}

func wantDec(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(d(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func wantNull(t *testing.T, what string, got decimal.NullDecimal, want string) {
	t.Helper()
	if !got.Valid {
		t.Errorf("%s = null, want %s", what, want)
		return
	}
	wantDec(t, what, got.Decimal, want)
}

func wantNone(t *testing.T, what string, got decimal.NullDecimal, reason, wantReason string) {
	t.Helper()
	if got.Valid || reason != wantReason {
		t.Errorf("%s = %v (valid %v), reason %q; want null, reason %q", what, got.Decimal, got.Valid, reason, wantReason)
	}
}

// xrpScenario is seed 000 example B: isolated long 1000 XRP @ 1.00, 10x.
func xrpScenario(basis spec.MMBasis, margin string) *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{"XRP": oneTier("0.0001", "1", "0.05", "10", basis)},
		Prices:  map[string]spec.Price{"XRP": {Mark: nd("1.00")}},
		Account: spec.Account{Positions: []spec.Position{{
			Market: "XRP", Side: spec.Long, Size: d("1000"), EntryPrice: d("1.00"),
			MarginMode: spec.Isolated, Leverage: nd("10"), IsolatedMargin: nd(margin),
		}}},
	}
}

// TestGoldenSeed000IsolatedXRP: seed document 000 (ApeX article), example B.
// Hand calculation: entry basis LP = EP - (M - MM(Q*EP))/Q = 1 - (100-50)/1000
// = 0.95 (margin 200: 0.85); mark basis root (1000-M)/(1000*0.95):
// 900/950 = 0.947368421..., 800/950 = 0.842105263...; bankruptcy
// EP - M/Q = 0.9 and 0.8.
func TestGoldenSeed000IsolatedXRP(t *testing.T) {
	cases := []struct {
		basis             spec.MMBasis
		margin            string
		lp, lpExact, bkrp string
	}{
		{spec.BasisEntry, "100", "0.95", "0.95", "0.9"},
		{spec.BasisEntry, "200", "0.85", "0.85", "0.8"},
		{spec.BasisMark, "100", "0.9474", "0.94736843", "0.9"},
		{spec.BasisMark, "200", "0.8422", "0.84210527", "0.8"},
	}
	for _, c := range cases {
		r := mustEval(t, xrpScenario(c.basis, c.margin))
		p := r.Positions[0]
		what := string(c.basis) + "/" + c.margin
		wantNull(t, what+" liquidationPrice", p.LiquidationPrice, c.lp)
		wantNull(t, what+" liquidationPriceExact", p.LiquidationPriceExact, c.lpExact)
		wantNull(t, what+" bankruptcyPrice", p.BankruptcyPrice, c.bkrp)
		wantNull(t, what+" isolatedMargin", p.IsolatedMargin, c.margin)
		wantDec(t, what+" initialMargin", p.InitialMargin, "100")
		wantDec(t, what+" maintenanceMargin", p.MaintenanceMargin, "50")
		if p.LiquidationPriceReason != "" || p.BankruptcyPriceReason != "" {
			t.Errorf("%s: unexpected reasons %q %q", what, p.LiquidationPriceReason, p.BankruptcyPriceReason)
		}
	}
	// Absent isolatedMargin defaults to the IM at entry, 1000*1.00/10 = 100 (POS-5).
	s := xrpScenario(spec.BasisEntry, "0")
	s.Account.Positions[0].IsolatedMargin = decimal.NullDecimal{}
	r := mustEval(t, s)
	wantNull(t, "default isolatedMargin", r.Positions[0].IsolatedMargin, "100")
	wantNull(t, "default-margin liquidationPrice", r.Positions[0].LiquidationPrice, "0.95")
}

// crossScenario is seed 000 example A: cross, wallet 1000, long 0.1 BTC @ 30000
// (mark 31000), short 5 ETH @ 2000 (mark 2160), one-tier tables MMR 0.05, 10x.
func crossScenario(basis spec.MMBasis) *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{
			"BTC": oneTier("0.1", "0.001", "0.05", "10", basis),
			"ETH": oneTier("0.01", "0.01", "0.05", "10", basis),
		},
		Prices: map[string]spec.Price{"BTC": {Mark: nd("31000")}, "ETH": {Mark: nd("2160")}},
		Account: spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{
			{Market: "BTC", Side: spec.Long, Size: d("0.1"), EntryPrice: d("30000"), MarginMode: spec.Cross},
			{Market: "ETH", Side: spec.Short, Size: d("5"), EntryPrice: d("2000"), MarginMode: spec.Cross},
		}},
	}
}

// TestGoldenSeed000Cross: seed document 000, example A. Hand calculation:
// equity 1000 + 100 - 800 = 300; MM 0.05 * (3100 + 10800) = 695 on the mark
// basis, 0.05 * (3000 + 10000) = 650 on the entry basis (the seed's number);
// liquidatable in both. IM at the default leverage min(20, 10) = 10:
// 310 + 1080 = 1390. BTC's cross liquidation price (mark basis, LIQ-4):
// K = 1000 + (-800 - 540) = -340, P = (K - 3000)/(0.1*(0.05-1)) = 3340/0.095
// = 35157.894736842..., exact 35157.89473685, tick 0.1: 35157.9.
func TestGoldenSeed000Cross(t *testing.T) {
	for basis, mm := range map[spec.MMBasis]string{spec.BasisMark: "695", spec.BasisEntry: "650"} {
		r := mustEval(t, crossScenario(basis))
		if len(r.Pools) != 1 {
			t.Fatalf("%s: %d pools, want 1", basis, len(r.Pools))
		}
		pl := r.Pools[0]
		if pl.Pool != spec.Cross || pl.Position != -1 {
			t.Errorf("%s: pool %q position %d", basis, pl.Pool, pl.Position)
		}
		wantDec(t, string(basis)+" equity", pl.Equity, "300")
		wantDec(t, string(basis)+" maintenanceMargin", pl.MaintenanceMargin, mm)
		wantDec(t, string(basis)+" initialMargin", pl.InitialMargin, "1390")
		wantDec(t, string(basis)+" available", pl.Available, "0")
		if !pl.Liquidatable {
			t.Errorf("%s: cross pool not liquidatable", basis)
		}
		wantDec(t, string(basis)+" BTC unrealizedPnl", r.Positions[0].UnrealizedPnl, "100")
		wantDec(t, string(basis)+" ETH unrealizedPnl", r.Positions[1].UnrealizedPnl, "-800")
	}
	r := mustEval(t, crossScenario(spec.BasisMark))
	wantNull(t, "BTC liquidationPriceExact", r.Positions[0].LiquidationPriceExact, "35157.89473685")
	wantNull(t, "BTC liquidationPrice", r.Positions[0].LiquidationPrice, "35157.9")
}

// TestGoldenSeed001InitialMargin: seed document 001: 10 BTC contracts at
// 60,000 with a 10% margin requirement need 60,000.
func TestGoldenSeed001InitialMargin(t *testing.T) {
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"BTC": oneTier("0.1", "1", "0.05", "10", "")},
		Prices:  map[string]spec.Price{"BTC": {Mark: nd("60000")}},
		Account: spec.Account{WalletBalance: d("60000"), Positions: []spec.Position{
			{Market: "BTC", Side: spec.Long, Size: d("10"), EntryPrice: d("60000"), MarginMode: spec.Cross, Leverage: nd("10")},
		}},
	}
	r := mustEval(t, s)
	wantDec(t, "initialMargin", r.Positions[0].InitialMargin, "60000")
	wantDec(t, "notional", r.Positions[0].Notional, "600000")
}

// bybitScenario is Bybit's published isolated example: long 1 BTC @ 20000,
// 50x, MMR 0.005, tick 0.01, isolated margin defaulted.
func bybitScenario(basis spec.MMBasis) *spec.Scenario {
	return &spec.Scenario{
		Markets: map[string]spec.Market{"BTCUSDT": oneTier("0.01", "0.001", "0.005", "50", basis)},
		Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nd("20000")}},
		Account: spec.Account{Positions: []spec.Position{
			{Market: "BTCUSDT", Side: spec.Long, Size: d("1"), EntryPrice: d("20000"), MarginMode: spec.Isolated, Leverage: nd("50")},
		}},
	}
}

// TestGoldenBybitIsolated: Bybit's published isolated liquidation example.
// IM = 20000/50 = 400; entry basis LP = 20000 - (400 - 100) = 19700;
// bankruptcy 20000 - 400 = 19600; mark basis root (20000-400)/0.995 =
// 19698.4924623115..., exact 19698.49246232, tick 19698.50.
func TestGoldenBybitIsolated(t *testing.T) {
	r := mustEval(t, bybitScenario(spec.BasisEntry))
	p := r.Positions[0]
	wantNull(t, "isolatedMargin", p.IsolatedMargin, "400")
	wantNull(t, "entry liquidationPrice", p.LiquidationPrice, "19700")
	wantNull(t, "entry liquidationPriceExact", p.LiquidationPriceExact, "19700")
	wantNull(t, "bankruptcyPrice", p.BankruptcyPrice, "19600")

	r = mustEval(t, bybitScenario(spec.BasisMark))
	p = r.Positions[0]
	wantNull(t, "mark liquidationPriceExact", p.LiquidationPriceExact, "19698.49246232")
	wantNull(t, "mark liquidationPrice", p.LiquidationPrice, "19698.50")
	wantNull(t, "bankruptcyPrice", p.BankruptcyPrice, "19600")
	// At the mark: MM = 20000*0.005 = 100, equity 400, ratio 0.25, IM 400,
	// nothing removable (400 - 400 = 0).
	pl := r.Pools[1]
	wantDec(t, "pool equity", pl.Equity, "400")
	wantNull(t, "marginRatio", pl.MarginRatio, "0.25")
	wantNull(t, "maxRemovableMargin", p.MaxRemovableMargin, "0")
}

// TestGoldenBinanceTiers: Binance BTCUSDT brackets of 2024-10. Hand
// calculation: cum = 0, 50, 950, 11450, 131450 (TIER-6); at notional 600,000
// MM is 600000*0.005 - 50 = 2950 by tier 2's formula and 600000*0.0065 - 950
// = 2950 by tier 3's, the tier being 3 (TIER-7).
func TestGoldenBinanceTiers(t *testing.T) {
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"BTCUSDT": binanceBTCUSDT()},
		Prices:  map[string]spec.Price{"BTCUSDT": {Mark: nd("60000")}},
		Account: spec.Account{WalletBalance: d("100000"), Positions: []spec.Position{
			{Market: "BTCUSDT", Side: spec.Short, Size: d("10"), EntryPrice: d("60000"), MarginMode: spec.Cross},
		}},
	}
	r := mustEval(t, s)
	wantDec(t, "maintenanceMargin at 600000", r.Positions[0].MaintenanceMargin, "2950")
	if r.Positions[0].Tier != 3 {
		t.Errorf("tier = %d, want 3", r.Positions[0].Tier)
	}

	// The recursion, and both sides of the boundary, on the internal functions.
	in, err := validateMarket("BTCUSDT", binanceBTCUSDT(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"0", "50", "950", "11450", "131450"} {
		if in.tiers[i].cum.Cmp(apdOf(t, want)) != 0 {
			t.Errorf("cum_%d = %s, want %s", i+1, in.tiers[i].cum, want)
		}
	}
	n := apdOf(t, "600000")
	if got := mmOnTier(in.tiers[1], n); cmpRatio(got, exact(apdOf(t, "2950"))) != 0 {
		t.Errorf("tier 2 formula at 600000 = %s, want 2950", got)
	}
	if got, tr := maintenanceMargin(in.tiers, n); cmpRatio(got, exact(apdOf(t, "2950"))) != 0 || tr != 2 {
		t.Errorf("MM(600000) = %s on tier %d, want 2950 on tier 3", got, tr+1)
	}
	if got, tr := maintenanceMargin(in.tiers, apdOf(t, "599999.99")); cmpRatio(got, exact(apdOf(t, "2949.99995"))) != 0 || tr != 1 {
		t.Errorf("MM(599999.99) = %s on tier %d, want 2949.99995 on tier 2", got, tr+1)
	}

	// A given maintenanceAmount equal to the recursion is accepted.
	m := binanceBTCUSDT()
	for i, cum := range []string{"0", "50", "950", "11450", "131450"} {
		m.Tiers[i].MaintenanceAmount = nd(cum)
	}
	s.Markets["BTCUSDT"] = m
	mustEval(t, s)
	// A given maintenanceAmount 900 on tier 3 is a TIER-6 error.
	m = binanceBTCUSDT()
	m.Tiers[2].MaintenanceAmount = nd("900")
	s.Markets["BTCUSDT"] = m
	_, err2 := Evaluate(s)
	var me *spec.Error
	if !errors.As(err2, &me) || me.Path != "markets.BTCUSDT.tiers[2].maintenanceAmount" || me.Rule != "TIER-6" {
		t.Errorf("maintenanceAmount 900: got %v, want TIER-6 at markets.BTCUSDT.tiers[2].maintenanceAmount", err2)
	}
}

// TestGoldenLong1xNeverLiquidatable: LIQ-3's own example: a long at 1x
// isolated (margin = Q*EP) has f(0) = Q*EP - Q*EP - 0 = 0 >= 0: no
// liquidation price; its bankruptcy root EP - Q*EP/Q = 0 is <= 0.
func TestGoldenLong1xNeverLiquidatable(t *testing.T) {
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"BTC": binanceBTCUSDT()},
		Prices:  map[string]spec.Price{"BTC": {Mark: nd("50000")}},
		Account: spec.Account{Positions: []spec.Position{
			{Market: "BTC", Side: spec.Long, Size: d("2"), EntryPrice: d("60000"), MarginMode: spec.Isolated, Leverage: nd("1")},
		}},
	}
	r := mustEval(t, s)
	p := r.Positions[0]
	wantNull(t, "isolatedMargin", p.IsolatedMargin, "120000")
	wantNone(t, "liquidationPrice", p.LiquidationPrice, p.LiquidationPriceReason, "never-liquidatable")
	wantNone(t, "liquidationPriceExact", p.LiquidationPriceExact, p.LiquidationPriceReason, "never-liquidatable")
	wantNone(t, "bankruptcyPrice", p.BankruptcyPrice, p.BankruptcyPriceReason, "never-bankrupt")
}

// TestShortReasons covers the short-side reasons: always-liquidatable when
// f(0) <= 0 and always-bankrupt when the bankruptcy root is <= 0 (LIQ-3, BKR-2).
func TestShortReasons(t *testing.T) {
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"BTC": oneTier("0.1", "1", "0.05", "10", "")},
		Prices:  map[string]spec.Price{"BTC": {Mark: nd("100")}},
		Account: spec.Account{Positions: []spec.Position{
			// isolated margin 0, short at 100: f(0) = 0 + 1*100 - 0 = 100 > 0,
			// root P = (0 + 100 + 0)/(1*(0.05+1)) = 95.238..., below the entry.
			{Market: "BTC", Side: spec.Short, Size: d("1"), EntryPrice: d("100"), MarginMode: spec.Isolated, IsolatedMargin: nd("0")},
		}},
	}
	r := mustEval(t, s)
	p := r.Positions[0]
	wantNull(t, "liquidationPriceExact", p.LiquidationPriceExact, "95.23809523")
	wantNull(t, "liquidationPrice", p.LiquidationPrice, "95.2")
	// Bankruptcy root EP + K0/Q = 100: tickDown(100) = 100.
	wantNull(t, "bankruptcyPrice", p.BankruptcyPrice, "100")
	if !r.Pools[1].Liquidatable {
		t.Errorf("short with no margin at a loss-free mark: E = 0 < MM = 5, want liquidatable")
	}

	// A cross short whose other positions already drown the pool:
	// K = 0 + (U_j - MM_j) < 0 and f(0) = K + Q*EP <= 0.
	s = &spec.Scenario{
		Markets: map[string]spec.Market{
			"A": oneTier("0.1", "1", "0.05", "10", ""),
			"B": oneTier("0.1", "1", "0.05", "10", ""),
		},
		Prices: map[string]spec.Price{"A": {Mark: nd("10")}, "B": {Mark: nd("1")}},
		Account: spec.Account{Positions: []spec.Position{
			{Market: "A", Side: spec.Short, Size: d("1"), EntryPrice: d("10"), MarginMode: spec.Cross},
			{Market: "B", Side: spec.Long, Size: d("100"), EntryPrice: d("2"), MarginMode: spec.Cross},
		}},
	}
	r = mustEval(t, s)
	p = r.Positions[0]
	wantNone(t, "short liquidationPrice", p.LiquidationPrice, p.LiquidationPriceReason, "always-liquidatable")
	// K0 = 0 + U_B = -100, root = 10 + (-100)/1 < 0.
	wantNone(t, "short bankruptcyPrice", p.BankruptcyPrice, p.BankruptcyPriceReason, "always-bankrupt")
}

// TestComputedMark covers MARK-2..4 with hand-calculated values.
func TestComputedMark(t *testing.T) {
	m := oneTier("0.1", "1", "0.05", "10", "")
	m.MarkPriceBand = nd("0.01")
	s := &spec.Scenario{
		Markets: map[string]spec.Market{"A": m, "B": oneTier("0.1", "1", "0.05", "10", "")},
		Prices: map[string]spec.Price{
			// P1 = 100*(1 + 0.0001*14400/28800) = 100.005, P2 = 100 + 0.3 = 100.3,
			// P3 = 105; median 100.3; band [99, 101]: 100.3.
			"A": {Index: nd("100"), Last: nd("105"), FundingRate: nd("0.0001"), SecondsToFunding: nd("14400"), BasisAverage: nd("0.3")},
			// P1 = 3 * (1 + 0.00000001*1/28800) = 3.000000000001..., P2 = 3,
			// P3 = 4: median P1, down: 3.
			"B": {Index: nd("3"), Last: nd("4"), FundingRate: nd("0.00000001"), SecondsToFunding: nd("1")},
		},
	}
	r := mustEval(t, s)
	if p := r.Prices["A"]; !p.Computed || !p.Mark.Equal(d("100.3")) {
		t.Errorf("A mark = %s computed %v, want 100.3 computed", p.Mark, p.Computed)
	}
	if p := r.Prices["B"]; !p.Computed || !p.Mark.Equal(d("3")) {
		t.Errorf("B mark = %s computed %v, want 3 computed", p.Mark, p.Computed)
	}
	// With last 200, the median is 100.3 still; with basis 5 and last 200, the
	// median is 105 and the band clamps it to 101.
	pa := s.Prices["A"]
	pa.Last, pa.BasisAverage = nd("200"), nd("5")
	s.Prices["A"] = pa
	r = mustEval(t, s)
	wantDec(t, "clamped mark", r.Prices["A"].Mark, "101")
}

// TestErrors is the table of error paths and rules for bad inputs (EVAL-1..3).
func TestErrors(t *testing.T) {
	base := func() *spec.Scenario {
		return &spec.Scenario{
			Markets: map[string]spec.Market{
				"BTC": binanceBTCUSDT(),
				"ETH": oneTier("0.01", "0.01", "0.05", "10", ""),
			},
			Prices: map[string]spec.Price{"BTC": {Mark: nd("60000")}, "ETH": {Mark: nd("2000")}},
			Account: spec.Account{WalletBalance: d("1000"), Positions: []spec.Position{
				{Market: "BTC", Side: spec.Long, Size: d("0.1"), EntryPrice: d("60000"), MarginMode: spec.Cross},
				{Market: "ETH", Side: spec.Short, Size: d("1"), EntryPrice: d("2000"), MarginMode: spec.Isolated},
			}},
		}
	}
	type edit func(s *spec.Scenario)
	market := func(name string, f func(m *spec.Market)) edit {
		return func(s *spec.Scenario) { m := s.Markets[name]; f(&m); s.Markets[name] = m }
	}
	tiers := func(f func(ts []spec.Tier) []spec.Tier) edit {
		return market("BTC", func(m *spec.Market) {
			ts := append([]spec.Tier(nil), m.Tiers...)
			m.Tiers = f(ts)
		})
	}
	price := func(name string, f func(p *spec.Price)) edit {
		return func(s *spec.Scenario) { p := s.Prices[name]; f(&p); s.Prices[name] = p }
	}
	pos := func(i int, f func(p *spec.Position)) edit {
		return func(s *spec.Scenario) {
			ps := append([]spec.Position(nil), s.Account.Positions...)
			f(&ps[i])
			s.Account.Positions = ps
		}
	}
	cases := []struct {
		name       string
		edit       edit
		path, rule string
	}{
		{"profile", market("ETH", func(m *spec.Market) { m.Profile = "bybit"; m.Symbol = "ETHUSDT" }), "markets.ETH.profile", "PROF-1"},
		{"tick absent", market("ETH", func(m *spec.Market) { m.TickSize = decimal.Decimal{} }), "markets.ETH.tickSize", "MKT-1"},
		{"tick scale", market("ETH", func(m *spec.Market) { m.TickSize = d("0.000000001") }), "markets.ETH.tickSize", "NUM-1"},
		{"lot negative", market("ETH", func(m *spec.Market) { m.LotSize = d("-1") }), "markets.ETH.lotSize", "MKT-1"},
		{"lot range", market("ETH", func(m *spec.Market) { m.LotSize = d("92233720368.54775808") }), "markets.ETH.lotSize", "NUM-2"},
		{"mmBasis", market("ETH", func(m *spec.Market) { m.MMBasis = "index" }), "markets.ETH.mmBasis", "MKT-3"},
		{"modes dup", market("ETH", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{"cross", "cross"} }), "markets.ETH.marginModes", "MKT-4"},
		{"modes unknown", market("ETH", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{"spread"} }), "markets.ETH.marginModes", "MKT-4"},
		{"fee rate 1", market("ETH", func(m *spec.Market) { m.LiquidationFeeRate = nd("1") }), "markets.ETH.liquidationFeeRate", "MKT-5"},
		{"funding hours 0", market("ETH", func(m *spec.Market) { m.FundingIntervalHours = nd("0") }), "markets.ETH.fundingIntervalHours", "MKT-5"},
		{"band 0", market("ETH", func(m *spec.Market) { m.MarkPriceBand = nd("0") }), "markets.ETH.markPriceBand", "MKT-5"},
		{"band scale", market("ETH", func(m *spec.Market) { m.MarkPriceBand = nd("0.0000000001") }), "markets.ETH.markPriceBand", "NUM-1"},
		{"no tiers", tiers(func([]spec.Tier) []spec.Tier { return nil }), "markets.BTC.tiers", "TIER-1"},
		{"tier0 min", tiers(func(ts []spec.Tier) []spec.Tier { ts[0].MinNotional = d("1"); return ts }), "markets.BTC.tiers[0].minNotional", "TIER-1"},
		{"tier field scale", tiers(func(ts []spec.Tier) []spec.Tier { ts[3].MaxLeverage = d("50.000000001"); return ts }), "markets.BTC.tiers[3].maxLeverage", "NUM-1"},
		{"tier min>=max", tiers(func(ts []spec.Tier) []spec.Tier { ts[1].MaxNotional = d("50000"); return ts }), "markets.BTC.tiers[1].maxNotional", "TIER-2"},
		{"tier gap", tiers(func(ts []spec.Tier) []spec.Tier { ts[2].MinNotional = d("600001"); return ts }), "markets.BTC.tiers[2].minNotional", "TIER-2"},
		{"mmr 1", tiers(func(ts []spec.Tier) []spec.Tier { ts[0].MaintenanceMarginRate = d("1"); return ts }), "markets.BTC.tiers[0].maintenanceMarginRate", "TIER-3"},
		{"mmr falls", tiers(func(ts []spec.Tier) []spec.Tier { ts[1].MaintenanceMarginRate = d("0.003"); return ts }), "markets.BTC.tiers[1].maintenanceMarginRate", "TIER-3"},
		{"lev < 1", tiers(func(ts []spec.Tier) []spec.Tier { ts[4].MaxLeverage = d("0.5"); return ts }), "markets.BTC.tiers[4].maxLeverage", "TIER-4"},
		{"lev rises", tiers(func(ts []spec.Tier) []spec.Tier { ts[1].MaxLeverage = d("150"); return ts }), "markets.BTC.tiers[1].maxLeverage", "TIER-4"},
		{"im covers mm", tiers(func(ts []spec.Tier) []spec.Tier { ts[4].MaintenanceMarginRate = d("0.05"); return ts }), "markets.BTC.tiers[4].maxLeverage", "TIER-5"},
		{"cum", tiers(func(ts []spec.Tier) []spec.Tier { ts[2].MaintenanceAmount = nd("900"); return ts }), "markets.BTC.tiers[2].maintenanceAmount", "TIER-6"},
		{"price unknown market", func(s *spec.Scenario) { s.Prices["XRP"] = spec.Price{Mark: nd("1")} }, "prices.XRP", "PRICE-1"},
		{"mark 0", price("ETH", func(p *spec.Price) { p.Mark = nd("0") }), "prices.ETH.mark", "MARK-1"},
		{"index scale", price("ETH", func(p *spec.Price) { p.Index = nd("1.000000001") }), "prices.ETH.index", "NUM-1"},
		{"no mark no index", price("ETH", func(p *spec.Price) { p.Mark = decimal.NullDecimal{}; p.Last = nd("2000") }), "prices.ETH.index", "MARK-2"},
		{"no mark no last", price("ETH", func(p *spec.Price) { p.Mark = decimal.NullDecimal{}; p.Index = nd("2000") }), "prices.ETH.last", "MARK-2"},
		{"negative seconds", price("ETH", func(p *spec.Price) {
			*p = spec.Price{Index: nd("2000"), Last: nd("2000"), SecondsToFunding: nd("-1")}
		}), "prices.ETH.secondsToFunding", "MARK-2"},
		{"computed mark 0", price("ETH", func(p *spec.Price) {
			// P1 = 0.00000001*(1 - 1*28800/28800) = 0, P2 < 0, P3 = 0.00000001: median 0.
			*p = spec.Price{Index: nd("0.00000001"), Last: nd("0.00000001"), FundingRate: nd("-1"), SecondsToFunding: nd("28800"), BasisAverage: nd("-1")}
		}), "prices.ETH.mark", "MARK-4"},
		{"wallet negative", func(s *spec.Scenario) { s.Account.WalletBalance = d("-1") }, "account.walletBalance", "ACC-1"},
		{"wallet range", func(s *spec.Scenario) { s.Account.WalletBalance = d("1e12") }, "account.walletBalance", "NUM-2"},
		{"unknown market", pos(1, func(p *spec.Position) { p.Market = "XRP" }), "account.positions[1].market", "POS-1"},
		{"no price", func(s *spec.Scenario) { delete(s.Prices, "ETH") }, "account.positions[1].market", "PRICE-2"},
		{"side", pos(0, func(p *spec.Position) { p.Side = "buy" }), "account.positions[0].side", "POS-2"},
		{"size 0", pos(0, func(p *spec.Position) { p.Size = d("0") }), "account.positions[0].size", "POS-2"},
		{"size lot", pos(0, func(p *spec.Position) { p.Size = d("0.1005") }), "account.positions[0].size", "POS-2"},
		{"entry 0", pos(0, func(p *spec.Position) { p.EntryPrice = d("0") }), "account.positions[0].entryPrice", "POS-2"},
		{"mode unknown", pos(0, func(p *spec.Position) { p.MarginMode = "portfolio" }), "account.positions[0].marginMode", "POS-3"},
		{"mode not offered", market("ETH", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{"cross"} }), "account.positions[1].marginMode", "POS-3"},
		{"one-way", pos(1, func(p *spec.Position) { p.Market = "BTC" }), "account.positions[1].market", "POS-6"},
		{"leverage < 1", pos(0, func(p *spec.Position) { p.Leverage = nd("0.5") }), "account.positions[0].leverage", "POS-4"},
		{"leverage > max", pos(0, func(p *spec.Position) { p.Leverage = nd("126") }), "account.positions[0].leverage", "POS-4"},
		{"cross with margin", pos(0, func(p *spec.Position) { p.IsolatedMargin = nd("10") }), "account.positions[0].isolatedMargin", "POS-5"},
		{"negative margin", pos(1, func(p *spec.Position) { p.IsolatedMargin = nd("-10") }), "account.positions[1].isolatedMargin", "POS-5"},
		{"reported notional", pos(0, func(p *spec.Position) { p.Size = d("10000000"); p.EntryPrice = d("10000") }), "positions[0].notional", "NUM-2"},
		// Q*EP = 1.1e11 > MAX, but N = Q*MP = 5e10 and U = Q*(EP-MP) = 6e10 fit:
		// the first reported value out of range is the defaulted isolated margin
		// Q*EP/1 (POS-5).
		{"reported default margin", func(s *spec.Scenario) {
			pos(1, func(p *spec.Position) { p.Size, p.EntryPrice, p.Leverage = d("1000000"), d("110000"), nd("1") })(s)
			s.Prices["ETH"] = spec.Price{Mark: nd("50000")}
		}, "positions[1].isolatedMargin", "NUM-2"},
		{"reported pool equity", func(s *spec.Scenario) {
			s.Account.WalletBalance = d("92233720368.54775807")
			s.Prices["BTC"] = spec.Price{Mark: nd("70000")}
		}, "pools[0].equity", "NUM-2"},
		{"first market wins", func(s *spec.Scenario) {
			market("BTC", func(m *spec.Market) { m.LotSize = d("0") })(s)
			market("ETH", func(m *spec.Market) { m.TickSize = d("0") })(s)
		}, "markets.BTC.lotSize", "MKT-1"},
		{"markets before prices", func(s *spec.Scenario) {
			market("ETH", func(m *spec.Market) { m.TickSize = d("0") })(s)
			price("BTC", func(p *spec.Price) { p.Mark = nd("-1") })(s)
		}, "markets.ETH.tickSize", "MKT-1"},
		{"byte order of names", func(s *spec.Scenario) {
			s.Markets["a"] = oneTier("0", "1", "0.05", "10", "")
			s.Markets["B"] = oneTier("1", "0", "0.05", "10", "")
		}, "markets.B.lotSize", "MKT-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base()
			c.edit(s)
			r, err := Evaluate(s)
			var me *spec.Error
			if !errors.As(err, &me) {
				t.Fatalf("got report %v, error %v; want %s at %s", r != nil, err, c.rule, c.path)
			}
			if r != nil {
				t.Errorf("partial report returned with an error")
			}
			if me.Path != c.path || me.Rule != c.rule {
				t.Errorf("got %s %s (%s), want %s %s", me.Path, me.Rule, me.Msg, c.path, c.rule)
			}
		})
	}
	// The base scenario itself is valid.
	mustEval(t, base())

	// A nil scenario is an error, not a panic.
	if _, err := Evaluate(nil); err == nil {
		t.Errorf("Evaluate(nil) returned no error")
	}
}

// TestNoMutation checks EVAL-1: the scenario is not modified.
func TestNoMutation(t *testing.T) {
	scenarios := []*spec.Scenario{crossScenario(""), bybitScenario(""), xrpScenario(spec.BasisEntry, "100")}
	// defaults must not be written back: leverage and isolated margin absent.
	s := bybitScenario("")
	s.Account.Positions[0].Leverage = decimal.NullDecimal{}
	scenarios = append(scenarios, s)
	for _, s := range scenarios {
		before, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		mustEval(t, s)
		after, _ := json.Marshal(s)
		if string(before) != string(after) {
			t.Errorf("scenario modified:\nbefore %s\nafter  %s", before, after)
		}
	}
}
