// Package pmstates holds the hand-made portfolio-margin ledger states (SPEC
// PM-14..PM-18) whose outcomes model/ledger_pm_test.go computes by hand on
// both ledgers; package vectors builds its PM ledger vectors
// (ledger/PM/portfolio-ledger.json) from the same states, so each state is
// written once.
//
// The markets: BTC-PERP (a perpetual) and BTC-FUT (a future with 0.25 years
// to expiry) on underlying BTC, and ETH-PERP on ETH; one tier, MMR 10%,
// maxLeverage 5; liquidationFeeRate 1%; PM parameters shocks [-0.1, 0, 0.1],
// basisRate 0.02, contingencyRate 0.01, no extreme move, no minimum charge,
// initialMarginFactor 1.
package pmstates

import "strings"

// paramsJSON is the portfolioMargin object of every PM market.
const paramsJSON = `{"shocks": ["-0.1", "0", "0.1"], "basisRate": "0.02", "contingencyRate": "0.01"}`

// Market is a PM market on underlying, a future with expiry (years) when
// expiry is not empty, a perpetual otherwise.
func Market(underlying, expiry string) string {
	e := ""
	if expiry != "" {
		e = `"expiry": "` + expiry + `", `
	}
	return `{"tickSize": "0.1", "lotSize": "0.001", "liquidationFeeRate": "0.01", "underlying": "` + underlying + `", ` + e +
		`"marginModes": ["cross", "isolated", "portfolio"], "portfolioMargin": ` + paramsJSON + `,
    "tiers": [{"minNotional": "0", "maxNotional": "1000000000", "maintenanceMarginRate": "0.1", "maxLeverage": "5"}]}`
}

// Hedge: alice (mode aliceMode on both BTC markets, wallet 20,000)
// is long 10 BTC-PERP and short 10 BTC-FUT, both at 50,000; bob holds the
// other sides, cross, with a deep wallet; the fund is empty.
func Hedge(aliceMode string) string {
	return `{
  "markets": {"BTC-PERP": ` + Market("BTC", "") + `, "BTC-FUT": ` + Market("BTC", "0.25") + `},
  "prices": {"BTC-PERP": {"mark": "50000"}, "BTC-FUT": {"mark": "50000"}},
  "accounts": {
    "alice": {"walletBalance": "20000",
      "settings": {"BTC-PERP": {"marginMode": "` + aliceMode + `"}, "BTC-FUT": {"marginMode": "` + aliceMode + `"}},
      "positions": [
        {"market": "BTC-FUT", "side": "short", "size": "10", "entryPrice": "50000", "marginMode": "` + aliceMode + `"},
        {"market": "BTC-PERP", "side": "long", "size": "10", "entryPrice": "50000", "marginMode": "` + aliceMode + `"}]},
    "bob": {"walletBalance": "1000000",
      "positions": [
        {"market": "BTC-FUT", "side": "long", "size": "10", "entryPrice": "50000", "marginMode": "cross"},
        {"market": "BTC-PERP", "side": "short", "size": "10", "entryPrice": "50000", "marginMode": "cross"}]}
  },
  "insuranceFund": {"walletBalance": "0"}
}`
}

// twoUnits: alice (portfolio, wallet 90,000) is long 10 BTC-PERP at
// 50,000 and long 100 ETH-PERP at 3,000; bob is short both, cross.
const twoUnits = `{
  "markets": {"BTC-PERP": ` + "%BTC%" + `, "ETH-PERP": ` + "%ETH%" + `},
  "prices": {"BTC-PERP": {"mark": "50000"}, "ETH-PERP": {"mark": "3000"}},
  "accounts": {
    "alice": {"walletBalance": "90000",
      "settings": {"BTC-PERP": {"marginMode": "portfolio"}, "ETH-PERP": {"marginMode": "portfolio"}},
      "positions": [
        {"market": "BTC-PERP", "side": "long", "size": "10", "entryPrice": "50000", "marginMode": "portfolio"},
        {"market": "ETH-PERP", "side": "long", "size": "100", "entryPrice": "3000", "marginMode": "portfolio"}]},
    "bob": {"walletBalance": "10000000",
      "positions": [
        {"market": "BTC-PERP", "side": "short", "size": "10", "entryPrice": "50000", "marginMode": "cross"},
        {"market": "ETH-PERP", "side": "short", "size": "100", "entryPrice": "3000", "marginMode": "cross"}]}
  },
  "insuranceFund": {"walletBalance": "0"}
}`

// TwoUnits is twoUnits with its markets.
func TwoUnits() string {
	return strings.NewReplacer("%BTC%", Market("BTC", ""), "%ETH%", Market("ETH", "")).Replace(twoUnits)
}

// IM: alice (portfolio on both BTC markets, wallet 60,000) is long
// 10 BTC-PERP at 50,000; bob is short it, cross, with a deep wallet.
func IM() string {
	return `{
  "markets": {"BTC-PERP": ` + Market("BTC", "") + `, "BTC-FUT": ` + Market("BTC", "0.25") + `,
    "ETH-PERP": ` + Market("ETH", "") + `, "X": {"tickSize": "0.1", "lotSize": "0.001", "marginModes": ["cross", "portfolio"],
    "tiers": [{"minNotional": "0", "maxNotional": "1000000000", "maintenanceMarginRate": "0.1", "maxLeverage": "5"}]}},
  "prices": {"BTC-PERP": {"mark": "50000"}, "BTC-FUT": {"mark": "50000"}, "ETH-PERP": {"mark": "3000"}, "X": {"mark": "1"}},
  "accounts": {
    "alice": {"walletBalance": "60000",
      "settings": {"BTC-PERP": {"marginMode": "portfolio"}, "BTC-FUT": {"marginMode": "portfolio"}},
      "positions": [{"market": "BTC-PERP", "side": "long", "size": "10", "entryPrice": "50000", "marginMode": "portfolio"}]},
    "bob": {"walletBalance": "100000000",
      "positions": [{"market": "BTC-PERP", "side": "short", "size": "10", "entryPrice": "50000", "marginMode": "cross"}]}
  },
  "insuranceFund": {"walletBalance": "0"}
}`
}
