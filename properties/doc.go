// Package properties is perpcheck's conformance suite: the invariants and
// metamorphic relations of SPEC.md as rapid properties (pgregory.net/rapid),
// plus a differential check against the exact reference, that any margin
// engine can run from its own tests.
//
// # Use
//
// Write an adapter, a Factory that returns a fresh Engine (one method,
// Evaluate(*spec.Scenario) (*spec.Report, error)) and the Capabilities it
// has, then either
//
//	func TestConformance(t *testing.T) { properties.Run(t, myFactory, nil) }
//
// (one subtest per property, in the manner of nettest.TestConn), or, outside
// go test, res, err := properties.Check(myFactory, nil) (in the manner of
// fstest.TestFS; Result has per property its id, SPEC rules, cases, time,
// PASS/FAIL/SKIP and the shrunk counterexample). A *Config sets the budget,
// the seed, the oracle and the per-call timeout (nil: the defaults). A
// property the engine cannot run (a capability it does not declare, or no
// ledger) is reported as not run (a skipped subtest, a SKIP row;
// Config.RequireAll makes it a failure), never silently passed. An engine
// that computes only some outputs declares them (OutputCapability: report
// fields, "effects", "states"); each property reads the outputs listed for
// it in needs.go and runs exactly when the engine declares them all, so a
// ledger of final states only ("states" without "effects") runs the ledger
// properties that judge states. The command
// "perpcheck verify" runs Check against the model or the reference, and the
// suite against every mutant.
//
// # Properties
//
// Properties lists the catalogue; RULES.md maps every SPEC rule id to the
// properties and tests that check it. Each property has an id
// "<SPEC rule>/<name>", lives in the file of its SPEC area (eval.go, num.go,
// liq.go, ..., led.go, trd.go, fnd.go, lq.go, adl.go) and is checked by its
// own oracle:
//
//   - the differential properties compare the engine with the oracle
//     (reference.Evaluate; Config.Oracle changes it), report and error
//     Path/Rule;
//   - the rounding properties compare every reported value with the NUM-4
//     rounding of its exact value, computed here in math/big independently of
//     both the model and the reference; liquidation and bankruptcy prices are
//     checked by evaluating f(P) and g(P) exactly on both sides of them;
//   - the metamorphic properties re-evaluate a changed scenario with the
//     engine itself (mark moved to the liquidation price and one tick beyond,
//     leverage or margin changed, side flipped, everything scaled by k, index
//     and last moved with a given mark) and compare the two reports.
//
// The inputs come from the generators of package properties/gen, which
// consult only the oracle, never the engine under test.
//
// # Counterexamples
//
// A failure carries its Counterexamples, each the file that replays it: a
// scenario for "perpcheck eval FILE" or a run file for "perpcheck run FILE",
// together with rapid's seed (-rapid.seed, or Config.Seed) and, under go
// test, its fail file. An engine call that does not return within
// Config.Timeout (default 10s) fails the property at once with the case so
// far, unshrunk, instead of hanging.
//
// # Budget
//
// rapid's flags apply: -rapid.checks (default 100 cases per property, a fifth
// under -short), -rapid.seed, -rapid.shrinktime; Config.Cases, Runs, Seed and
// ShrinkTime override them. rapid reads them from process-wide flags, so Run
// and Check with these set must not run concurrently with other rapid
// checks.
//
// # Ledger
//
// The ledger layer (SPEC LED, TRD, FND, LQ, ADL) runs when the engine also
// implements LedgerEngine (a NewLedger method, detected by interface
// upgrade). Its properties draw an initial state with gen.LedgerState (real
// Binance markets) and events with gen.LedgerEvent, which looks at the
// current state (trades sized against wallets, reduces and flips of existing
// positions, mark moves to and around liquidation prices, funding, margin and
// settings changes, invalid events), and drive the engine's LedgerSession
// with rapid's T.Repeat. After every event they check what SPEC says from the
// states and effects alone (conservation, the effects replayed onto the
// state before give the state after, atomicity, exact fees, cost basis,
// realized PnL and funding postings, the liquidation rules visible in the
// effects, no pool left liquidatable by the engine's own query); metamorphic
// relations (split-vs-whole trades, funding in pieces, determinism, reload
// from State, path independence of deposits); and, with the differential
// property, every effect and state against the oracle's ledger
// (reference.NewLedger, or Config.Oracle's when it is a LedgerEngine).
// Copies and comparisons use the spec package's Clone methods and
// spec.Diff/DiffExact, never a JSON round trip. Counterexamples are run files
// that "perpcheck run FILE" replays. Without CapFunding no funding event is
// generated; without CapADL insurance funds are deep enough that no deficit
// reaches auto-deleveraging. Config.Runs sets the number of runs per ledger
// property.
package properties
