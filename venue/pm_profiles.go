package venue

import (
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// The portfolio-margin profiles (SPEC PM, issue 14): markets carrying an
// underlying (MKT-6) and portfolioMargin parameters (PM-1), so that a
// scenario can name them with "profile" and "symbol" and hold positions in
// portfolio mode.

const (
	srcOKXPM2025 = "OKX announcement \"OKX will further adjust portfolio margin parameters\" (2 Jan 2025; stored copy " +
		"https://okx-api.aperture.finance/help/okx-will-further-adjust-portfolio-margin-parameters): MR1 grid BTC/ETH " +
		"+-0/4/8/12 % (was 5/10/15), MR6 extreme move +-24 % (was 30), MR4 annualized basis 5 % (was 7.5), MR7 multipliers " +
		"(table before 2025-01-15: [0, 10,000] x1, (10,000, 70,000] x2, ... (700,000, inf) x12)"
	srcOKXPMScaling = "OKX support \"OKEx adjusts scaling-factor logic in Portfolio Margin mode\" " +
		"(https://www.okx.com/support/hc/en-us/articles/4417291853837): MMR = max[max(MR1, MR2, MR6) + MR3 + MR4 + MR5, MR7], " +
		"the progressive MR7 scaling example (raw 30,000 -> 50,000)"
	srcDeribitPM = "Deribit support \"Portfolio Margin\" (https://support.deribit.com/hc/en-us/articles/25944756247837-Portfolio-Margin): " +
		"price range +-16 % in 9 evenly spaced buckets including 0; older parameter pages " +
		"(https://www.deribit.com/pages/docs/portfoliomargin): a contingency of 1 % of the underlying value for offsetting " +
		"futures, \"long 100 BTC in Future A, short 100 BTC in Future B -> 1.00 % x 100 BTC added\""
	srcSPAN = "CME SPAN methodology (CME presentation copies: studylib.net/doc/8697053, \"Span Methodology\"; cmegroup " +
		"\"Risk Arrays - Standard\"): 16 scenarios at 0, +-1/3, +-2/3, +-1 of the price scan range, extreme +-2x range at " +
		"35 %; the S&P 500 example: price scan range 120 points x $250 = $30,000"
)

// pmProfiles are deribit-pm (Deribit's price buckets and futures
// contingency), okx-pm (OKX's BTC/ETH portfolio-margin parameters of January
// 2025) and span-demo (CME SPAN's price-scan example).
func pmProfiles() []Profile {
	nd := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(dec(s)) }
	decs := func(xs ...string) []decimal.Decimal {
		out := make([]decimal.Decimal, len(xs))
		for i, x := range xs {
			out[i] = dec(x)
		}
		return out
	}
	okxModes := []spec.MarginMode{spec.Cross, spec.Isolated, spec.Portfolio}
	okxPM := func() *spec.PortfolioParams {
		bounds := []string{"0", "10000", "70000", "170000", "300000", "470000", "700000", maxText}
		var ct []spec.ChargeTier
		for i, m := range []string{"1", "2", "4", "6", "8", "10", "12"} {
			ct = append(ct, spec.ChargeTier{MinCharge: dec(bounds[i]), MaxCharge: dec(bounds[i+1]), Multiplier: dec(m)})
		}
		return &spec.PortfolioParams{
			Shocks:             decs("0", "-0.04", "0.04", "-0.08", "0.08", "-0.12", "0.12"),
			ExtremeMove:        nd("0.24"),
			BasisRate:          nd("0.05"),
			MinimumChargeTiers: ct,
		}
	}
	okxMarket := func(und string) spec.Market {
		m := market(spec.BasisMark, okxModes, table("okx-pm."+und+"-USDT-SWAP", row{"0", maxText, "0.005", "100"}))
		m.Underlying, m.PortfolioMargin = und, okxPM()
		return m
	}
	spanModes := []spec.MarginMode{spec.Cross, spec.Portfolio}
	es := market(spec.BasisMark, spanModes, table("span-demo.ES", row{"0", maxText, "0.005", "100"}))
	es.TickSize, es.LotSize, es.Underlying = dec("0.25"), dec("1"), "SP500"
	es.PortfolioMargin = &spec.PortfolioParams{
		Shocks:      decs("0", "0.01", "-0.01", "0.02", "-0.02", "0.03", "-0.03"),
		ExtremeMove: nd("0.06"), ExtremeFraction: nd("0.35"),
	}
	deribit := market(spec.BasisMark, spanModes, table("deribit-pm.BTC-PERPETUAL", row{"0", maxText, "0.005", "100"}))
	deribit.Underlying = "BTC"
	deribit.PortfolioMargin = &spec.PortfolioParams{
		Shocks:          decs("0", "-0.04", "0.04", "-0.08", "0.08", "-0.12", "0.12", "-0.16", "0.16"),
		ContingencyRate: nd("0.01"),
	}
	return []Profile{
		{
			ID: "deribit-pm@2024-06-01", Venue: "deribit-pm", AsOf: "2024-06-01",
			Sources:     []string{srcDeribitPM},
			MaxLeverage: dec("100"),
			IMRange:     [2]decimal.Decimal{dec("0.01"), dec("0.01")},
			MMRange:     [2]decimal.Decimal{dec("0.005"), dec("0.005")},
			MarginModes: spanModes, MMBasis: spec.BasisMark, FundingIntervalHours: decimal.NewFromInt(8),
			Notes: "Deribit portfolio margin for linear BTC futures: the 9 price buckets of +-16 % (+-4 % steps, 0 included) and " +
				"the 1 % contingency on offsetting futures (the calendar-spread example: gen.PMGolden(\"deribit-calendar\")). " +
				"Not modelled: the volatility shocks and the extended table (options only), the 2 % contingency variant, any " +
				"extreme move, basis charge or minimum charge (0), an IM multiple (1; Deribit says the simple IM/MM formulas do " +
				"not apply). Deribit's BTC futures are inverse (BTC-margined); this profile treats BTC-PERPETUAL as linear, " +
				"as perpcheck has no inverse contracts. Dated futures: a scenario adds its own markets with underlying BTC, " +
				"an expiry and these parameters. The date is that of the support article's parameter set, which is undated " +
				"(mid-2024 assumed); the tier table (0.5 %, 100x), tick, lot and headline figures are placeholders.",
			Markets: map[string]spec.Market{"BTC-PERPETUAL": deribit},
		},
		{
			ID: "okx-pm@2025-01-02", Venue: "okx-pm", AsOf: "2025-01-02",
			Sources:     []string{srcOKXPM2025, srcOKXPMScaling, srcSeedArticle},
			MaxLeverage: dec("100"),
			IMRange:     [2]decimal.Decimal{dec("0.01"), dec("0.1")},
			MMRange:     [2]decimal.Decimal{dec("0.005"), dec("0.05")},
			MarginModes: okxModes, MMBasis: spec.BasisMark, FundingIntervalHours: decimal.NewFromInt(8),
			Notes: "OKX portfolio margin for the BTC and ETH perpetuals (USDT-margined), parameters after the January 2025 change " +
				"(effective 2025-01-06): shock grid 0, +-4, +-8, +-12 %, extremeMove 0.24, basisRate 0.05, and the MR7 multiplier " +
				"table OKX published before 2025-01-15 (the later table is only in a third-party copy and is not shipped). " +
				"Missing from the sources, so not modelled or left at SPEC PM-1's defaults: MR7's raw rate " +
				"(minimumChargeRate 0: set it in the scenario to apply the multipliers), the weight of MR6 (extremeFraction 1, " +
				"as OKX's formula takes MR6 whole; the extreme loss then exceeds the 12 % grid loss of any unhedged position), " +
				"OKX's contingency (none published: 0), the IM multiple (initialMarginFactor 1: OKX says IMR is derived from MMR), " +
				"MR2/MR3/MR5 (options), MR8/MR9, and dated futures (no instrument list: a scenario adds its own markets with " +
				"expiry). The cross/isolated tier table is the seed-only one-tier table of okx@2025-01-01; tick and lot are " +
				"placeholders (1e-8).",
			Markets: map[string]spec.Market{"BTC-USDT-SWAP": okxMarket("BTC"), "ETH-USDT-SWAP": okxMarket("ETH")},
		},
		{
			ID: "span-demo@2019-01-01", Venue: "span-demo", AsOf: "2019-01-01",
			Sources:     []string{srcSPAN},
			MaxLeverage: dec("100"),
			IMRange:     [2]decimal.Decimal{dec("0.01"), dec("0.01")},
			MMRange:     [2]decimal.Decimal{dec("0.005"), dec("0.005")},
			MarginModes: spanModes, MMBasis: spec.BasisMark, FundingIntervalHours: decimal.NewFromInt(8),
			Notes: "A demonstration profile, not a venue: CME SPAN's S&P 500 example as portfolio margin. One contract is 250 " +
				"units of ES at 4,000 (notional 1,000,000), the price scan range $30,000 is 3 %, so the grid is 0, +-1, +-2, " +
				"+-3 % (0, +-1/3, +-2/3, +-1 of the range) and the extreme move 6 % (2x range) counted at 35 %: a single long " +
				"contract has scan risk 30,000 (gen.PMGolden(\"span-long\")). Only the price scan is modelled: no volatility " +
				"scan, no intra-/inter-commodity spreads, no short option minimum. ES is written as a perpetual; its tier " +
				"table (0.5 %, 100x), funding interval and headline figures are placeholders with no SPAN meaning; the date is " +
				"that of the CME presentation copy, which is undated (2019 assumed).",
			Markets: map[string]spec.Market{"ES": es},
		},
	}
}
