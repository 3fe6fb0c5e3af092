package venue

import (
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// Sources of the Hyperliquid and seed profiles.
const (
	srcHyperliquidTiers = "https://hyperliquid.gitbook.io/hyperliquid-docs/trading/margin-tiers (Hyperliquid docs, Margin tiers: " +
		"lower bound of notional and max leverage per asset; \"maintenance margin is half of the initial margin at max leverage\", " +
		"i.e. MMR = 1/(2 x maxLeverage); undated page)"
	srcHyperliquidMeta = "docs.rs df-hyperliquid-core 0.0.9-beta, src/markets/perps/tests/table.rs (test comments: a live mainnet meta " +
		"of 2026-09-27 matches the docs for BTC, 40x up to 150M and 20x beyond, and ETH, 25x up to 100M and 15x beyond)"
	srcSeedDocs = "Project seed documents, as the research notes (wave2-audit sections 1.4 and 1.6) paraphrase and quote them: " +
		"seed 000 evaluates maintenance margin on the position's entry value; example B loses the whole isolated margin on " +
		"liquidation (\"損失整個 $100 保證金\"); isolated trading fees come from the position's own collateral " +
		"(\"單倉保證金則會直接從單筆倉位的抵押中扣費\"); rule of thumb: 10x with 1% maintenance margin liquidates about 9% below entry"
)

// hyperliquidProfile is Hyperliquid's mainnet margin tiers for the assets
// the page lists. Each rate is 1/(2 x maxLeverage); ETH's 1/30 is not on the
// 1e-8 grid, so ETH selects TIER-3:half-initial; the others' rates are
// written as their exact decimals (1/80 = 0.0125, 1/40 = 0.025, 1/20 = 0.05,
// 1/10 = 0.1); the deductions come from the TIER-6 recursion (by hand, BTC:
// 150,000,000 x (0.025 - 0.0125) = 1,875,000, as data/SOURCES.md lists).
func hyperliquidProfile() Profile {
	both := []spec.MarginMode{spec.Cross, spec.Isolated}
	two := func(name, bound, lev1, mmr1, lev2, mmr2 string) spec.Market {
		return market(spec.BasisMark, both, table(name, row{"0", bound, mmr1, lev1}, row{bound, maxText, mmr2, lev2}))
	}
	markets := map[string]spec.Market{
		"BTC": two("hyperliquid.BTC", "150000000", "40", "0.0125", "20", "0.025"),
		"SOL": two("hyperliquid.SOL", "70000000", "20", "0.025", "10", "0.05"),
		"XRP": two("hyperliquid.XRP", "40000000", "20", "0.025", "10", "0.05"),
	}
	// ETH under TIER-3:half-initial: 25x below 100,000,000 and 15x from it
	// (MMR 1/50 and 1/30, deduction 4,000,000/3 by the engines). The given
	// rates are placeholders the variant ignores (1/50 exactly; 1/30 rounded
	// up to the grid) and no maintenanceAmount is given (TIER-6: 4,000,000/3
	// is not on the grid).
	eth := market(spec.BasisMark, both, []spec.Tier{
		{MinNotional: dec("0"), MaxNotional: dec("100000000"), MaintenanceMarginRate: dec("0.02"), MaxLeverage: dec("25")},
		{MinNotional: dec("100000000"), MaxNotional: dec(maxText), MaintenanceMarginRate: dec("0.03333334"), MaxLeverage: dec("15")},
	})
	eth.Variants = &spec.Variants{MaintenanceRate: spec.MaintenanceRateHalfInitial}
	markets["ETH"] = eth
	for _, a := range []string{"DOGE", "kPEPE", "SUI", "WLD", "TRUMP", "LTC", "ENA", "POPCAT", "WIF", "AAVE", "kBONK", "LINK",
		"CRV", "AVAX", "ADA", "UNI", "NEAR", "TIA", "APT", "BCH", "HYPE", "FARTCOIN"} {
		markets[a] = two("hyperliquid."+a, "20000000", "10", "0.05", "5", "0.1")
	}
	for _, a := range []string{"OP", "ARB", "LDO", "TON", "MKR", "ONDO", "JUP", "INJ", "kSHIB", "SEI", "TRX", "BNB", "DOT"} {
		markets[a] = two("hyperliquid."+a, "3000000", "10", "0.05", "5", "0.1")
	}
	return Profile{
		ID: "hyperliquid@2026-09-27", Venue: "hyperliquid", AsOf: "2026-09-27",
		Sources:     []string{srcHyperliquidTiers, srcHyperliquidMeta},
		MaxLeverage: dec("40"),
		IMRange:     [2]decimal.Decimal{dec("0.025"), dec("0.2")},
		MMRange:     [2]decimal.Decimal{dec("0.0125"), dec("0.1")},
		MarginModes: both, MMBasis: spec.BasisMark, FundingIntervalHours: decimal.NewFromInt(8),
		Notes: "Symbols are Hyperliquid's coin names (BTC, SOL, XRP, DOGE, kPEPE, ...). Tiers from Hyperliquid's Margin tiers " +
			"page: a tier starts at its lower bound (TIER-7's default lower-inclusive bound, as the page gives lower bounds) " +
			"and the last tier has no cap (maxNotional 92233720368.54775807). MMR = 1/(2 x maxLeverage) exactly " +
			"(SPEC TIER-3:half-initial); where that rate is a terminating decimal the market gives it as " +
			"maintenanceMarginRate and keeps the default maintenanceRate \"given\". ETH (25x below 100,000,000, 15x from it: " +
			"MMR 1/30 and deduction 4,000,000/3, not on the 1e-8 grid) selects maintenanceRate \"half-initial\"; its given " +
			"rates 0.02 and 0.03333334 are placeholders the variant ignores, and it gives no maintenanceAmount (perpcheck's " +
			"ledgers do not implement the variant yet: a state with ETH is rejected, VAR-2). asOf is the date a live mainnet " +
			"meta was seen to match the page for BTC and ETH; the other assets are from the undated page. " +
			"Missing: every asset the page does not list " +
			"(\"for IDs less than 50, a single tier with max leverage equal to the ID\" is not expanded), tick and lot " +
			"(1e-8 placeholders; Hyperliquid's szDecimals were not sourced), fees, liquidation fee, funding cap, mark price " +
			"band. mmBasis mark is assumed, not sourced. The funding interval was not sourced (8 hours is the SPEC " +
			"default; markets leave it null). MaxLeverage, IMRange and MMRange are this profile's tables' extremes.",
		Markets: markets,
	}
}

// seedProfile reproduces the seed documents' wording: MM on the entry value,
// an isolated position's margin lost in full on liquidation (LQ-4
// isolatedLeftover "insurance") and isolated fees paid from the position's
// margin (TRD-4 isolatedFeePayer "position").
func seedProfile() Profile {
	both := []spec.MarginMode{spec.Cross, spec.Isolated}
	v := func() *spec.Variants {
		return &spec.Variants{IsolatedLeftover: spec.LeftoverInsurance, IsolatedFeePayer: spec.FeePayerPosition}
	}
	mk := func(name, mmr, lev string) spec.Market {
		m := market(spec.BasisEntry, both, table(name, row{"0", maxText, mmr, lev}))
		m.Variants = v()
		return m
	}
	return Profile{
		ID: "seed@2025-01-01", Venue: "seed", AsOf: "2025-01-01",
		Sources:     []string{srcSeedDocs, srcSeedArticle},
		MaxLeverage: dec("10"),
		IMRange:     [2]decimal.Decimal{dec("0.1"), dec("0.1")},
		MMRange:     [2]decimal.Decimal{dec("0.01"), dec("0.05")},
		MarginModes: both, MMBasis: spec.BasisEntry, FundingIntervalHours: decimal.NewFromInt(8),
		Notes: "Not a venue: the seed documents' worked examples as a profile. BTC, ETH and XRP have the examples' one rate, " +
			"MM 5% at 10x (IM 10%), with no cap; RULE-1PCT has the rule of thumb's MM 1% at 10x. MM is on the entry value " +
			"(mmBasis entry). The isolated leftover goes to the insurance fund (example B loses the whole $100 of isolated margin: isolatedLeftover " +
			"insurance) and isolated trading fees come from the position's margin (isolatedFeePayer position); both are " +
			"ledger rules of SPEC VAR. The seed dates only by year (2025; 2025-01-01 stands for it). Absent: tick and lot " +
			"(1e-8 placeholders), fees, liquidation fee, funding cap, mark price band, funding interval (SPEC default).",
		Markets: map[string]spec.Market{
			"BTC":       mk("seed.BTC", "0.05", "10"),
			"ETH":       mk("seed.ETH", "0.05", "10"),
			"XRP":       mk("seed.XRP", "0.05", "10"),
			"RULE-1PCT": mk("seed.RULE-1PCT", "0.01", "10"),
		},
	}
}
