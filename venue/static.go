package venue

import (
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// Sources of the non-Binance profiles.
const (
	srcKuCoinSDK = "https://github.com/Kucoin/kucoin-universal-sdk, file sdk/node/src/generate/futures/positions/api_positions.test.ts, " +
		"'getIsolatedMarginRiskLimit response test' (KuCoin's API documentation example of GET /api/v1/contracts/risk-limit/XBTUSDTM); " +
		"read in the copy mrjorticio-hash/kucoin-universal-sdk at commit 7a421cc0b81c1370dd3ca18fd986d075e2575815, " +
		"also present in an older version of that file whose neighbouring examples are timestamped 2024-10-17"
	srcCCXTKuCoinMapping = "CCXT kucoinfutures parseMarketLeverageTiers: tier <- level, minNotional <- minRiskLimit, maxNotional <- maxRiskLimit, " +
		"maintenanceMarginRate <- maintainMargin, maxLeverage <- maxLeverage (repository ccxt/ccxt; via the project's research notes, section 5)"
	srcBybitLiq = "https://testnet.bybit.com/en-US/help-center/s/article/Liquidation-Price-USDT-Contract " +
		"(classic USDT isolated: MM = position value at entry * MMR - MM deduction, i.e. entry basis)"
	srcBybitMM = "https://www.fourbit.net/en/help-center/article/Maintenance-Margin-USDT-Contract " +
		"(mirror of Bybit's Maintenance Margin (USDT Contract) article: tiered MM, BTCUSDT 0.5% up to 2,000,000 USDT; secondary copy)"
)

// row is one tier of a table written in this file: minNotional,
// maxNotional, maintenanceMarginRate, maxLeverage as decimal text.
type row [4]string

// table turns rows into tiers with the TIER-6 maintenance amounts filled.
// It panics on a malformed row (a bug in this file, caught by the tests).
func table(name string, rows ...row) []spec.Tier {
	ts := make([]spec.Tier, len(rows))
	for i, r := range rows {
		ts[i] = spec.Tier{
			MinNotional:           decimal.RequireFromString(r[0]),
			MaxNotional:           decimal.RequireFromString(r[1]),
			MaintenanceMarginRate: decimal.RequireFromString(r[2]),
			MaxLeverage:           decimal.RequireFromString(r[3]),
		}
	}
	out, err := ValidateTiers(name, ts)
	if err != nil {
		panic("venue: shipped table " + name + " is invalid: " + err.Error())
	}
	return out
}

// maxText is maxDecimal as text: the maxNotional of a single-tier table whose
// cap the source does not give ("no known cap").
const maxText = "92233720368.54775807"

// placeholder tick and lot (1e-8): used where the venue's filters were not
// sourced. Any size and price on the 1e-8 grid is then accepted.
var placeholderUnit = decimal.New(1, -8)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// market builds a market with placeholder tick and lot.
func market(basis spec.MMBasis, modes []spec.MarginMode, tiers []spec.Tier) spec.Market {
	return spec.Market{
		TickSize:    placeholderUnit,
		LotSize:     placeholderUnit,
		MMBasis:     basis,
		Tiers:       tiers,
		MarginModes: append([]spec.MarginMode(nil), modes...),
	}
}

// staticProfiles are the profiles written out in this file: KuCoin (a real
// XBTUSDTM table from KuCoin's API documentation example) and the seed-only
// approximations for Bybit, OKX, Bitstamp and Coinbase.
func staticProfiles() []Profile {
	both := []spec.MarginMode{spec.Cross, spec.Isolated}
	crossOnly := []spec.MarginMode{spec.Cross}
	eight := decimal.NewFromInt(8)
	seedNote := func(venue, sym, lev, mmr string) string {
		return "Seed-only approximation: " + sym + " has a ONE-TIER table built from the seed article's published " +
			"numbers for " + venue + " (max leverage " + lev + "x, maintenance margin rate " + mmr + " = the lower end " +
			"of its MM range); it is the venue's tier 1 only, not the venue's full tier table, so maintenance margin of " +
			"large positions is understated. The article is dated only by year (2025); 2025-01-01 stands for that year. " +
			"Tick and lot are placeholders (1e-8): the venue's filters were not sourced (override them to trade in the " +
			"ledger, whose LED-1 needs tick*lot on the 1e-8 grid). Liquidation fee unknown (null). " +
			"Funding interval not researched; 8 hours is the SPEC default, markets leave it null. " +
			"The symbol name is perpcheck's label for the venue's BTC perpetual"
	}
	return []Profile{
		{
			ID: "bybit@2025-01-01", Venue: "bybit", AsOf: "2025-01-01",
			Sources:     []string{srcSeedArticle, srcBybitMM, srcBybitLiq},
			MaxLeverage: dec("100"),
			IMRange:     [2]decimal.Decimal{dec("0.01"), dec("0.1")},
			MMRange:     [2]decimal.Decimal{dec("0.005"), dec("0.05")},
			MarginModes: both, MMBasis: spec.BasisEntry, FundingIntervalHours: eight,
			Notes: seedNote("Bybit", "BTCUSDT", "100", "0.5%") + " (Bybit's own symbol). The tier-1 cap 2,000,000 USDT is " +
				"from a mirror of Bybit's maintenance-margin article (secondary). mmBasis is entry: Bybit's classic " +
				"isolated USDT liquidation formula evaluates MM on the entry value; Bybit's Unified Trading Account adds " +
				"estimated closing fees to IM and MM, which this profile does not model. A public Bybit testnet capture " +
				"(third-party SDK README, undated, truncated after 3 tiers) shows BTCUSDT tiers 2M/0.5%/100x, " +
				"4M/1%/57.14x, 6M/1.5%/40x; it was not shipped because it is testnet, undated and incomplete.",
			Markets: map[string]spec.Market{
				"BTCUSDT": market(spec.BasisEntry, both, table("bybit.BTCUSDT", row{"0", "2000000", "0.005", "100"})),
			},
		},
		{
			ID: "okx@2025-01-01", Venue: "okx", AsOf: "2025-01-01",
			Sources:     []string{srcSeedArticle},
			MaxLeverage: dec("100"),
			IMRange:     [2]decimal.Decimal{dec("0.01"), dec("0.1")},
			MMRange:     [2]decimal.Decimal{dec("0.005"), dec("0.05")},
			MarginModes: both, MMBasis: spec.BasisMark, FundingIntervalHours: eight,
			Notes: seedNote("OKX", "BTC-USDT-SWAP", "100", "0.5%") + " (OKX's instrument id). No cap is given, so the " +
				"tier's maxNotional is 92233720368.54775807. OKX's real position tiers are in contracts (minSz/maxSz " +
				"times the contract value ctVal give base units; times a price give notional); no public OKX table was " +
				"found, so no conversion was done. OKX also adds a liquidation (taker) fee to the maintenance " +
				"requirement and applies the tier's rate to the whole position without a published deduction; " +
				"neither is modelled. What was found of OKX's real tiers (data/SOURCES.md of the research): the ETHUSDT " +
				"perpetual tiers effective 2021-06-11 (OKEx support article 4402607424781), in contracts: 0-3,000 MMR 0.4% " +
				"IMR 0.8% 125x; 3,001-6,000 0.5%/1%/100x; 6,001-12,000 1%/1.5%/66.66x; then +12,000 contracts, +0.5% MMR and " +
				"+0.5% IMR per tier, with the leverage of those tiers not given. It is not shipped: it is ETH, not BTC; the " +
				"contract value that turns contracts into notional was not sourced; the tiers beyond 3 give no leverage; " +
				"and OKX bounds its tiers by position size in contracts, while perpcheck's tiers are bounded by notional, so " +
				"even with ctVal the bounds would move with the price. Its explicit IMR (1.5% at 66.66x, not 1/66.66) is " +
				"expressible since issue 12: a tier's optional initialMarginRate (SPEC TIER-5, QTY-4: IM = N * " +
				"max(1/leverage, IMR_t)); model/explicitimr_test.go checks OKX's published ETH rates (tier 3 at 125x, " +
				"66.66x and 50x) on notional bounds of its own. An OKX market would select SPEC VAR's POOL-5 at-equality, TIER-7 " +
				"upper-inclusive, TIER-8 flat and QTY-5 taker once its table is sourced.",
			Markets: map[string]spec.Market{
				"BTC-USDT-SWAP": market(spec.BasisMark, both, table("okx.BTC-USDT-SWAP", row{"0", maxText, "0.005", "100"})),
			},
		},
		{
			ID: "kucoin@2024-10-17", Venue: "kucoin", AsOf: "2024-10-17",
			Sources:     []string{srcKuCoinSDK, srcCCXTKuCoinMapping, srcSeedArticle},
			MaxLeverage: dec("100"),
			IMRange:     [2]decimal.Decimal{dec("0.01"), dec("0.1")},
			MMRange:     [2]decimal.Decimal{dec("0.005"), dec("0.05")},
			MarginModes: both, MMBasis: spec.BasisMark, FundingIntervalHours: eight,
			Notes: "XBTUSDTM (KuCoin's BTC/USDT perpetual) has KuCoin's full 12-level isolated-margin risk-limit table as " +
				"given in KuCoin's API documentation example (reproduced in KuCoin's universal SDK): levels 0-100k at " +
				"125x/MMR 0.4% up to 40M-50M at 1x/MMR 50%, mapped as CCXT does (minRiskLimit/maxRiskLimit -> min/max " +
				"notional, maintainMargin -> MMR). It is example data: the date is approximate (the example is undated; " +
				"neighbouring examples in the same file are timestamped 2024-10-17) and it may not equal the live table of " +
				"any given day; a later third-party copy shows different level caps (500k/1M/2M), so tables change. " +
				"KuCoin publishes no maintenance deduction; perpcheck applies the TIER-6 recursion (progressive, " +
				"continuous MM). Whether KuCoin instead applies a level's rate to the whole position was not " +
				"established. The table's 125x differs from the seed article's 100x for KuCoin (MaxLeverage keeps the " +
				"seed's figure). mmBasis mark is assumed, not sourced. Tick and lot are placeholders (1e-8); the same " +
				"file's position examples (1 contract, mark 43536.65, value 43.53665) imply 1 contract = 0.001 BTC, " +
				"but KuCoin's lot and tick were not sourced. Liquidation fee unknown. Funding interval not " +
				"researched (8 hours is the SPEC default).",
			Markets: map[string]spec.Market{
				"XBTUSDTM": market(spec.BasisMark, both, table("kucoin.XBTUSDTM",
					row{"0", "100000", "0.004", "125"},
					row{"100000", "500000", "0.005", "100"},
					row{"500000", "1000000", "0.007", "75"},
					row{"1000000", "2000000", "0.01", "50"},
					row{"2000000", "3000000", "0.017", "30"},
					row{"3000000", "5000000", "0.025", "20"},
					row{"5000000", "8000000", "0.05", "10"},
					row{"8000000", "12000000", "0.1", "5"},
					row{"12000000", "20000000", "0.125", "4"},
					row{"20000000", "30000000", "0.167", "3"},
					row{"30000000", "40000000", "0.25", "2"},
					row{"40000000", "50000000", "0.5", "1"},
				)),
			},
		},
		{
			ID: "bitstamp@2025-01-01", Venue: "bitstamp", AsOf: "2025-01-01",
			Sources:     []string{srcSeedArticle},
			MaxLeverage: dec("50"),
			IMRange:     [2]decimal.Decimal{dec("0.02"), dec("0.1")},
			MMRange:     [2]decimal.Decimal{dec("0.01"), dec("0.05")},
			MarginModes: crossOnly, MMBasis: spec.BasisMark, FundingIntervalHours: eight,
			Notes: seedNote("Bitstamp", "BTC-PERP", "50", "1%") + ". Cross margin only (the article: no isolated mode), so " +
				"an isolated position is a POS-3 error. The article says Bitstamp's rates are fixed per leverage level " +
				"and do not grow with position size; the IM range 2%-10% is not a tier table. mmBasis mark is assumed. " +
				"The seed article's Bitstamp figures were not checked against Bitstamp's own pages.",
			Markets: map[string]spec.Market{
				"BTC-PERP": market(spec.BasisMark, crossOnly, table("bitstamp.BTC-PERP", row{"0", maxText, "0.01", "50"})),
			},
		},
		{
			ID: "coinbase@2025-01-01", Venue: "coinbase", AsOf: "2025-01-01",
			Sources:     []string{srcSeedArticle},
			MaxLeverage: dec("10"),
			IMRange:     [2]decimal.Decimal{dec("0.1"), dec("0.1")},
			MMRange:     [2]decimal.Decimal{dec("0.05"), dec("0.05")},
			MarginModes: crossOnly, MMBasis: spec.BasisMark, FundingIntervalHours: eight,
			Notes: seedNote("Coinbase Exchange", "BTC-PERP", "10", "5%") + ". The article gives fixed rates (IM 10%, MM 5%), " +
				"so the single tier is the whole published schedule. Cross margin only (the article: no isolated mode), " +
				"so an isolated position is a POS-3 error. mmBasis mark is assumed. The seed article's Coinbase figures " +
				"were not checked against Coinbase's own pages.",
			Markets: map[string]spec.Market{
				"BTC-PERP": market(spec.BasisMark, crossOnly, table("coinbase.BTC-PERP", row{"0", maxText, "0.05", "10"})),
			},
		},
	}
}
