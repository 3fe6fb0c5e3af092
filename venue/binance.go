package venue

import (
	"bytes"
	_ "embed" // for the embedded CCXT tier file
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// binanceTiersJSON is a byte-for-byte copy of freqtrade's
// freqtrade/exchange/binance_leverage_tiers.json at commit
// c9ae5e1e9ff25bb55dd61f5e5519f7c479291edb (CCXT fetchLeverageTiers output for
// 349 Binance USDⓈ-M symbols, October 2024). See data/SOURCES.md.
//
//go:embed data/binance-leverage-tiers-2024-10.ccxt.json
var binanceTiersJSON []byte

// Sources of the Binance profile.
const (
	srcFreqtradeTiers     = "https://github.com/freqtrade/freqtrade/blob/c9ae5e1e9ff25bb55dd61f5e5519f7c479291edb/freqtrade/exchange/binance_leverage_tiers.json (CCXT fetchLeverageTiers output, 349 symbols, Oct 2024; embedded as venue/data/binance-leverage-tiers-2024-10.ccxt.json)"
	srcCCXTBinanceMarkets = "https://github.com/ccxt/ccxt/blob/0dca8ac0a3ce97d642fd9973b3121c2d6e3e3063/ts/src/test/static/markets/binance.json (CCXT static test fixture of Binance exchangeInfo: PRICE_FILTER tickSize, LOT_SIZE stepSize and liquidationFee of BTCUSDT, ETHUSDT, LTCUSDT, ADAUSDT, XRPUSDT, DOGEUSDT, TRXUSDT; captured in the second half of 2023, it lists the BTCUSDT_231229 quarterly as active)"
	srcBinanceLiqFAQ      = "https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93 (liquidation price: MM evaluated at the liquidation price, i.e. mark basis)"
	srcBinanceMMFAQ       = "https://www.binance.com/en/support/faq/leverage-and-margin-of-usd%E2%93%A2-m-futures-360033162192 (tax-bracket maintenance margin; MM = notional * MMR - maintenance amount per https://www.binance.com/en/futures/trading-rules/perpetual/portfolio-margin/notional-limit)"
	srcBinanceFunding     = "https://www.binance.com/en/square/post/588537 (funding interest rate 0.01% per 8 hours; secondary copy, via the project's research notes)"
	srcSeedArticle        = "Seed article \"比特币期货保证金比例怎么算?2025年主流交易所标准解析\" (2025), table of max leverage, IM range, MM range, isolated/cross support per exchange (project seed document 001_ecb3b7a5cd33e047)"
)

// binanceFilters are the exchangeInfo filters and liquidation fee rates found
// for a few symbols (srcCCXTBinanceMarkets). Other symbols get tick and lot
// 1e-8 and no liquidation fee.
var binanceFilters = map[string]struct{ tick, lot, liqFee string }{
	"BTCUSDT":  {"0.1", "0.001", "0.0125"},
	"ETHUSDT":  {"0.01", "0.001", "0.0125"},
	"LTCUSDT":  {"0.01", "0.001", "0.015"},
	"ADAUSDT":  {"0.0001", "1", "0.01"},
	"XRPUSDT":  {"0.0001", "0.1", "0.01"},
	"DOGEUSDT": {"0.00001", "1", "0.01"},
	"TRXUSDT":  {"0.00001", "1", "0.01"},
}

// BinanceID turns a CCXT unified symbol of a Binance USDⓈ-M contract into the
// Binance symbol the profile uses as market name:
//
//	"BTC/USDT:USDT"        -> "BTCUSDT"         (USDT-settled perpetual)
//	"BTC/USDC:USDC"        -> "BTCUSDC"         (USDC-settled perpetual)
//	"ETH/BTC:BTC"          -> "ETHBTC"          (BTC-quoted perpetual)
//	"BTC/USDT:USDT-241227" -> "BTCUSDT_241227"  (quarterly delivery future)
//
// That is Binance's own naming (base + quote, and "_YYMMDD" for delivery
// contracts), so USDC-settled markets never collide with USDT-settled ones.
func BinanceID(ccxtSymbol string) (string, error) {
	slash := strings.IndexByte(ccxtSymbol, '/')
	colon := strings.IndexByte(ccxtSymbol, ':')
	if slash <= 0 || colon < slash+2 || colon == len(ccxtSymbol)-1 {
		return "", fmt.Errorf("venue: %q is not a CCXT contract symbol BASE/QUOTE:SETTLE[-EXPIRY]", ccxtSymbol)
	}
	base, quote, settle := ccxtSymbol[:slash], ccxtSymbol[slash+1:colon], ccxtSymbol[colon+1:]
	expiry := ""
	if dash := strings.IndexByte(settle, '-'); dash >= 0 {
		settle, expiry = settle[:dash], settle[dash+1:]
		if len(expiry) != 6 || strings.Trim(expiry, "0123456789") != "" {
			return "", fmt.Errorf("venue: %q has an expiry that is not YYMMDD", ccxtSymbol)
		}
	}
	if settle == "" || strings.ContainsAny(base+quote, "/:-") {
		return "", fmt.Errorf("venue: %q is not a CCXT contract symbol BASE/QUOTE:SETTLE[-EXPIRY]", ccxtSymbol)
	}
	id := base + quote
	if expiry != "" {
		id += "_" + expiry
	}
	return id, nil
}

// mustBinance builds the binance@2024-10-01 profile from the embedded CCXT
// file. It panics if the embedded data does not load (a bug caught by tests).
func mustBinance() Profile {
	p, err := buildBinance()
	if err != nil {
		panic("venue: embedded Binance tiers do not load: " + err.Error())
	}
	return p
}

func buildBinance() (Profile, error) {
	tables, err := LoadCCXT(bytes.NewReader(binanceTiersJSON))
	if err != nil {
		return Profile{}, err
	}
	modes := []spec.MarginMode{spec.Cross, spec.Isolated}
	unit := decimal.New(1, -8)
	markets := make(map[string]spec.Market, len(tables))
	for sym, tiers := range tables {
		id, err := BinanceID(sym)
		if err != nil {
			return Profile{}, err
		}
		if _, dup := markets[id]; dup {
			return Profile{}, fmt.Errorf("venue: two CCXT symbols map to Binance symbol %s", id)
		}
		m := spec.Market{
			TickSize:    unit,
			LotSize:     unit,
			MMBasis:     spec.BasisMark,
			Tiers:       tiers,
			MarginModes: append([]spec.MarginMode(nil), modes...),
		}
		if f, ok := binanceFilters[id]; ok {
			m.TickSize = decimal.RequireFromString(f.tick)
			m.LotSize = decimal.RequireFromString(f.lot)
			m.LiquidationFeeRate = decimal.NullDecimal{Decimal: decimal.RequireFromString(f.liqFee), Valid: true}
		}
		markets[id] = m
	}
	return Profile{
		ID:    "binance@2024-10-01",
		Venue: "binance",
		AsOf:  "2024-10-01",
		Sources: []string{
			srcFreqtradeTiers,
			srcCCXTBinanceMarkets,
			srcBinanceMMFAQ,
			srcBinanceLiqFAQ,
			srcBinanceFunding,
			srcSeedArticle,
		},
		MaxLeverage:          decimal.NewFromInt(125),
		IMRange:              [2]decimal.Decimal{decimal.RequireFromString("0.008"), decimal.RequireFromString("0.1")},
		MMRange:              [2]decimal.Decimal{decimal.RequireFromString("0.004"), decimal.RequireFromString("0.05")},
		MarginModes:          modes,
		MMBasis:              spec.BasisMark,
		FundingIntervalHours: decimal.NewFromInt(8),
		Notes: "Tier tables: all 349 symbols of the October 2024 CCXT snapshot (freqtrade), real data; every info.cum " +
			"equals the TIER-6 recursion. Market names are Binance symbols: BTC/USDT:USDT -> BTCUSDT, " +
			"USDC-settled BTC/USDC:USDC -> BTCUSDC, ETH/BTC:BTC -> ETHBTC (notional in BTC), and the four quarterly " +
			"delivery futures BTC/ETH USDT-241227/250328 -> BTCUSDT_241227 etc. (not perpetuals; funding does not apply). " +
			"BTCST/USDT:USDT's last tier has Binance's no-cap sentinel (int64 max) as maxNotional; it is loaded as " +
			"92233720368.54775807 (the last tier extends upward anyway). " +
			"Tick, lot and liquidation fee: real exchangeInfo values for BTCUSDT (tick 0.1, lot 0.001, fee 1.25%), " +
			"ETHUSDT (0.01, 0.001, 1.25%), LTCUSDT, ADAUSDT, XRPUSDT, DOGEUSDT and TRXUSDT, from a CCXT fixture " +
			"captured in the second half of 2023, not in October 2024. Every other symbol: tick 1e-8 and lot 1e-8 " +
			"(placeholders: the exact filters were not sourced; since tick*lot = 1e-16 is not a multiple of 1e-8, the " +
			"ledger (SPEC LED-1) refuses trades on them unless tickSize and lotSize are overridden) and no " +
			"liquidation fee (null, i.e. 0). Older Binance " +
			"text gave 0.5% (0.3% for BTCUSDT) as liquidation fee [outdated, not used]. " +
			"Funding: 8 hours is Binance's usual interval; some symbols use 4 hours, not recorded per market " +
			"(markets leave fundingIntervalHours null, which means 8). " +
			"MaxLeverage, IMRange, MMRange: the seed article's headline figures (125x, IM 0.8%-10%, MM 0.4%-5%); " +
			"the tables go up to MMR 50% at 1x in their last tiers.",
		Markets: markets,
	}, nil
}
