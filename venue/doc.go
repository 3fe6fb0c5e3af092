// Package venue holds dated venue profiles (tier tables, tick and lot sizes,
// margin modes, switches) and the loader of CCXT unified leverage tiers
// (SPEC PROF-1..3, CCXT-1..2).
//
// A scenario names a profile market with "profile" and "symbol"; Resolve
// turns such markets into plain markets the engine evaluates, with any field
// given beside the profile overriding it. Lookup returns one profile market
// and Profiles lists them all.
//
// What is shipped (each profile's Sources and Notes say exactly where every
// figure comes from and what is approximated):
//
//   - binance@2024-10-01: real tier tables of all 349 Binance USDⓈ-M symbols
//     of October 2024 (CCXT fetchLeverageTiers output kept by freqtrade,
//     embedded in data/), loaded with LoadCCXT; real tick, lot and
//     liquidation fee for BTCUSDT, ETHUSDT and five more symbols.
//   - kucoin@2024-10-17: XBTUSDTM with KuCoin's 12-level risk-limit table
//     from KuCoin's API documentation example.
//   - bybit, okx, bitstamp, coinbase @2025-01-01: seed-only approximations,
//     a one-tier table per BTC perpetual from the seed article's published
//     maximum leverage and lowest maintenance margin rate. Bitstamp and
//     Coinbase are cross-only.
//
// Every number is a shopspring decimal read from its text, never a float64.
// Errors are *spec.Error values with a SPEC rule id.
package venue
