package bench

import (
	"os"
	"strconv"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/protocol"
	"github.com/perpcheck/perpcheck/spec"
)

// The test binary doubles as an engine process: with PERPCHECK_BENCH_SERVE
// set, TestMain serves the model behind perpcheck/1 (as perpcheck serve
// does) instead of running the benchmarks.
func TestMain(m *testing.M) {
	if os.Getenv("PERPCHECK_BENCH_SERVE") != "" {
		impl := protocol.Impl{
			Info:     protocol.Info{Engine: "model", Capabilities: []string{"ledger"}},
			Evaluate: model.Evaluate,
			NewLedger: func(st *spec.State) (protocol.LedgerImpl, error) {
				return model.NewLedger(st)
			},
		}
		if err := protocol.Serve(os.Stdin, os.Stdout, os.Stderr, impl); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// BenchmarkProtocol times perpcheck/1 round trips to the model served by a
// child process (PROTOCOL.md): one evaluate request per op
// (impl=protocol/req=evaluate), and batches of 64 scenarios per request
// (req=evaluate_batch, reported per scenario), on the scenarios of
// BenchmarkReport (pos=1 and pos=10), whose model numbers are the engine's
// own share of the time.
func BenchmarkProtocol(b *testing.B) {
	e, err := protocol.Start([]string{os.Args[0]}, protocol.Options{Env: []string{"PERPCHECK_BENCH_SERVE=1"}})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	for _, n := range []int{1, 10} {
		u, err := healthUniverse(n)
		fatalIf(b, err)
		s := u.Scenario(u.HealthAccount(n))
		pos := "/pos=" + strconv.Itoa(n)
		b.Run("req=evaluate"+pos, func(b *testing.B) {
			for b.Loop() {
				e.BeginCase()
				if _, err := e.Evaluate(s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
		})
		b.Run("req=evaluate_batch"+pos, func(b *testing.B) {
			batch := make([]*spec.Scenario, 64)
			for i := range batch {
				batch[i] = s
			}
			for b.Loop() {
				e.BeginCase()
				if _, _, err := e.EvaluateBatch(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "scenarios/s")
		})
	}
}
