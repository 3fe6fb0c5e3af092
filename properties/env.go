package properties

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// env is what a property sees: the engine under test, its capabilities, the
// generator configuration and the oracles.
type env struct {
	engine  Engine
	caps    capSet
	gen     gen.Config
	timeout time.Duration
	// oracle and ledgerOracle are Config.Oracle's query and ledger.
	oracle       func(*spec.Scenario) (*spec.Report, error)
	ledgerOracle func(*spec.State) (LedgerSession, error)
	// abort ends the property at once, unshrunk, with msg (after a timeout).
	abort func(msg string)
	// stats, when set (by tests), counts what the ledger runs exercised.
	stats *ledgerStats
	// current is the counterexample of the ledger run under way, if any.
	current func() []labeledRun

	mu   sync.Mutex
	last *failureRecord
}

type failureRecord struct {
	msg   string
	items []Counterexample
}

func newEnv(e Engine, caps capSet, c *Config) *env {
	env := &env{engine: e, caps: caps, timeout: c.Timeout,
		oracle: reference.Evaluate,
		ledgerOracle: func(st *spec.State) (LedgerSession, error) {
			return reference.NewLedger(st)
		}}
	if env.timeout <= 0 {
		env.timeout = defaultTimeout
	}
	if o := c.Oracle; o != nil {
		env.oracle = o.Evaluate
		if lo, ok := o.(LedgerEngine); ok {
			env.ledgerOracle = lo.NewLedger
		}
	}
	env.gen = gen.Config{Isolated: caps[CapIsolated], EntryBasis: caps[CapEntryBasis], ComputedMark: caps[CapComputedMark],
		Funding: caps[CapFunding], ADL: caps[CapADL], Evaluate: env.oracle,
		NewLedger: func(st *spec.State) (gen.Ledger, error) {
			l, err := env.ledgerOracle(st)
			if err != nil || isNil(l) {
				return nil, fmt.Errorf("the ledger oracle rejects the state: %v", err)
			}
			return l, nil
		}}
	return env
}

// lastFailure is the counterexample of the last failed case.
func (e *env) lastFailure() *failureRecord {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.last
}

// enginePanic is a panic of the engine, re-raised in the suite's goroutine
// with the engine's stack.
type enginePanic struct {
	v     any
	stack []byte
}

func (p enginePanic) String() string { return fmt.Sprintf("%v\nengine stack:\n%s", p.v, p.stack) }

// call runs f, a call of the engine, in a goroutine of its own and waits at
// most the timeout. A panic of f is re-raised here as an enginePanic. When
// f does not return in time, the property fails at once (abort) with the
// counterexample ctx gives; f's goroutine is abandoned.
func (e *env) call(what string, ctx func() []Counterexample, f func()) {
	done := make(chan any, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				done <- enginePanic{v, debug.Stack()}
				return
			}
			done <- nil
		}()
		f()
	}()
	timer := time.NewTimer(e.timeout)
	defer timer.Stop()
	select {
	case v := <-done:
		if v != nil {
			panic(v)
		}
	case <-timer.C:
		msg := fmt.Sprintf("the engine did not return from %s within %s (Config.Timeout); the counterexample is the case so far, unshrunk", what, e.timeout)
		items := ctx()
		e.record(msg, items)
		e.abort(msg + "\n" + counterexampleText(items))
	}
}

// named is a scenario with a label, for counterexamples.
type named struct {
	label string
	s     *spec.Scenario
}

// scenarioItems are scenarios as counterexamples.
func scenarioItems(scenarios []named) []Counterexample {
	items := make([]Counterexample, len(scenarios))
	for i, n := range scenarios {
		items[i] = Counterexample{Label: n.label, JSON: indentJSON(n.s), Replay: "perpcheck eval FILE"}
	}
	return items
}

func indentJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("%q", err.Error())
	}
	return string(b)
}

func counterexampleText(items []Counterexample) string {
	var s string
	for _, c := range items {
		s += fmt.Sprintf("counterexample, %s (replay: %s):\n%s\n", c.Label, c.Replay, c.JSON)
	}
	return s
}

// fail records the counterexample, logs its scenarios as JSON (rapid shows
// the log of the shrunk case) and fails the case.
func (e *env) fail(t *rapid.T, scenarios []named, format string, args ...any) {
	t.Helper()
	e.failWith(t, scenarioItems(scenarios), fmt.Sprintf(format, args...))
}

func (e *env) record(msg string, items []Counterexample) {
	e.mu.Lock()
	e.last = &failureRecord{msg: msg, items: items}
	e.mu.Unlock()
}

// failWith records msg and the counterexamples, logs them and fails the
// case.
func (e *env) failWith(t *rapid.T, items []Counterexample, msg string) {
	t.Helper()
	for _, c := range items {
		t.Logf("counterexample, %s (replay: %s):\n%s", c.Label, c.Replay, c.JSON)
	}
	e.record(msg, items)
	t.Fatalf("%s", msg)
}

// evaluate calls the engine, turning a panic into a failure (EVAL-1: bad
// input never panics) and checking that exactly one of report and error is
// returned.
func (e *env) evaluate(t *rapid.T, s *spec.Scenario, label string, ctx ...named) (rep *spec.Report, err error) {
	t.Helper()
	all := append(append([]named(nil), ctx...), named{label, s})
	var panicked any
	func() {
		defer func() { panicked = recover() }()
		e.call("Evaluate", func() []Counterexample { return scenarioItems(all) }, func() { rep, err = e.engine.Evaluate(s) })
	}()
	if panicked != nil {
		e.fail(t, all, "EVAL-1: the engine panicked on the %s scenario: %v", label, panicked)
	}
	if (rep == nil) == (err == nil) {
		e.fail(t, all, "EVAL-1: the engine returned report %v and error %v on the %s scenario (exactly one must be non-nil)", rep != nil, err, label)
	}
	return rep, err
}

// mustReport evaluates s and skips the case when it is an error (the property
// needs a report; errors are checked by other properties).
func (e *env) mustReport(t *rapid.T, s *spec.Scenario, label string, ctx ...named) *spec.Report {
	t.Helper()
	rep, err := e.evaluate(t, s, label, ctx...)
	if err != nil {
		t.Skipf("%s scenario is an error: %v", label, err)
	}
	return rep
}
