// Package properties is perpcheck's conformance suite: the invariants and
// metamorphic relations of SPEC.md as rapid properties (pgregory.net/rapid),
// plus a differential check against the exact reference, that any margin
// engine can run from its own tests.
//
// # Use
//
// Write an adapter, a Factory that returns a fresh Engine (one method,
// Evaluate(*model.Scenario) (*model.Report, error); plus NewLedger for the
// ledger layer) and the Capabilities it has, then either
//
//	func TestConformance(t *testing.T) { properties.Run(t, myFactory) }
//
// (one subtest per property, in the manner of nettest.TestConn), or, outside
// go test, res, err := properties.Check(myFactory) (in the manner of
// fstest.TestFS; Result has per property its id, SPEC rules, cases, time,
// PASS/FAIL/SKIP and the shrunk counterexample). A property that needs a
// capability the engine does not declare is reported as not run (a skipped
// subtest, a SKIP row; RequireAll makes it a failure), never silently passed.
// The command "perpcheck verify" runs Check against the model or the
// reference, and the suite against every mutant.
//
// # Properties
//
// Properties lists the catalogue; RULES.md maps every SPEC rule id to the
// properties and tests that check it. Each property has an id
// "<SPEC rule>/<name>" and is checked by its own oracle:
//
//   - the differential properties compare the engine with the reference
//     (reference.Evaluate; Oracle changes it), report and error Path/Rule;
//   - the rounding properties compare every reported value with the NUM-4
//     rounding of its exact value, computed here in math/big independently of
//     both the model and the reference; liquidation and bankruptcy prices are
//     checked by evaluating f(P) and g(P) exactly on both sides of them;
//   - the metamorphic properties re-evaluate a changed scenario with the
//     engine itself (mark moved to the liquidation price and one tick beyond,
//     leverage or margin changed, side flipped, everything scaled by k, index
//     and last moved with a given mark) and compare the two reports.
//
// # Counterexamples
//
// A failure logs the shrunk case as indented scenario JSON, which
// "perpcheck eval FILE" replays, together with rapid's seed (-rapid.seed, or
// the Seed option) and, under go test, its fail file.
//
// # Generators
//
// The generators are exported for the engine's own properties: TierTable
// (random valid tables), VenueTierTable (the shipped real tables), Market,
// Price, Scenario, EdgeScenario (magnitudes at the edge of the fixed-point
// range), EdgeFixed, NearLiquidation (mark at and one tick either side of a
// liquidation price), NearTierBoundary (notional at and around a tier
// boundary) and Corrupted (one broken field with the error SPEC requires);
// for the ledger LedgerState, LedgerEvent (an event for a given state) and
// LedgerRun (a whole run file, events drawn for the states they meet).
//
// # Budget
//
// rapid's flags apply: -rapid.checks (default 100 cases per property, a fifth
// under -short), -rapid.seed, -rapid.shrinktime; the Checks, Seed and
// ShrinkTime options override them. rapid reads them from process-wide flags,
// so Run and Check with these options must not run concurrently with other
// rapid checks.
//
// # Ledger
//
// The ledger layer (SPEC LED, TRD, FND, LQ, ADL) runs when the engine
// declares CapLedger and implements LedgerEngine (NewEngine combines a query
// function and a ledger constructor). Its properties draw an initial state
// with LedgerState (real Binance markets) and events with LedgerEvent, which
// looks at the current state (trades sized against wallets, reduces and
// flips of existing positions, mark moves to and around liquidation prices,
// funding, margin and settings changes, invalid events), and drive the
// engine's ledger with rapid's T.Repeat. After every event they check what
// SPEC says from the states and effects alone (conservation, the effects
// replayed onto the state before give the state after, atomicity, exact
// fees, cost basis, realized PnL and funding postings, the liquidation rules
// visible in the effects, no pool left liquidatable by the engine's own
// query); metamorphic relations (split-vs-whole trades, funding in pieces,
// determinism, reload from State, path independence of deposits); and, with
// the differential property, every effect and state against the oracle's
// ledger (reference.NewLedger; LedgerOracle changes it). Counterexamples are
// run files that "perpcheck run FILE" replays. Without CapFunding no funding
// event is generated; without CapADL insurance funds are deep enough that no
// deficit reaches auto-deleveraging. In Check, LedgerChecks sets the number
// of runs per ledger property.
package properties
