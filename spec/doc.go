// Package spec is perpcheck's data contract: the types every implementation
// of SPEC.md shares, whatever it is written in.
//
// A Scenario (markets, prices, one account) evaluates to a Report or an
// *Error naming the JSON path and the SPEC rule of the first violation. A
// State (markets, prices, many accounts, the insurance fund, the fee pool,
// dust and settlement) moves by Events, each producing Effects (postings,
// fills, liquidations) or an *Error; a Run is a State and its Events.
// These are plain data with JSON tags and shopspring decimals: the same
// types are the Go interface another engine implements, the JSON of the test
// vectors and of perpcheck/1, and the CLI's input and output. SPEC.md gives
// the meaning, scale and rounding of every field; the Go names follow its
// rule ids (spec.Error{Path, Rule}).
//
// Beside the types, the package owns the jobs every implementation and the
// suite need once: Clone methods (deep copies), Diff and DiffExact (the
// differences of two values as JSON paths), and CheckConservation and
// CheckBalanced (SPEC LED-4 from states alone).
//
// The implementations are peers on top of this package: package model (the
// fixed-point engine), package reference (the apd transcription of SPEC.md)
// and any engine adapted for package properties.
package spec
