package vectors

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/spec"
)

// The flags of the findings file: "finding" on every test, and one flag per
// engine and version that got the test wrong when it was found (issue 13,
// docs/findings). An engine that passes such a test no longer has the bug.
func init() {
	queryNotes["finding"] = "a bug or rounding hazard found in a third-party engine (docs/findings/<id>.md): the engine flag names the engine and version that fail it"
	queryNotes["freqtrade-2026.9"] = "freqtrade 2026.9 (PyPI), Binance.dry_run_liquidation_price, gets this test wrong (engines/freqtrade)"
	queryNotes["jesse-3.5.3"] = "jesse 3.5.3 (PyPI), Position.liquidation_price, gets this test wrong (engines/jesse)"
	queryNotes["driftpy-0.8.89"] = "driftpy 0.8.89 (PyPI), DriftUser's margin math, gets this test wrong (engines/drift)"
}

// finding is one class (b) finding of docs/findings: its scenario (the
// committed docs/findings/<id>.scenario.json, as text), the engine flag, and
// the values computed by hand in docs/findings/<id>.md, which the reference
// must reproduce (findingCases panics otherwise).
type finding struct {
	id, flag, comment, scenario string
	// hand maps "positions[i].field" or "pools[i].field" to the value
	// computed by hand in the write-up.
	hand map[string]string
}

var findings = []finding{
	{
		id: "freqtrade-1", flag: "freqtrade-2026.9",
		comment: "docs/findings/freqtrade-1.md: cross liquidation price of a long beside a losing short; freqtrade adds the short's PnL with the wrong sign (18315.8)",
		scenario: `{"markets":{"BTCUSDT":{"tickSize":"0.1","lotSize":"0.001","tiers":[{"minNotional":"0","maxNotional":"100000000","maintenanceMarginRate":"0.05","maxLeverage":"10"}]},
			"ETHUSDT":{"tickSize":"0.01","lotSize":"0.001","tiers":[{"minNotional":"0","maxNotional":"100000000","maintenanceMarginRate":"0.05","maxLeverage":"10"}]}},
			"prices":{"BTCUSDT":{"mark":"31000"},"ETHUSDT":{"mark":"2160"}},
			"account":{"walletBalance":"1000","positions":[
			{"market":"BTCUSDT","side":"long","size":"0.1","entryPrice":"30000","marginMode":"cross","leverage":"10"},
			{"market":"ETHUSDT","side":"short","size":"5","entryPrice":"2000","marginMode":"cross","leverage":"10"}]}}`,
		// P = 3340 / 0.095 = 35157.894736...: up on 1e-8 and on the tick 0.1.
		hand: map[string]string{"positions[0].liquidationPriceExact": "35157.89473685", "positions[0].liquidationPrice": "35157.9"},
	},
	{
		id: "freqtrade-2", flag: "freqtrade-2026.9",
		comment: "docs/findings/freqtrade-2.md: isolated long whose collateral (1000) and notional fall in different tiers; freqtrade looks the tier up by collateral (19191.92)",
		scenario: `{"markets":{"BTCUSDT":{"tickSize":"0.01","lotSize":"0.001","tiers":[
			{"minNotional":"0","maxNotional":"10000","maintenanceMarginRate":"0.01","maxLeverage":"50"},
			{"minNotional":"10000","maxNotional":"100000000","maintenanceMarginRate":"0.02","maxLeverage":"25"}]}},
			"prices":{"BTCUSDT":{"mark":"20000"}},
			"account":{"walletBalance":"0","positions":[{"market":"BTCUSDT","side":"long","size":"1","entryPrice":"20000","marginMode":"isolated","leverage":"20"}]}}`,
		// Tier 2: (1000 - 20000 + 100) / (0.02 - 1) = 19285.714285...
		hand: map[string]string{"positions[0].liquidationPriceExact": "19285.71428572", "positions[0].liquidationPrice": "19285.72", "positions[0].tier": "2"},
	},
	{
		id: "jesse-2", flag: "jesse-3.5.3",
		comment: "docs/findings/jesse-2.md: entry basis, MMR 0.004, margin Q*EP/L (jesse's own model): the root 2.012 is on the tick; jesse's float 2.0120000000000005 lands a tick high (2.013)",
		scenario: `{"markets":{"ABCUSDT":{"tickSize":"0.001","lotSize":"1","mmBasis":"entry","tiers":[{"minNotional":"0","maxNotional":"10000000","maintenanceMarginRate":"0.004","maxLeverage":"100"}]}},
			"prices":{"ABCUSDT":{"mark":"3"}},
			"account":{"walletBalance":"0","positions":[{"market":"ABCUSDT","side":"long","size":"1000","entryPrice":"3","marginMode":"isolated","leverage":"3"}]}}`,
		// P = 3 - (1000 - 0.004*3000) / 1000 = 2.012 exactly.
		hand: map[string]string{"positions[0].liquidationPriceExact": "2.012", "positions[0].liquidationPrice": "2.012"},
	},
	{
		id: "drift-1", flag: "driftpy-0.8.89",
		comment: "docs/findings/drift-1.md: PnL 938204.117597 on Drift's own 1e-6 grid; driftpy's float funding term makes it 938204.117596",
		scenario: `{"markets":{"AAA":{"tickSize":"0.000001","lotSize":"0.001","tiers":[{"minNotional":"0","maxNotional":"100000000","maintenanceMarginRate":"0.01","maxLeverage":"50","maintenanceAmount":"0"}]}},
			"prices":{"AAA":{"mark":"938204.117598"}},
			"account":{"walletBalance":"0","positions":[{"market":"AAA","side":"long","size":"1","entryPrice":"0.000001","marginMode":"cross","leverage":"10"}]}}`,
		// U = 1 * (938204.117598 - 0.000001); equity = 0 + U.
		hand: map[string]string{"positions[0].unrealizedPnl": "938204.117597", "pools[0].equity": "938204.117597"},
	},
	{
		id: "drift-2", flag: "driftpy-0.8.89",
		comment: "docs/findings/drift-2.md: small cross long, MMR 0.0333; driftpy floors the free-collateral delta (1933.4 -> 1933) and answers 77.58, a tick below the root 77.5835",
		scenario: `{"markets":{"AAA":{"tickSize":"0.01","lotSize":"0.001","tiers":[{"minNotional":"0","maxNotional":"10000000","maintenanceMarginRate":"0.0333","maxLeverage":"20","maintenanceAmount":"0"}]}},
			"prices":{"AAA":{"mark":"100"}},
			"account":{"walletBalance":"0.05","positions":[{"market":"AAA","side":"long","size":"0.002","entryPrice":"100","marginMode":"cross","leverage":"10"}]}}`,
		// P = (0.2 - 0.05) / (0.002 * 0.9667) = 77.583531...: up on 1e-8, tickUp on 0.01.
		hand: map[string]string{"positions[0].liquidationPriceExact": "77.58353161", "positions[0].liquidationPrice": "77.59"},
	},
}

// findingsSuite is the query file of the engine findings (issue 13).
func findingsSuite() *queryBuilder {
	b := newQuery("RPT", "engine-findings", "Bugs and rounding hazards that perpcheck found in third-party engines (docs/findings): each test is the reduced counterexample, flagged with the engine and version that fail it; the expected report is the reference's, and the values the write-up computes by hand are checked against it when the file is generated.")
	for _, f := range findings {
		var s spec.Scenario
		if err := strictjson.Unmarshal([]byte(f.scenario), &s); err != nil {
			panic(fmt.Sprintf("vectors: %s: %v", f.id, err))
		}
		if !b.add(qcase{s: &s, comment: f.comment, flags: []string{"finding", f.flag}, wantValid: true}) {
			panic(fmt.Sprintf("vectors: %s: not added", f.id))
		}
		rep := b.tests[len(b.tests)-1].Expected.Report
		for field, want := range f.hand {
			if got := findingField(rep, field); got != want {
				panic(fmt.Sprintf("vectors: %s: the reference gives %s = %s, the write-up computes %s by hand", f.id, field, got, want))
			}
		}
	}
	return b
}

// findingField is one field of a report named as in finding.hand, as text
// ("null" for a null decimal).
func findingField(r *spec.Report, field string) string {
	var i int
	var name string
	if _, err := fmt.Sscanf(field, "positions[%d].%s", &i, &name); err == nil {
		p := r.Positions[i]
		switch name {
		case "liquidationPrice":
			return nullText(p.LiquidationPrice)
		case "liquidationPriceExact":
			return nullText(p.LiquidationPriceExact)
		case "unrealizedPnl":
			return p.UnrealizedPnl.String()
		case "tier":
			return fmt.Sprint(p.Tier)
		}
	}
	if _, err := fmt.Sscanf(field, "pools[%d].%s", &i, &name); err == nil && name == "equity" {
		return r.Pools[i].Equity.String()
	}
	panic("vectors: findingField: unknown field " + field)
}

func nullText(d decimal.NullDecimal) string {
	if !d.Valid {
		return "null"
	}
	return d.Decimal.String()
}
