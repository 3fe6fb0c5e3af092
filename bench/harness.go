package bench

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// Case is one benchmark of the engine harness: a scenario of perpcheck's own
// BenchmarkHealth, BenchmarkLiqPrice or BenchmarkLedger, run against an
// engine of a properties.Factory.
//
// A case asks the Factory for a fresh engine, builds its data
// (deterministic, the same for every engine), checks once, outside the
// timer, that the engine computes what the model computes on it (a failure
// otherwise: timing a different answer compares nothing), then times the
// op. A case the engine cannot run (an undeclared capability, no
// LedgerEngine) is skipped with the reason.
type Case struct {
	// Group is the perpcheck benchmark the case mirrors, without its
	// "Benchmark" prefix: "Health", "LiqPrice" or "Ledger".
	Group string
	// Name is the case's name in that benchmark, impl first:
	// "impl=NAME/pos=10", "impl=NAME/mode=cross",
	// "impl=NAME/event=funding/accounts=100".
	Name string

	run func(hb)
}

// Bench runs the case as the body of a benchmark (for b.Run).
func (c Case) Bench(b *testing.B) { c.run(hb{B: b}) }

// ErrSkipped is the error of Case.Benchmark for a case the engine cannot
// run; the message says why.
var ErrSkipped = errors.New("skipped")

// Benchmark runs the case outside go test with testing.Benchmark (whose
// -test.benchtime applies when the testing flags are registered) and
// returns its result, or the message of its failure, or an error wrapping
// ErrSkipped.
func (c Case) Benchmark() (testing.BenchmarkResult, error) {
	var msg string
	skipped := false
	note := func(skip bool, m string) {
		if msg == "" {
			msg, skipped = m, skip
		}
	}
	r := testing.Benchmark(func(b *testing.B) { c.run(hb{B: b, note: note}) })
	switch {
	case skipped:
		return r, fmt.Errorf("%s/%s: %w: %s", c.Group, c.Name, ErrSkipped, msg)
	case msg != "":
		return r, fmt.Errorf("%s/%s: %s", c.Group, c.Name, msg)
	case r.N == 0:
		return r, fmt.Errorf("%s/%s: failed", c.Group, c.Name)
	}
	return r, nil
}

// hb is the *testing.B of a case, which also passes a failure's or skip's
// message to note (Case.Benchmark: testing.Benchmark discards the output).
type hb struct {
	*testing.B
	note func(skip bool, msg string)
}

func (h hb) tell(skip bool, args ...any) {
	if h.note != nil {
		h.note(skip, strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
	}
}

// Fatal records the message and fails the benchmark.
func (h hb) Fatal(args ...any) {
	h.Helper()
	h.tell(false, args...)
	h.B.Fatal(args...)
}

// Fatalf records the message and fails the benchmark.
func (h hb) Fatalf(format string, args ...any) {
	h.Helper()
	h.tell(false, fmt.Sprintf(format, args...))
	h.B.Fatalf(format, args...)
}

// Skip records the message and skips the benchmark.
func (h hb) Skip(args ...any) {
	h.Helper()
	h.tell(true, args...)
	h.B.Skip(args...)
}

// Skipf records the message and skips the benchmark.
func (h hb) Skipf(format string, args ...any) {
	h.Helper()
	h.tell(true, fmt.Sprintf(format, args...))
	h.B.Skipf(format, args...)
}

// validImpl is what an impl name may contain: no '/', '=' or space, which
// are syntax in benchmark names (benchfmt), nothing a shell must quote.
var validImpl = regexp.MustCompile(`^[A-Za-z0-9_.:+-]+$`)

// Cases returns the harness's benchmarks for the engines of f, named impl
// (for benchstat's -col /impl):
//
//   - Health/impl=NAME/pos=1|10|100: one op is a BTCUSDT mark change
//     (alternating between two marks) and Evaluate of BenchmarkHealth's
//     cross account (pos positions on pos Binance markets, real October 2024
//     tier tables), reading the cross pool's health; also ns/position;
//   - LiqPrice/impl=NAME/mode=isolated|cross: Evaluate of
//     BenchmarkLiqPrice's account, reading position 0's liquidation price
//     (isolated needs CapIsolated);
//   - Ledger/impl=NAME/event=trade, event=funding/accounts=100 and
//     event=cascade/accounts=100: BenchmarkLedger's events applied to a
//     session of the engine's ledger (a LedgerEngine; funding needs
//     CapFunding); sessions are restarted outside the timer as
//     BenchmarkLedger restarts its ledgers (a cascade op needs a fresh one).
//
// Every engine goes through the same interface, so impl=model here (with
// properties.Model()) is model.Evaluate, a full report per op (the model
// numbers of perpcheck's BenchmarkReport, not of its allocation-free
// BenchmarkHealth), and a LiqPrice op is a full evaluation too: compare
// impls within one harness run. No data is built until a case runs.
func Cases(impl string, f properties.Factory) ([]Case, error) {
	if !validImpl.MatchString(impl) {
		return nil, fmt.Errorf("bench: impl name %q: want letters, digits and _.:+- only", impl)
	}
	if f == nil {
		return nil, fmt.Errorf("bench: impl %s: nil Factory", impl)
	}
	var cs []Case
	for _, n := range []int{1, 10, 100} {
		cs = append(cs, Case{"Health", "impl=" + impl + "/pos=" + strconv.Itoa(n), func(b hb) { harnessHealth(b, f, n) }})
	}
	for _, mode := range []spec.MarginMode{spec.Isolated, spec.Cross} {
		cs = append(cs, Case{"LiqPrice", "impl=" + impl + "/mode=" + string(mode), func(b hb) { harnessLiqPrice(b, f, mode) }})
	}
	const n = 100
	cs = append(cs,
		Case{"Ledger", "impl=" + impl + "/event=trade", func(b hb) { harnessTrade(b, f) }},
		Case{"Ledger", "impl=" + impl + "/event=funding/accounts=" + strconv.Itoa(n), func(b hb) { harnessFunding(b, f, n) }},
		Case{"Ledger", "impl=" + impl + "/event=cascade/accounts=" + strconv.Itoa(n), func(b hb) { harnessCascade(b, f, n) }},
	)
	return cs, nil
}

// Run runs the harness's benchmarks (Cases) for the engines of f as
// sub-benchmarks of b named GROUP/impl=NAME/...: from a user's test,
//
//	func BenchmarkEngines(b *testing.B) {
//		bench.Run(b, "model", properties.Model())
//		bench.Run(b, "mine", myFactory)
//	}
//
// gives BenchmarkEngines/Health/impl=mine/pos=10 beside
// BenchmarkEngines/Health/impl=model/pos=10, which
// `benchstat -col /impl` puts in two columns of one row.
func Run(b *testing.B, impl string, f properties.Factory) {
	b.Helper()
	cs, err := Cases(impl, f)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cs {
		b.Run(c.Group+"/"+c.Name, c.Bench)
	}
}

// harnessEngine returns a fresh engine of f, skipping b when it lacks one
// of the capabilities needed.
func harnessEngine(b hb, f properties.Factory, needs ...properties.Capability) properties.Engine {
	b.Helper()
	e, caps := f()
	if e == nil {
		b.Fatal("bench: the Factory returned a nil engine")
	}
	for _, c := range needs {
		if !slices.Contains(caps, c) {
			b.Skipf("the engine does not declare capability %q, which this scenario needs", c)
		}
	}
	return e
}

// harnessHealth is Health/pos=n.
func harnessHealth(b hb, f properties.Factory, n int) {
	e := harnessEngine(b, f)
	u, err := healthUniverse(n)
	fatalOn(b, err)
	s := u.Scenario(u.HealthAccount(n))
	marks := healthMarks(u)
	var pr [2]spec.Price
	for v := range marks {
		pr[v] = spec.Price{Mark: decimal.NewNullDecimal(marks[v])}
	}
	for v := range pr {
		s.Prices["BTCUSDT"] = pr[v]
		rep, err := e.Evaluate(s)
		fatalOn(b, err)
		want, err := model.Evaluate(s)
		fatalOn(b, err)
		if d := spec.Diff(rep.Pools, want.Pools); len(d) > 0 {
			b.Fatalf("the engine's pools differ from the model's on the benchmark scenario (mark %s): %v", marks[v], d)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Prices["BTCUSDT"] = pr[i&1]
		rep, err := e.Evaluate(s)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Pools) == 0 { // the result is used: the call cannot be dropped
			b.Fatal("the engine's report has no pools")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/position")
}

// harnessLiqPrice is LiqPrice/mode=mode.
func harnessLiqPrice(b hb, f properties.Factory, mode spec.MarginMode) {
	var needs []properties.Capability
	if mode == spec.Isolated {
		needs = append(needs, properties.CapIsolated)
	}
	e := harnessEngine(b, f, needs...)
	u, err := liqUniverse()
	fatalOn(b, err)
	s := u.Scenario(u.LiqAccount(mode))
	rep, err := e.Evaluate(s)
	fatalOn(b, err)
	want, err := model.Evaluate(s)
	fatalOn(b, err)
	if len(rep.Positions) == 0 {
		b.Fatal("the engine's report has no positions")
	}
	if d := spec.Diff(rep.Positions[0].LiquidationPrice, want.Positions[0].LiquidationPrice); len(d) > 0 {
		b.Fatalf("the engine's liquidation price %v differs from the model's %v on the benchmark scenario", rep.Positions[0].LiquidationPrice, want.Positions[0].LiquidationPrice)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rep, err := e.Evaluate(s)
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Positions) == 0 { // the result is used: the call cannot be dropped
			b.Fatal("the engine's report has no positions")
		}
	}
}

// harnessLedger returns the engine of f as a LedgerEngine, skipping b when
// it is not one or lacks a capability needed.
func harnessLedger(b hb, f properties.Factory, needs ...properties.Capability) properties.LedgerEngine {
	b.Helper()
	le, ok := harnessEngine(b, f, needs...).(properties.LedgerEngine)
	if !ok {
		b.Skip("the engine is not a properties.LedgerEngine (no NewLedger method)")
	}
	return le
}

// newSession starts a ledger session on st, failing b on an error.
func newSession(b hb, le properties.LedgerEngine, st *spec.State) properties.LedgerSession {
	b.Helper()
	s, err := le.NewLedger(st)
	if err != nil {
		b.Fatalf("NewLedger: %v", err)
	}
	if s == nil {
		b.Fatal("NewLedger returned a nil session")
	}
	return s
}

// closeSession closes s if the engine's sessions have a Close method (a
// perpcheck/1 session does; closing it frees the engine's copy).
func closeSession(s properties.LedgerSession) {
	if c, ok := s.(interface{ Close() error }); ok {
		c.Close()
	}
}

// agreeLedger applies evs to a session of le and to the model's ledger on
// st and fails b when their effects differ (by value).
func agreeLedger(b hb, le properties.LedgerEngine, st *spec.State, evs []spec.Event) {
	b.Helper()
	s := newSession(b, le, st)
	defer closeSession(s)
	m, err := model.NewLedger(st)
	fatalOn(b, err)
	for k, ev := range evs {
		got, err := s.Apply(ev)
		if err != nil {
			b.Fatalf("event %d (%s): %v", k, ev.Type, err)
		}
		want, err := m.Apply(ev)
		fatalOn(b, err)
		if d := spec.Diff(got, want); len(d) > 0 {
			b.Fatalf("event %d (%s): the engine's effects differ from the model's on the benchmark scenario: %v", k, ev.Type, d)
		}
	}
}

// harnessTrade is Ledger/event=trade.
func harnessTrade(b hb, f properties.Factory) {
	le := harnessLedger(b, f)
	st := ledgerState(2, "100000")
	evs := ledgerTradeEvents()
	agreeLedger(b, le, st, append(evs, evs...))
	s := newSession(b, le, st)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i > 0 && i%ledgerTradeReset == 0 {
			b.StopTimer()
			closeSession(s)
			s = newSession(b, le, st)
			b.StartTimer()
		}
		if _, err := s.Apply(evs[i%2]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	closeSession(s)
}

// harnessFunding is Ledger/event=funding/accounts=n.
func harnessFunding(b hb, f properties.Factory, n int) {
	le := harnessLedger(b, f, properties.CapFunding)
	st := ledgerState(n, "100000")
	evs := ledgerFundingEvents()
	agreeLedger(b, le, st, evs)
	s := newSession(b, le, st)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Apply(evs[i%2]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/position")
	closeSession(s)
}

// harnessCascadeBatch is how many fresh sessions the cascade case opens
// between two pauses of the timer. It is smaller than BenchmarkLedger's
// cascadeBatch: protocol.Adapt keeps at most 8 sessions of an engine
// process open.
const harnessCascadeBatch = 8

// harnessCascade is Ledger/event=cascade/accounts=n: each op is the price
// event on a fresh session, which liquidates every long (n/2 accounts).
func harnessCascade(b hb, f properties.Factory, n int) {
	le := harnessLedger(b, f)
	st := ledgerState(n, "40")
	evs := ledgerCascadeEvents()
	agreeLedger(b, le, st, evs)
	runs := make([]properties.LedgerSession, harnessCascadeBatch)
	open := func() {
		for j := range runs {
			if runs[j] != nil {
				closeSession(runs[j])
			}
			runs[j] = newSession(b, le, st)
		}
	}
	open()
	b.ReportAllocs()
	b.ResetTimer()
	liquidated := 0
	for i := 0; i < b.N; i++ {
		j := i % harnessCascadeBatch
		if j == 0 && i > 0 {
			b.StopTimer()
			open()
			b.StartTimer()
		}
		effs, err := runs[j].Apply(evs[0])
		if err != nil {
			b.Fatal(err)
		}
		liquidated = 0
		for k := range effs {
			if effs[k].Type == spec.EffectLiquidation {
				liquidated++
			}
		}
	}
	b.StopTimer()
	for _, r := range runs {
		closeSession(r)
	}
	if liquidated != n/2 {
		b.Fatalf("cascade liquidated %d accounts, want %d", liquidated, n/2)
	}
}

// fatalOn fails b on a non-nil error.
func fatalOn(b testing.TB, err error) {
	if err != nil {
		b.Helper()
		b.Fatal(err)
	}
}
