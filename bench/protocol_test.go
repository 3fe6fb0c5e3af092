package bench

import (
	"os"
	"runtime/pprof"
	"strconv"
	"testing"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/internal/wire"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/protocol"
	"github.com/perpcheck/perpcheck/spec"
)

// The test binary doubles as an engine process: with PERPCHECK_BENCH_SERVE
// set, TestMain serves the model behind perpcheck/1 (as perpcheck serve
// does) instead of running the benchmarks. With PERPCHECK_BENCH_SERVE_PROFILE
// also set, the engine writes its CPU profile to that file, for the engine's
// side of BenchmarkProtocol (-cpuprofile profiles the harness's side).
func TestMain(m *testing.M) {
	if os.Getenv("PERPCHECK_BENCH_SERVE") != "" {
		if name := os.Getenv("PERPCHECK_BENCH_SERVE_PROFILE"); name != "" {
			f, err := os.Create(name)
			if err != nil {
				os.Exit(1)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				os.Exit(1)
			}
			defer pprof.StopCPUProfile()
		}
		impl := protocol.Impl{
			Info:     protocol.Info{Engine: "model", Capabilities: []string{"ledger"}},
			Evaluate: model.Evaluate,
			NewLedger: func(st *spec.State) (protocol.LedgerImpl, error) {
				return model.NewLedger(st)
			},
		}
		if err := protocol.Serve(os.Stdin, os.Stdout, os.Stderr, impl); err != nil {
			pprof.StopCPUProfile()
			os.Exit(1)
		}
		pprof.StopCPUProfile()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// BenchmarkProtocol times perpcheck/1 round trips to the model served by a
// child process (PROTOCOL.md): one evaluate request per op
// (impl=protocol/req=evaluate), and batches of 64 scenarios per request
// (req=evaluate_batch, reported per scenario), on the scenarios of
// BenchmarkReport (pos=1 and pos=10), whose model numbers are the engine's
// own share of the time. cpu-ns/op is the CPU time of both processes per op.
func BenchmarkProtocol(b *testing.B) {
	env := []string{"PERPCHECK_BENCH_SERVE=1"}
	if name := os.Getenv("PERPCHECK_BENCH_SERVE_PROFILE"); name != "" {
		env = append(env, "PERPCHECK_BENCH_SERVE_PROFILE="+name)
	}
	e, err := protocol.Start([]string{os.Args[0]}, protocol.Options{Env: env})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	for _, n := range []int{1, 10} {
		u, err := healthUniverse(n)
		fatalOn(b, err)
		s := u.Scenario(u.HealthAccount(n))
		pos := "/pos=" + strconv.Itoa(n)
		b.Run("req=evaluate"+pos, func(b *testing.B) {
			cpu0, cpuOK := processCPU()
			for b.Loop() {
				e.BeginCase()
				if _, err := e.Evaluate(s); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
			reportCPU(b, cpu0, cpuOK)
		})
		b.Run("req=evaluate_batch"+pos, func(b *testing.B) {
			batch := make([]*spec.Scenario, 64)
			for i := range batch {
				batch[i] = s
			}
			cpu0, cpuOK := processCPU()
			for b.Loop() {
				e.BeginCase()
				if _, _, err := e.EvaluateBatch(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "scenarios/s")
			reportCPU(b, cpu0, cpuOK)
		})
	}
}

// reportCPU reports the CPU time of both processes (the harness, this
// process, and the engine, its child) per op since cpu0, as cpu-ns/op: on a
// machine shared with other jobs it varies much less than ns/op, which also
// counts the waits for a core.
func reportCPU(b *testing.B, cpu0 int64, ok bool) {
	if cpu1, ok1 := processCPU(); ok && ok1 && b.N > 0 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkProtocolParts times, in one process, the parts of one evaluate
// exchange of BenchmarkProtocol at pos=1 that are not the pipes: the
// harness encoding the scenario (internal/wire) and decoding the report
// (strictjson), the engine decoding the scenario and encoding the report,
// and the model between them.
func BenchmarkProtocolParts(b *testing.B) {
	u, err := healthUniverse(1)
	fatalOn(b, err)
	s := u.Scenario(u.HealthAccount(1))
	rep, err := model.Evaluate(s)
	fatalOn(b, err)
	sj, rj := wire.AppendScenario(nil, s), wire.AppendReport(nil, rep)
	var buf []byte
	b.Run("part=encode-scenario", func(b *testing.B) {
		for b.Loop() {
			buf = wire.AppendScenario(buf[:0], s)
		}
	})
	b.Run("part=decode-scenario", func(b *testing.B) {
		for b.Loop() {
			var sc spec.Scenario
			fatalOn(b, strictjson.Unmarshal(sj, &sc))
		}
	})
	b.Run("part=model", func(b *testing.B) {
		for b.Loop() {
			_, err := model.Evaluate(s)
			fatalOn(b, err)
		}
	})
	b.Run("part=encode-report", func(b *testing.B) {
		for b.Loop() {
			buf = wire.AppendReport(buf[:0], rep)
		}
	})
	b.Run("part=decode-report", func(b *testing.B) {
		for b.Loop() {
			var r spec.Report
			fatalOn(b, strictjson.Unmarshal(rj, &r))
		}
	})
}
