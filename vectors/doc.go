// Package vectors holds perpcheck's versioned, language-neutral test vectors
// (vectors/v1/) and the Go code that writes and checks them.
//
// A vector file is JSON in the style of Wycheproof: a header (schema,
// generatorVersion, numberOfTests, notes) and testGroups, each group a list
// of tests that share the capabilities they require. A query test is a
// scenario and either the report SPEC.md gives for it (result "valid") or the
// error {path, rule} it must be rejected with (result "invalid"). A ledger
// test is, as in Ethereum's consensus-spec-tests, a pre state, events, the
// expected outcome of each event (its effects, or the error it is rejected
// with) and the post state. Every test names the SPEC rules it exercises.
//
// Generate computes every file from the reference (package reference) at
// fixed seeds, so that Export writes the same bytes each time; Load reads a
// directory back, verifying MANIFEST.json; Check runs a Runner (an engine
// and the capabilities it declares) against a loaded Set and compares
// reports, effects and states with spec.Diff (decimals by value, SPEC NUM-6)
// and errors by path and rule. Model, Reference and Protocol adapt the
// fixed-point model, the reference and any perpcheck/1 engine.
package vectors
