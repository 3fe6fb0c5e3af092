package model

import (
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// allocScenario has cross positions in several markets with different
// effective leverages (so the cross IM sums several groups), tiered markets of
// both MM bases, and isolated positions.
func allocScenario() *spec.Scenario {
	s := &spec.Scenario{
		Markets: map[string]spec.Market{
			"BTC": mkt("0.1", "0.001", spec.BasisMark, binanceTiers()),
			"ETH": mkt("0.01", "0.01", spec.BasisEntry, binanceTiers()),
			"SOL": mkt("0.001", "0.1", spec.BasisMark, oneTier("0.01", "50")),
			"XRP": mkt("0.0001", "1", spec.BasisMark, oneTier("0.05", "10")),
			"ADA": mkt("0.0001", "1", spec.BasisEntry, oneTier("0.02", "20")),
		},
		Prices: map[string]spec.Price{
			"BTC": {Mark: nd("60000")}, "ETH": {Mark: nd("2500")}, "SOL": {Mark: nd("150")},
			"XRP": {Mark: nd("0.6")}, "ADA": {Mark: nd("0.35")},
		},
		Account: spec.Account{WalletBalance: d("50000"), Positions: []spec.Position{
			{Market: "BTC", Side: spec.Long, Size: d("12.5"), EntryPrice: d("58000"), MarginMode: spec.Cross, Leverage: nd("3")},
			{Market: "ETH", Side: spec.Short, Size: d("100"), EntryPrice: d("2600"), MarginMode: spec.Cross, Leverage: nd("7")},
			{Market: "SOL", Side: spec.Long, Size: d("333.3"), EntryPrice: d("140"), MarginMode: spec.Cross, Leverage: nd("12.5")},
			{Market: "XRP", Side: spec.Short, Size: d("10000"), EntryPrice: d("0.55"), MarginMode: spec.Isolated},
			{Market: "ADA", Side: spec.Long, Size: d("5000"), EntryPrice: d("0.4"), MarginMode: spec.Isolated, Leverage: nd("3"), IsolatedMargin: nd("700")},
		}},
	}
	return s
}

// The queries do not allocate (testing.AllocsPerRun is deterministic).
func TestQueriesDoNotAllocate(t *testing.T) {
	p, err := Load(allocScenario())
	if err != nil {
		t.Fatal(err)
	}
	btc, _ := p.MarketIndex("BTC")
	var sink PoolHealth
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"Cross", func() { sink, _ = p.Cross() }},
		{"Isolated", func() { sink, _ = p.Isolated(3) }},
		{"Isolated entry basis", func() { sink, _ = p.Isolated(4) }},
		{"Position", func() { _, _ = p.Position(0) }},
		{"Position entry basis", func() { _, _ = p.Position(1) }},
		{"LiquidationPrice cross", func() { _, _ = p.LiquidationPrice(0) }},
		{"LiquidationPrice cross entry basis", func() { _, _ = p.LiquidationPrice(1) }},
		{"LiquidationPrice isolated", func() { _, _ = p.LiquidationPrice(3) }},
		{"BankruptcyPrice cross", func() { _, _ = p.BankruptcyPrice(2) }},
		{"BankruptcyPrice isolated", func() { _, _ = p.BankruptcyPrice(4) }},
		{"SetMark", func() { _ = p.SetMark(btc, 61_000*Scale) }},
		{"NumPositions", func() { _ = p.NumPositions() }},
		{"MarketIndex", func() { _, _ = p.MarketIndex("SOL") }},
		{"scan: SetMark then Cross", func() {
			_ = p.SetMark(btc, 59_000*Scale)
			sink, _ = p.Cross()
		}},
	} {
		if n := testing.AllocsPerRun(100, c.f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", c.name, n)
		}
	}
	_ = sink
	// The exact fallback of the cross IM sum does not allocate either.
	ts := []frac{{1, 3}, {1, 3}, {1, 3}, {2, 7}, {5, 7}}
	q := &Portfolio{nat: make([]uint64, 3*(len(ts)+4))}
	if n := testing.AllocsPerRun(100, func() { _ = q.floorFracs(ts) }); n != 0 {
		t.Errorf("floorFracs fallback: %v allocations per run", n)
	}
}

// The queries agree with the report built from them.
func TestQueriesMatchReport(t *testing.T) {
	p, err := Load(allocScenario())
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Report()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := p.Cross()
	if !h.Equity.Decimal().Equal(r.Pools[0].Equity) || !h.MaintenanceMargin.Decimal().Equal(r.Pools[0].MaintenanceMargin) ||
		!h.InitialMargin.Decimal().Equal(r.Pools[0].InitialMargin) || !h.Available.Decimal().Equal(r.Pools[0].Available) {
		t.Errorf("Cross() = %+v, report %+v", h, r.Pools[0])
	}
	for i := 0; i < p.NumPositions(); i++ {
		m, _ := p.Position(i)
		if !m.MaintenanceMargin.Decimal().Equal(r.Positions[i].MaintenanceMargin) || m.Tier != r.Positions[i].Tier {
			t.Errorf("Position(%d) = %+v, report %+v", i, m, r.Positions[i])
		}
		lp, _ := p.LiquidationPrice(i)
		if lp.OK != r.Positions[i].LiquidationPrice.Valid || (lp.OK && !lp.Price.Decimal().Equal(r.Positions[i].LiquidationPrice.Decimal)) {
			t.Errorf("LiquidationPrice(%d) = %+v, report %+v", i, lp, r.Positions[i].LiquidationPrice)
		}
	}
	if _, err := p.Isolated(0); err != ErrNotIsolated {
		t.Errorf("Isolated(cross) err = %v", err)
	}
	if _, err := p.Position(99); err != ErrIndex {
		t.Errorf("Position(99) err = %v", err)
	}
	if err := p.SetMark(0, 0); err == nil {
		t.Errorf("SetMark(0, 0) accepted")
	}
}

// Under TIER-3:half-initial (rates over a common denominator D, halfinitial.go)
// the queries do not allocate either: allocScenario with BTC and ETH under
// the variant (leverages 125, 100, 75, 50, 25: D = lcm(250, 200, 150, 100, 50)
// = 3000, which scales every market; the given deductions are dropped).
func TestHalfInitialQueriesDoNotAllocate(t *testing.T) {
	s := allocScenario()
	for _, name := range []string{"BTC", "ETH"} {
		m := s.Markets[name]
		m.Variants = &spec.Variants{MaintenanceRate: spec.MaintenanceRateHalfInitial}
		m.Tiers = append([]spec.Tier(nil), m.Tiers...)
		for t := range m.Tiers {
			m.Tiers[t].MaintenanceAmount = spec.Tier{}.MaintenanceAmount
		}
		s.Markets[name] = m
	}
	p, err := Load(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.den != 3000 {
		t.Fatalf("den = %d, want 3000", p.den)
	}
	var sink PoolHealth
	for i := 0; i < p.NumPositions(); i++ {
		f := func() {
			sink, _ = p.Cross()
			_, _ = p.Position(i)
			_, _ = p.LiquidationPrice(i)
			_, _ = p.BankruptcyPrice(i)
			if i >= 3 {
				sink, _ = p.Isolated(i)
			}
		}
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("position %d: %v allocations per run, want 0", i, n)
		}
	}
	_ = sink
}

// With explicit initial margin rates (explicitimr.go: IM groups by (mul,
// den)) the queries do not allocate either: allocScenario with BTC and ETH
// giving IMR_t = MMR_t (TIER-5's bounds hold: MMR_t <= IMR_t, IMR_t *
// maxLeverage_t = MMR_t * maxLeverage_t <= 1).
func TestExplicitIMRQueriesDoNotAllocate(t *testing.T) {
	s := allocScenario()
	for _, name := range []string{"BTC", "ETH"} {
		m := s.Markets[name]
		m.Tiers = append([]spec.Tier(nil), m.Tiers...)
		for t := range m.Tiers {
			r := m.Tiers[t].MaintenanceMarginRate
			m.Tiers[t].InitialMarginRate = &r
		}
		s.Markets[name] = m
	}
	p, err := Load(s)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range p.markets {
		if p.markets[i].explicitIMR {
			n++
		}
	}
	if n != 2 {
		t.Fatalf("%d markets with explicit initial margin rates, want 2", n)
	}
	var sink PoolHealth
	for i := 0; i < p.NumPositions(); i++ {
		f := func() {
			sink, _ = p.Cross()
			_, _ = p.Position(i)
			_, _ = p.LiquidationPrice(i)
			_, _ = p.BankruptcyPrice(i)
			if i >= 3 {
				sink, _ = p.Isolated(i)
			}
		}
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("position %d: %v allocations per run, want 0", i, n)
		}
	}
	_ = sink
}
