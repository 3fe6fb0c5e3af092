// Package bench benchmarks perpcheck's fixed-point margin engine (package
// model) against other implementations of the same health check and
// liquidation price:
//
//   - reference: the apd transcription of SPEC.md (reference.Evaluate, which
//     always computes a full report);
//   - apd: a pool-only health check in github.com/cockroachdb/apd/v3
//     (apdAccount), the like-for-like apd counterpart of the model's Cross;
//   - shopspring: what a user would typically write with
//     github.com/shopspring/decimal (decimalAccount);
//   - float64: the same formulas in plain float64 (floatAccount), the speed
//     floor.
//
// For the ledger (BenchmarkLedger: a trade, a funding payment, a liquidation
// cascade) model.Ledger and reference.Ledger are compared with two bench
// kernels of a one-market, cross-only ledger: decimalLedger (shopspring, what
// a user would typically write) and floatLedger (float64, the speed floor).
// TestAgreeLedger checks that decimalLedger's balances equal the model's
// exactly and floatLedger's within a stated bound, event by event.
//
// The non-test files hold the kernels (apd, shopspring, float64), the
// deterministic scenario builders every benchmark uses (Binance tier tables
// from package venue), and the agreement tests check that every kernel
// computes the same numbers as the model. The benchmarks are in bench_test.go
// and ledger_test.go and are described, with measured benchstat tables, in
// README.md. Plain `go test ./bench/` runs only the agreement tests; no
// benchmark data is built unless -bench selects a benchmark.
//
// Cases and Run (harness.go) are the same scenarios for any engine of a
// properties.Factory (other teams' engines, an engine behind perpcheck/1 in
// "perpcheck bench"), named for benchstat's -col /impl; see README.md.
//
// The kernels implement SPEC's mark basis (MKT-3 "mark", Binance) only; the
// scenarios here never use the entry basis.
package bench
