// Package fuzz is perpcheck's fuzzing layer: native Go fuzz targets (in the
// _test.go files of this package) and the decoders and checks they use (in the
// other files). Its few exported names serve the commands under
// fuzz/internal (gencorpus: the seed corpora and zips; fuzzshow: a decoded
// input and its check); nothing else imports it.
//
// The targets are of three kinds:
//
//   - differential, byte decoders: a direct, coverage-friendly decoder
//     (DecodeScenario, DecodeQueries, decodeLedger) turns the fuzzer's bytes
//     into a spec.Scenario (or a ledger state and events) whose values lean
//     toward the boundaries (0, one unit, tick multiples, MAX, tier
//     boundaries, marks at the liquidation or bankruptcy price);
//     model.Evaluate, model.Load with its Portfolio queries, model.Ledger and
//     their reference counterparts must agree on it exactly (CheckEvaluate,
//     CheckQueries, checkLedger). These build for libFuzzer too;
//   - differential, the suite's generators: the fuzzer's bytes are rapid's
//     bitstream for properties' EVAL-2/differential and
//     LED-6/differential-ledger (go test only; README.md compares the two
//     kinds on the built-in mutants);
//   - robustness: the strict JSON scenario decoder, the decimal parser and the
//     CCXT tier loaders must not panic, hang or allocate without bound, and what
//     they accept must satisfy SPEC (CheckScenarioJSON, CheckDecimal, CheckCCXT).
//
// Every target takes a single []byte, libFuzzer's own input model, so that the
// non-rapid targets build for OSS-Fuzz / ClusterFuzzLite with
// compile_native_go_fuzzer_v2 (see .clusterfuzzlite/build.sh and README.md).
//
// The seed corpora under testdata/fuzz are generated from seedCorpora by
// internal/gencorpus; regenerate them with go generate.
package fuzz

//go:generate go run ./internal/gencorpus -root .. -corpus testdata/fuzz
