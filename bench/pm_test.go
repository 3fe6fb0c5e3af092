package bench

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// pmAccount is a portfolio-margin account of n positions over k underlyings
// (SPEC PM): position i is on underlying U(i mod k), in its own market
// (one position per market, POS-6): the j-th of its underlying, j = i / k,
// a perpetual long for even j and a short dated future (expiry 0.25, 0.5,
// ... years) for odd j, so each unit is partly hedged; OKX-shaped parameters (grid 0, +-4, +-8, +-12 %, extreme 15 % at
// 0.35, basis 0.05, contingency 0.01, minimum charge 0.001 under two
// bands). mode is spec.Portfolio or spec.Cross (the same
// positions under the cross health check, the comparison of BenchmarkPMHealth).
func pmAccount(n, k int, mode spec.MarginMode) *spec.Scenario {
	d := decimal.RequireFromString
	nd := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }
	pp := &spec.PortfolioParams{
		Shocks:      []decimal.Decimal{d("0"), d("-0.04"), d("0.04"), d("-0.08"), d("0.08"), d("-0.12"), d("0.12")},
		ExtremeMove: nd("0.15"), ExtremeFraction: nd("0.35"), BasisRate: nd("0.05"), ContingencyRate: nd("0.01"),
		MinimumChargeRate: nd("0.001"),
		MinimumChargeTiers: []spec.ChargeTier{{MinCharge: d("0"), MaxCharge: d("10000"), Multiplier: d("1")},
			{MinCharge: d("10000"), MaxCharge: d("92233720368"), Multiplier: d("2")}},
		InitialMarginFactor: nd("1.5"),
	}
	tiers := []spec.Tier{{MinNotional: d("0"), MaxNotional: d("1000000000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")}}
	s := &spec.Scenario{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{},
		Account: spec.Account{WalletBalance: decimal.NewFromInt(int64(1_000_000 * k))}}
	for i := range n {
		u, j := i%k, i/k
		name := fmt.Sprintf("U%d-M%d", u, j)
		m := spec.Market{TickSize: d("0.1"), LotSize: d("0.001"), Tiers: tiers, Underlying: fmt.Sprintf("U%d", u), PortfolioMargin: pp.Clone(),
			MarginModes: []spec.MarginMode{spec.Cross, spec.Isolated, spec.Portfolio}}
		side := spec.Long
		if j%2 == 1 {
			exp := decimal.New(int64(25*(j/2+1)), -2) // 0.25, 0.5, ... years
			m.Expiry = &exp
			side = spec.Short
		}
		s.Markets[name] = m
		mark := decimal.NewFromInt(int64(1000 * (u + 1)))
		s.Prices[name] = spec.Price{Mark: decimal.NewNullDecimal(mark)}
		s.Account.Positions = append(s.Account.Positions, spec.Position{Market: name, Side: side, MarginMode: mode,
			Size: decimal.New(int64(1000+137*i), -3), EntryPrice: mark, Leverage: nd("10")})
	}
	return s
}

// BenchmarkPMHealth is the health check of a portfolio-margin account (SPEC
// PM-10: one SetMark on unit 0's first market, then the portfolio pool, every
// unit's grid, MR terms and MM recomputed) beside the cross health check of
// the same positions in cross mode (impl=cross: SetMark + Portfolio.Cross),
// and the reference's whole evaluation (impl=reference). pos=N positions
// over und=K underlyings. The model's PM health allocates nothing (budget in
// ci/budgets.txt).
func BenchmarkPMHealth(b *testing.B) {
	for _, impl := range []string{"model", "cross", "reference"} {
		for _, c := range []struct{ n, k int }{{1, 1}, {10, 3}, {100, 10}} {
			b.Run(fmt.Sprintf("impl=%s/pos=%d/und=%d", impl, c.n, c.k), func(b *testing.B) {
				mode := spec.Portfolio
				if impl == "cross" {
					mode = spec.Cross
				}
				s := pmAccount(c.n, c.k, mode)
				marks := [2]decimal.Decimal{decimal.NewFromInt(1000), decimal.NewFromInt(1010)}
				if impl == "reference" {
					var pr [2]spec.Price
					for v := range marks {
						pr[v] = spec.Price{Mark: decimal.NewNullDecimal(marks[v])}
					}
					clk := startClock(b)
					for i := 0; i < b.N; i++ {
						s.Prices["U0-M0"] = pr[i&1]
						rep, err := reference.Evaluate(s)
						if err != nil {
							b.Fatal(err)
						}
						sinkReport = rep
					}
					clk.stop(b)
					perUnit(b, c.n, "ns/position")
					return
				}
				p, err := model.Load(s)
				fatalOn(b, err)
				mi, _ := p.MarketIndex("U0-M0")
				var fm [2]model.Fixed
				for v := range marks {
					fm[v], err = model.FixedFromDecimal(marks[v])
					fatalOn(b, err)
				}
				clk := startClock(b)
				for i := 0; i < b.N; i++ {
					_ = p.SetMark(mi, fm[i&1])
					if impl == "cross" {
						sinkModel, _ = p.Cross()
					} else {
						sinkModel, err = p.PortfolioPool()
						if err != nil {
							b.Fatal(err)
						}
					}
				}
				clk.stop(b)
				perUnit(b, c.n, "ns/position")
			})
		}
	}
}

// TestPMHealthAgrees: the benchmark's portfolio accounts are valid, the
// model's portfolio pool equals the reference's report (SPEC PM-10), and
// the model's health check allocates nothing.
func TestPMHealthAgrees(t *testing.T) {
	for _, c := range []struct{ n, k int }{{1, 1}, {10, 3}, {100, 10}} {
		s := pmAccount(c.n, c.k, spec.Portfolio)
		p, err := model.Load(s)
		if err != nil {
			t.Fatal(err)
		}
		h, err := p.PortfolioPool()
		if err != nil {
			t.Fatal(err)
		}
		rep, err := reference.Evaluate(s)
		if err != nil {
			t.Fatal(err)
		}
		if p.NumUnits() != c.k || len(rep.Portfolio.Units) != c.k {
			t.Errorf("pos=%d: %d / %d units, want %d", c.n, p.NumUnits(), len(rep.Portfolio.Units), c.k)
		}
		if h.MaintenanceMargin.String() != rep.Portfolio.MaintenanceMargin.String() || h.Equity.String() != rep.Portfolio.Equity.String() {
			t.Errorf("pos=%d: model MM %s equity %s, reference %s %s", c.n, h.MaintenanceMargin, h.Equity, rep.Portfolio.MaintenanceMargin, rep.Portfolio.Equity)
		}
		if a := testing.AllocsPerRun(20, func() { _, _ = p.PortfolioPool() }); a != 0 {
			t.Errorf("pos=%d: PortfolioPool allocates %v per run", c.n, a)
		}
	}
}

// pmLedgerState is n trader accounts each holding pmAccount(4, 2)'s four
// positions (a perpetual long and a dated future short on each of two
// underlyings) in portfolio mode (SPEC PM-14), on a wallet of 20,000, and
// a market maker holding the opposite sides in cross on a deep wallet (so
// every market's longs and shorts balance, LED-1).
func pmLedgerState(n int) *spec.State {
	sc := pmAccount(4, 2, spec.Portfolio)
	st := &spec.State{Markets: sc.Markets, Prices: sc.Prices, Accounts: map[string]spec.Account{},
		InsuranceFund: spec.Account{WalletBalance: decimal.NewFromInt(1_000_000)}}
	mm := spec.Account{WalletBalance: decimal.NewFromInt(1_000_000_000)}
	for i := range n {
		a := spec.Account{WalletBalance: decimal.NewFromInt(20_000), Settings: map[string]spec.AccountSettings{}}
		for _, p := range sc.Account.Positions {
			p.Leverage = decimal.NullDecimal{}
			a.Positions = append(a.Positions, p)
			a.Settings[p.Market] = spec.AccountSettings{MarginMode: spec.Portfolio}
		}
		st.Accounts[fmt.Sprintf("pm%05d", i)] = a
	}
	for _, p := range sc.Account.Positions {
		q := p
		q.MarginMode, q.Leverage = spec.Cross, decimal.NullDecimal{}
		q.Size = p.Size.Mul(decimal.NewFromInt(int64(n)))
		if p.Side == spec.Long {
			q.Side = spec.Short
		} else {
			q.Side = spec.Long
		}
		mm.Positions = append(mm.Positions, q)
	}
	st.Accounts["maker"] = mm
	return st
}

// pmLedgerPriceEvents moves underlying 0's perpetual (U0-M0, mark 1,000)
// down 2% and back: each event re-checks every portfolio pool holding it
// (PM-17's trigger, the whole PM MM of the account); nobody is liquidated.
func pmLedgerPriceEvents() []spec.Event {
	return []spec.Event{{Type: spec.EventPrice, Market: "U0-M0", Mark: lnd("980")}, {Type: spec.EventPrice, Market: "U0-M0", Mark: lnd("1000")}}
}

// BenchmarkLedgerPM is the portfolio-margin ledger (SPEC PM-14..18): a price
// event over accounts=N portfolio accounts of four positions each
// (pmLedgerState), model.Ledger (ApplyAppend) vs reference.Ledger; cpu-ns/op
// as BenchmarkLedger. TestLedgerPMBenchAgrees checks that no account is
// liquidated and both end in the same state.
func BenchmarkLedgerPM(b *testing.B) {
	for _, impl := range ledgerImpls[:2] { // model, reference: the bench kernels have no PM
		b.Run(fmt.Sprintf("impl=%s/event=price/accounts=100", impl.name), func(b *testing.B) {
			run, err := impl.prepare(pmLedgerState(100), pmLedgerPriceEvents())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			c := startClock(b)
			for i := 0; i < b.N; i++ {
				if n, err := run.apply(i % 2); err != nil || n != 0 {
					b.Fatalf("event %d: %d liquidated, %v", i%2, n, err)
				}
			}
			c.stop(b)
		})
	}
}

// TestLedgerPMBenchAgrees: BenchmarkLedgerPM's events liquidate nobody and
// leave model and reference in the same state (after each of the two).
func TestLedgerPMBenchAgrees(t *testing.T) {
	st := pmLedgerState(5)
	ml, err := model.NewLedger(st)
	if err != nil {
		t.Fatal(err)
	}
	rl, err := reference.NewLedger(st)
	if err != nil {
		t.Fatal(err)
	}
	for k, ev := range pmLedgerPriceEvents() {
		me, err1 := ml.Apply(ev)
		re, err2 := rl.Apply(ev)
		if err1 != nil || err2 != nil || len(me) != 0 || len(re) != 0 {
			t.Fatalf("event %d: model %v %v, reference %v %v; want no effect", k, me, err1, re, err2)
		}
		if d := spec.Diff(ml.State(), rl.State()); d != nil {
			t.Fatalf("event %d: states differ: %v", k, d)
		}
	}
}
