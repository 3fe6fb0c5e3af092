// Package fuzz is perpcheck's fuzzing layer: native Go fuzz targets (in the
// _test.go files of this package) and the decoders and checks they use (in the
// other files, so that the seed generator and other tools can share them).
//
// The targets are of two kinds:
//
//   - differential: a direct, coverage-friendly byte decoder (DecodeScenario)
//     turns the fuzzer's bytes into a model.Scenario whose values lean toward
//     the boundaries (0, one unit, tick multiples, MAX, tier boundaries, marks
//     at the liquidation or bankruptcy price); model.Evaluate, model.Load with
//     its Portfolio queries, and reference.Evaluate must agree on it exactly
//     (CheckEvaluate, CheckQueries);
//   - robustness: the strict JSON scenario decoder, the decimal parser and the
//     CCXT tier loaders must not panic, hang or allocate without bound, and what
//     they accept must satisfy SPEC (CheckScenarioJSON, CheckDecimal, CheckCCXT).
//
// Every target takes a single []byte, libFuzzer's own input model, so that the
// same targets build for OSS-Fuzz / ClusterFuzzLite with
// compile_native_go_fuzzer_v2 (see .clusterfuzzlite/build.sh and README.md).
//
// The seed corpora under testdata/fuzz are generated from Seeds by
// internal/gencorpus; regenerate them with go generate.
package fuzz

//go:generate go run ./internal/gencorpus -root .. -corpus testdata/fuzz
