// Package gen holds the generators of perpcheck's conformance suite
// (package properties), exported for an engine's own properties: rapid
// generators of SPEC inputs.
//
// For the query layer: TierTable (random valid tables), VenueTierTable (the
// shipped real tables), AnyTierTable, Market, VenueMarket, Price, Account,
// Scenario, EdgeScenario (magnitudes at the edge of the fixed-point range),
// NearLiquidation (mark at and one tick either side of a liquidation price),
// NearTierBoundary (notional at and around a tier boundary) and Corrupted
// (one broken field with the error SPEC requires); Extremes are hand-made
// scenarios with a reported value of exactly -MAX or MAX. For portfolio
// margin: PMParams, PMScenario (PMConfig.NearTrigger and DownRootAtZero put
// accounts on PM-10's and PM-11's exact boundaries) and PMGolden (published
// examples). For the ledger:
// LedgerState, LedgerEvent (an event for a given state; LedgerEventOf for one
// EventKind) and LedgerRun (a whole run file, events drawn for the states
// they meet).
//
// A Config says which features the inputs may use. Where a generator needs
// a computed value (a liquidation price, the state after an event) it asks
// the oracle, Config.Evaluate and Config.NewLedger (by default package
// reference), never the engine under test.
package gen
