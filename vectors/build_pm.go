package vectors

import (
	"fmt"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// This file builds query/PM/portfolio.json: portfolio margin (SPEC PM,
// MKT-6), from the published examples (gen.PMGolden), the seeds' example A
// (BTC long, ETH short: two units, no offset), random portfolio accounts
// (gen.PMScenario) and hand-made PM-1, PM-2 and MKT-6 errors.

// pmCalendar is the Deribit calendar spread (gen.PMGolden) changed by f.
func pmCalendar(f func(s *spec.Scenario)) *spec.Scenario {
	s := gen.PMGolden("deribit-calendar")
	f(s)
	return s
}

// pmMarket changes market name of s by f (its parameters copied first).
func pmMarket(s *spec.Scenario, name string, f func(m *spec.Market)) {
	m := s.Markets[name]
	m.PortfolioMargin = m.PortfolioMargin.Clone()
	f(&m)
	s.Markets[name] = m
}

// pmCases are the cases of query/PM/portfolio.json.
func pmCases() []qcase {
	golden := func(name, what string) qcase {
		return qcase{s: gen.PMGolden(name), comment: what + " (gen.PMGolden(\"" + name + "\"))", flags: []string{"portfolio", "published"}, wantValid: true}
	}
	out := []qcase{
		golden("okx-mr7", "OKX's MR7 scaling example: raw minimum charge 30,000 scaled to 50,000 under the old BTC table, scan risk 40,000, MM 50,000 (PM-8, PM-9)"),
		golden("deribit-calendar", "Deribit's calendar spread: long 100 BTC future A, short 100 BTC future B, contingency 1 % x 100 BTC = 50,000 at 50,000 (PM-7)"),
		golden("span-long", "CME SPAN's single long S&P future: scan risk = the full price scan range, 30,000 (PM-4, PM-5)"),
	}
	// The seeds' example A: a BTC long and an ETH short are two risk units
	// (PM-3): MM is the sum of the two unhedged units.
	exA := pmCalendar(func(s *spec.Scenario) {
		eth := s.Markets["BTC-B"]
		eth.Underlying, eth.Expiry = "ETH", nil
		s.Markets["ETH-PERP"] = eth
		delete(s.Markets, "BTC-B")
		delete(s.Prices, "BTC-B")
		s.Prices["ETH-PERP"] = spec.Price{Mark: nd("2500")}
		s.Account.Positions[1] = spec.Position{Market: "ETH-PERP", Side: spec.Short, Size: d("2000"), EntryPrice: d("2500"), MarginMode: spec.Portfolio}
	})
	out = append(out, qcase{s: exA, comment: "the seeds' example A in portfolio mode: BTC long and ETH short of equal notional are two risk units, not a hedge (PM-3)",
		flags: []string{"portfolio", "hand-made"}, wantValid: true})
	// PM-10's strict trigger and PM-11's r > -1 on CME's single long
	// future (gen.PMGolden("span-long"): N = 1,000,000, MM = scan risk =
	// 30,000 exactly, E = wallet since entry = mark), each checked against
	// the values computed here.
	for _, c := range []struct {
		wallet, what     string
		liquidatable     bool
		down, downReason string
	}{
		{"30000", "wallet 30,000: E = MM = 30,000 exactly, not liquidatable (PM-10: E < MM); the down move is 0: E(r) - A(r) = 30,000 + 1,000,000 r - 30,000 (1 + r) = 970,000 r (PM-11)", false, "0", ""},
		{"29999.99999999", "wallet 29,999.99999999: E one unit below MM = 30,000, liquidatable (PM-10), both moves already-liquidatable (PM-11)", true, "", spec.ReasonAlreadyLiquidatable},
		{"1000000", "wallet 1,000,000 = the long's cost: E(r) - A(r) = 1,000,000 (1 + r) - 30,000 (1 + r) is 0 only at r = -1, all marks 0, which PM-11 excludes (r > -1): no down move", false, "", spec.ReasonNeverLiquidatable},
	} {
		s := gen.PMGolden("span-long")
		s.Account.WalletBalance = d(c.wallet)
		out = append(out, qcase{s: s, comment: "CME SPAN's single long future (gen.PMGolden(\"span-long\")), " + c.what,
			flags: []string{"portfolio", "hand-made", "boundary"}, wantValid: true, check: func(r *spec.Report) string {
				pf := r.Portfolio
				u := pf.Units[0]
				down := ""
				if u.CriticalMoveDown.Valid {
					down = u.CriticalMoveDown.Decimal.String()
				}
				if !pf.MaintenanceMargin.Equal(d("30000")) || pf.Liquidatable != c.liquidatable || down != c.down || u.CriticalMoveDownReason != c.downReason ||
					u.CriticalMoveUp.Valid || (u.CriticalMoveUpReason != spec.ReasonNeverLiquidatable) != c.liquidatable {
					return fmt.Sprintf("MM %s, liquidatable %v, down %q (%q), up %v (%q)", pf.MaintenanceMargin, pf.Liquidatable, down, u.CriticalMoveDownReason, u.CriticalMoveUp, u.CriticalMoveUpReason)
				}
				return ""
			}})
	}
	// Random portfolio accounts, with isolated positions beside.
	for seed, added := 0, 0; added < 40 && seed < 400; seed++ {
		s, ok := example(gen.PMScenario(gen.PMConfig{Underlyings: 3, Isolated: true}), 7000+seed)
		if !ok || s == nil {
			continue
		}
		if b := (qcase{s: s, comment: fmt.Sprintf("gen.PMScenario (3 underlyings, isolated beside), seed %d", 7000+seed), flags: []string{"portfolio", "random"}}); true {
			out = append(out, b)
			added++
		}
	}
	// Errors, each written from SPEC.
	bad := func(comment, path, rule string, f func(s *spec.Scenario)) {
		out = append(out, qcase{s: pmCalendar(f), comment: comment, flags: []string{"portfolio", "hand-made"}, wantPath: path, wantRule: rule})
	}
	bad("expiry 0: a dated future needs years to expiry > 0 (MKT-6)", "markets.BTC-A.expiry", "MKT-6", func(s *spec.Scenario) {
		pmMarket(s, "BTC-A", func(m *spec.Market) { z := d("0"); m.Expiry = &z })
	})
	bad("a shock of 1 (PM-1: each move in (-1, 1))", "markets.BTC-A.portfolioMargin.shocks[4]", "PM-1", func(s *spec.Scenario) {
		pmMarket(s, "BTC-A", func(m *spec.Market) { m.PortfolioMargin.Shocks[4] = d("1") })
	})
	bad("a shock listed twice (PM-1)", "markets.BTC-A.portfolioMargin.shocks[1]", "PM-1", func(s *spec.Scenario) {
		pmMarket(s, "BTC-A", func(m *spec.Market) { m.PortfolioMargin.Shocks[1] = d("-0.16") })
	})
	bad("an empty shock grid (PM-1)", "markets.BTC-A.portfolioMargin.shocks", "PM-1", func(s *spec.Scenario) {
		pmMarket(s, "BTC-A", func(m *spec.Market) { m.PortfolioMargin.Shocks = m.PortfolioMargin.Shocks[:0] })
	})
	bad("contingencyRate 1 (PM-1: in [0, 1))", "markets.BTC-A.portfolioMargin.contingencyRate", "PM-1", func(s *spec.Scenario) {
		pmMarket(s, "BTC-A", func(m *spec.Market) { m.PortfolioMargin.ContingencyRate = nd("1") })
	})
	bad("minimum-charge multipliers decreasing (PM-1)", "markets.BTC-A.portfolioMargin.minimumChargeTiers[1].multiplier", "PM-1", func(s *spec.Scenario) {
		pmMarket(s, "BTC-A", func(m *spec.Market) {
			m.PortfolioMargin.MinimumChargeTiers = []spec.ChargeTier{{MinCharge: d("0"), MaxCharge: d("10000"), Multiplier: d("2")}, {MinCharge: d("10000"), MaxCharge: d("70000"), Multiplier: d("1")}}
		})
	})
	bad("initialMarginFactor 0.5 (PM-1: >= 1)", "markets.BTC-A.portfolioMargin.initialMarginFactor", "PM-1", func(s *spec.Scenario) {
		pmMarket(s, "BTC-A", func(m *spec.Market) { m.PortfolioMargin.InitialMarginFactor = nd("0.5") })
	})
	bad("a portfolio position on a market without portfolioMargin (PM-2)", "account.positions[1].marginMode", "PM-2", func(s *spec.Scenario) {
		pmMarket(s, "BTC-B", func(m *spec.Market) { m.PortfolioMargin = nil })
	})
	bad("a cross position beside a portfolio position (PM-2: the portfolio pool replaces the cross pool)", "account.positions[1].marginMode", "PM-2", func(s *spec.Scenario) {
		s.Account.Positions[1].MarginMode = spec.Cross
	})
	bad("two markets of one underlying with different parameters (PM-2)", "account.positions[1].market", "PM-2", func(s *spec.Scenario) {
		pmMarket(s, "BTC-B", func(m *spec.Market) { m.PortfolioMargin.ContingencyRate = nd("0.02") })
	})
	bad("portfolio mode on a market that does not offer it (POS-3, MKT-4)", "account.positions[0].marginMode", "POS-3", func(s *spec.Scenario) {
		pmMarket(s, "BTC-A", func(m *spec.Market) { m.MarginModes = []spec.MarginMode{spec.Cross} })
	})
	return out
}
