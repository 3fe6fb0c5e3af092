// Package model is perpcheck's margin engine for perpetual futures: the exact
// fixed-point implementation of SPEC.md (rules NUM, MKT, TIER, MARK, POS, QTY,
// POOL, LIQ, BKR, EVAL, RPT) and of the ledger (LED, TRD, FND, LQ, ADL), over
// the data contract of package spec.
//
// # Numbers
//
// Every quantity is a Fixed: an int64 number of units of 1e-8 (NUM-1, NUM-2).
// Products and sums are computed exactly in 128-bit and 192-bit integers
// (package model/internal/wide, built on math/bits): size*price is at scale
// 1e-16, size*price*MMR at scale 1e-24. Divisions are done by 64-bit divisors
// (floor(x/(a*b)) = floor(floor(x/a)/b)), and a value is rounded once, where
// it is reported, in the direction SPEC NUM-4 names. Sums of initial margins
// with different effective leverages are exact too: the engine sums notionals
// per distinct leverage and adds the remainders as exact fractions. A
// reported value outside the int64 range is an *Error with Rule "NUM-2"; an
// intermediate never overflows, nothing wraps and nothing panics.
//
// # Use
//
// Evaluate turns a Scenario into a Report (SPEC RPT) or an *Error naming the
// first violation in the order of SPEC EVAL-2. For repeated queries, Load the
// scenario once into a Portfolio and use its queries (Cross, Isolated,
// Position, LiquidationPrice, BankruptcyPrice) after SetMark price updates;
// they do not allocate. A Portfolio is not safe for concurrent use.
//
// # Ledger
//
// NewLedger validates a multi-account State (SPEC LED-1, LED-2, LED-4) and
// Apply applies events to it atomically (LED-5..8, TRD, FND, LQ, ADL),
// returning their effects (postings, fills, liquidations); State returns a
// deep copy, RunEvents runs a whole Run, and Check asserts LED-4. Balances,
// sizes and entry values are exact 192-bit integers of units inside an
// event, and only the values an event reports must fit the int64 range. The
// ledger's readings of SPEC are listed on Ledger (ledger.go) and in
// ledger_events.go, ledger_trade.go and ledger_liq.go; they agree with the
// reference's (reference/ledger_doc.go).
//
// # Readings of SPEC
//
// Where SPEC leaves a choice open, the engine takes the most literal reading
// and agrees with the reference implementation (package reference):
//
//   - EVAL-2 step 1: the fields liquidationFeeRate ... fundingRateCap are
//     checked one at a time (NUM, then MKT-5). TIER-1's "tiers[0].minNotional
//     = 0" follows the NUM checks of that field. TIER-2 checks
//     minNotional < maxNotional (at maxNotional) before contiguity (at
//     minNotional); TIER-3 is reported at maintenanceMarginRate, TIER-4 and
//     TIER-5 at maxLeverage, TIER-6 at maintenanceAmount.
//   - MKT-4: an empty marginModes list means both modes (types.go); a bad or
//     repeated mode is reported at markets.<name>.marginModes.
//   - PRICE-2 is reported at account.positions[i].market; POS-6 (a second
//     position in a market) at the second position's market.
//   - A computed mark above MAX is a NUM-2 error at prices.<name>.mark.
//   - The POS-5 default isolated margin is a reported value: above MAX it is
//     a NUM-2 error at positions[i].isolatedMargin (EVAL-2 step 4).
//   - LIQ-7: when either rounded liquidation price exceeds MAX both are null.
//   - A position may give entryValue (the cost basis Q*EP) instead of, or
//     consistent with, entryPrice (types.go, SPEC LED-1); every formula uses
//     the entry price only through Q*EP.
package model
