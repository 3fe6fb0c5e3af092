// Package reference is the reference model of perpcheck: a literal, readable
// transcription of SPEC.md into exact decimal arithmetic with
// github.com/cockroachdb/apd/v3.
//
// It is slow on purpose. Every SPEC concept has its own function whose doc
// comment names the rule ids and the formula, so that an auditor can read
// SPEC.md and this package side by side:
//
//	num.go       NUM-1..4   exact conversion, range, rounding operators up/down/tickUp/tickDown
//	tiers.go     TIER-6..8  maintenance amount recursion, tier lookup, MM(N)
//	mark.go      MARK-1..4  mark price
//	quantity.go  QTY, POOL  notional, unrealized PnL, leverage, IM, MM, pools
//	liq.go       LIQ, BKR   liquidation price (tier by tier), bankruptcy price
//	validate.go  EVAL-2     input validation steps 1..3, in SPEC order
//	evaluate.go  EVAL, RPT  Evaluate, reported-value range checks (steps 4..5), report
//
// The ledger (Ledger, NewLedger) transcribes LED, TRD, FND, LQ and ADL:
//
//	ledger.go          LED-3..8  ledger accounts, postings, pools, Check, atomic Apply
//	ledger_state.go    LED-1..4  NewLedger's validation, State, NUM-2 on reported values
//	ledger_account.go  LED-5     deposit, withdraw, addMargin, removeMargin, settings
//	ledger_trade.go    TRD-1..6  trades; the fill primitive (TRD-2, TRD-3)
//	ledger_funding.go  FND-1..4  price events and funding
//	ledger_liq.go      LQ, ADL   sweep, solvency, insurance, auto-deleveraging
//	ledger_doc.go                the readings of SPEC's open choices
//
// Exactness (NUM-3): additions, subtractions and multiplications run in an apd
// context with Precision 0, which performs no rounding, and with Inexact and
// Rounded trapped, so that a rounding could never pass unnoticed. A division is
// never evaluated to a truncated decimal: it is kept as an exact ratio
// (numerator, denominator) and only ever compared by cross-multiplication or
// rounded once, where SPEC reports it, by a directed rounding operator of
// NUM-4. Those operators do not use apd's Quantize or RoundToIntegralValue
// (apd issues #122 and #140: both ignore a directed rounding mode when every
// digit is below the target exponent); they use a directed Quo followed by
// Context.Floor or Context.Ceil (see floorQuo and ceilQuo).
//
// An internal inconsistency (which would be a bug of this package, never a
// property of the input) is reported as a plain error, not a *spec.Error, and
// never as a panic.
package reference
