package venue_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// TestPMProfiles evaluates the published portfolio-margin examples on the
// shipped PM profiles (resolved by "profile" and "symbol"), in the
// reference and the model, which must agree exactly (deribit-pm below):
//
//   - span-demo, ES: one long S&P 500 contract = 250 units at 4,000
//     (notional 1,000,000). CME's price scan range is $30,000 (120 points x
//     $250), i.e. the grid's -3 % move: scan risk 0.03 * 1,000,000 = 30,000;
//     the extreme move 6 % at 35 % gives 0.35 * 0.06 * 1,000,000 = 21,000
//     < 30,000; MM = 30,000.
//   - okx-pm, BTC-USDT-SWAP: OKX's MR7 scaling example (support article
//     4417291853837): the other terms sum to 40,000 and the raw minimum
//     charge 30,000 scales to 10,000 * 1 + 20,000 * 2 = 50,000 under the old
//     table, so MMR = 50,000. Here: long 10 BTC at 100,000 (N = 1,000,000),
//     MR1 = 0.12 * N = 120,000 would exceed it, so the scenario overrides the
//     grid to +-4 % (MR1 = 40,000), zeroes MR6 and MR4 (a perpetual), and
//     sets minimumChargeRate 0.03 (R = 30,000; OKX's raw rate is not
//     published, see the profile's notes). MM = max(40,000, 50,000) = 50,000.
func TestPMProfiles(t *testing.T) {
	d := decimal.RequireFromString
	nd := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(d(s)) }
	pos := func(m, size, ep string) spec.Position {
		return spec.Position{Market: m, Side: spec.Long, Size: d(size), EntryPrice: d(ep), MarginMode: spec.Portfolio}
	}
	span := &spec.Scenario{
		Markets: map[string]spec.Market{"ES": {Profile: "span-demo", Symbol: "ES"}},
		Prices:  map[string]spec.Price{"ES": {Mark: nd("4000")}},
		Account: spec.Account{WalletBalance: d("50000"), Positions: []spec.Position{pos("ES", "250", "4000")}},
	}
	okx := &spec.Scenario{
		Markets: map[string]spec.Market{"BTC": {Profile: "okx-pm", Symbol: "BTC-USDT-SWAP"}},
		Prices:  map[string]spec.Price{"BTC": {Mark: nd("100000")}},
		Account: spec.Account{WalletBalance: d("100000"), Positions: []spec.Position{pos("BTC", "10", "100000")}},
	}
	// deribit-pm: Deribit's calendar spread, long 100 BTC in future A and
	// short 100 BTC in future B, both at 50,000 (the profile's market with an
	// expiry each): D = 0, so every bucket's P&L is 0, and the contingency is
	// 0.01 * min(5,000,000, 5,000,000) = 50,000 (1 % x 100 BTC = 1 BTC).
	short := pos("B", "100", "50000")
	short.Side = spec.Short
	deribit := &spec.Scenario{
		Markets: map[string]spec.Market{"A": {Profile: "deribit-pm", Symbol: "BTC-PERPETUAL"}, "B": {Profile: "deribit-pm", Symbol: "BTC-PERPETUAL"}},
		Prices:  map[string]spec.Price{"A": {Mark: nd("50000")}, "B": {Mark: nd("50000")}},
		Account: spec.Account{WalletBalance: d("60000"), Positions: []spec.Position{pos("A", "100", "50000"), short}},
	}
	for _, c := range []struct {
		name string
		s    *spec.Scenario
		edit func(m *spec.Market)
		mm   string
	}{
		{"span-demo", span, nil, "30000"},
		{"deribit-pm", deribit, func(m *spec.Market) { e := d("0.25"); m.Expiry = &e }, "50000"},
		{"okx-pm", okx, func(m *spec.Market) {
			m.PortfolioMargin.Shocks = []decimal.Decimal{d("-0.04"), d("0"), d("0.04")}
			m.PortfolioMargin.ExtremeMove = nd("0")
			m.PortfolioMargin.MinimumChargeRate = nd("0.03")
		}, "50000"},
	} {
		r, err := venue.Resolve(c.s)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.edit != nil {
			for k, m := range r.Markets {
				c.edit(&m)
				r.Markets[k] = m
			}
		}
		want, err := reference.Evaluate(r)
		if err != nil {
			t.Fatalf("%s: reference: %v", c.name, err)
		}
		got, err := model.Evaluate(r)
		if err != nil {
			t.Fatalf("%s: model: %v", c.name, err)
		}
		if d := spec.Diff(got, want); d != nil {
			t.Errorf("%s: model vs reference: %v", c.name, d)
		}
		if want.Portfolio == nil || want.Portfolio.MaintenanceMargin.String() != c.mm {
			t.Errorf("%s: portfolio MM %v, want %s", c.name, want.Portfolio, c.mm)
		}
	}
	// The edits above were on the resolved copy, not the shipped profile.
	for _, p := range venue.Profiles() {
		if p.ID == "okx-pm@2025-01-02" && len(p.Markets["BTC-USDT-SWAP"].PortfolioMargin.Shocks) != 7 {
			t.Errorf("editing a resolved market changed the shipped okx-pm profile")
		}
	}
}
