package venue

import (
	"bytes"
	_ "embed" // for the embedded CCXT tier file
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// bybitTiersJSON is Bybit's BTCUSDT (USDT perpetual) risk-limit table, 20
// tiers from 0 to 80,000,000 USDT, transcribed by hand from Bybit's "Margin
// Parameters" page into CCXT's fetchLeverageTiers shape, with Bybit v5's
// field names under info (mmDeduction). See data/SOURCES.md.
//
//go:embed data/bybit-btcusdt-linear.ccxt.json
var bybitTiersJSON []byte

// Sources of the full Bybit profile.
const (
	srcBybitMarginParams = "https://bybitx.global/pt-PT/announcement-info/margin-parameters and " +
		"https://bybit-tr.com/tr-TUR/announcement-info/margin-parameters (Bybit \"Margin Parameters\" page, two " +
		"stored copies with identical numbers; BTCUSDT risk limits 2,000,000/100x/0.5%/deduction 0 ... " +
		"80,000,000/14x/4.5%/deduction 1,482,000; undated; embedded as venue/data/bybit-btcusdt-linear.ccxt.json)"
	srcBybitBelow = "Bybit help article Maintenance Margin (USDT Contract), as quoted on bytick.com in the project's " +
		"research notes (wave2-audit section 1.4; exact URL not recorded): \"2,000,000 USDT or below ... 0.5%; " +
		"2,600,000 ... 0.56%\", i.e. the risk limit is the tier's inclusive upper bound (SPEC TIER-7:upper-inclusive)"
)

// bybitAsOf is the date the undated Bybit table was transcribed into the
// project (data/SOURCES.md), the only date the data has.
const bybitAsOf = "2026-12-07"

// mustBybit builds the full Bybit profile from the embedded table. It panics
// if the embedded data does not load (a bug caught by the tests).
func mustBybit() Profile {
	p, err := buildBybit()
	if err != nil {
		panic("venue: embedded Bybit tiers do not load: " + err.Error())
	}
	return p
}

func buildBybit() (Profile, error) {
	tables, err := LoadCCXT(bytes.NewReader(bybitTiersJSON))
	if err != nil {
		return Profile{}, err
	}
	tiers, ok := tables["BTC/USDT:USDT"]
	if !ok || len(tables) != 1 {
		return Profile{}, fmt.Errorf("venue: the Bybit file must hold BTC/USDT:USDT only")
	}
	both := []spec.MarginMode{spec.Cross, spec.Isolated}
	m := market(spec.BasisEntry, both, tiers)
	m.Variants = &spec.Variants{TierBound: spec.TierBoundUpper}
	return Profile{
		ID: "bybit@" + bybitAsOf, Venue: "bybit", AsOf: bybitAsOf,
		Sources:     []string{srcBybitMarginParams, srcBybitBelow, srcBybitLiq, srcSeedArticle},
		MaxLeverage: dec("100"),
		IMRange:     [2]decimal.Decimal{dec("0.01"), dec("0.1")},
		MMRange:     [2]decimal.Decimal{dec("0.005"), dec("0.05")},
		MarginModes: both, MMBasis: spec.BasisEntry, FundingIntervalHours: decimal.NewFromInt(8),
		Notes: "BTCUSDT has Bybit's complete 20-tier USDT-perpetual risk-limit table as published on Bybit's Margin " +
			"Parameters page (0 to 80,000,000 USDT; 100x/0.5% up to 14x/4.5%); every published mmDeduction equals " +
			"the TIER-6 recursion (CCXT-2 checks it while loading). The risk limit is inclusive (\"2,000,000 USDT or " +
			"below\"), so the market selects TIER-7:upper-inclusive. The page is undated: asOf is the date the " +
			"numbers were transcribed into the project, not a publication date; a public test fixture dated " +
			"2026-09-25 shows a newer table (tier 1 300,000 USDT at 150x/0.33%), so this one is older than that. " +
			"Above 80,000,000 USDT Bybit accepts no position; perpcheck's last tier extends upward (TIER-7). " +
			"mmBasis entry follows Bybit's classic isolated liquidation formula (MM on the entry value); Bybit's " +
			"Unified Trading Account also reserves the closing fee (QTY-5:taker), which needs a sourced taker fee " +
			"rate and is not selected. Absent (not sourced with a date): tick and lot (1e-8 placeholders), maker " +
			"and taker fee rates, liquidation fee, funding rate cap, mark price band. Funding every 8 hours is " +
			"Bybit's usual interval (markets leave it null, the SPEC default). The older seed-only one-tier " +
			"snapshot stays as bybit@2025-01-01.",
		Markets: map[string]spec.Market{"BTCUSDT": m},
	}, nil
}
