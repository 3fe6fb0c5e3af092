package properties

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
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
	// The engine call in progress, for the watchdog (watch): when it
	// started (zero: none), what it is and the counterexample so far.
	callMu    sync.Mutex
	callStart time.Time
	callWhat  string
	callCtx   func() []Counterexample
	// dead is set and timedOut closed when a call outlived the timeout.
	dead     atomic.Bool
	timedOut chan struct{}
	// unsupported is the first error of the engine that wraps
	// ErrNotSupported: the property is then not run (notSupported).
	unsupported atomic.Pointer[string]
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
	env := &env{engine: e, caps: caps, timeout: c.Timeout, timedOut: make(chan struct{}),
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
	env.gen = gen.Config{Isolated: caps[CapIsolated], EntryBasis: caps[CapEntryBasis], ComputedMark: caps[CapComputedMark], ExplicitIMR: caps[CapExplicitIMR],
		Funding: caps[CapFunding], ADL: caps[CapADL], Portfolio: caps[CapPortfolio], Variants: declaredVariants(caps), Evaluate: env.oracle,
		LedgerExplicitIMR: caps[CapExplicitIMR],
		SizeGrid:          caps.grid("size"), PriceGrid: caps.grid("price"),
		NewLedger: func(st *spec.State) (gen.LedgerSession, error) {
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

// call runs f, a call of the engine, and re-raises a panic of f as an
// enginePanic (with the engine's stack). The watchdog (watch) sees the call
// while it runs: when it does not return within the timeout, the watchdog
// fails the property with the counterexample ctx gives, and this goroutine
// ends (runtime.Goexit) if the call ever returns.
func (e *env) call(what string, ctx func() []Counterexample, f func()) {
	e.callMu.Lock()
	e.callStart, e.callWhat, e.callCtx = time.Now(), what, ctx
	e.callMu.Unlock()
	defer func() {
		e.callMu.Lock()
		e.callStart = time.Time{}
		e.callMu.Unlock()
		if e.dead.Load() {
			runtime.Goexit() // the property has been failed and abandoned
		}
	}()
	defer func() {
		if v := recover(); v != nil {
			panic(enginePanic{v, debug.Stack()})
		}
	}()
	f()
}

// ErrNotSupported is the error (or the error wrapped by the error, see
// errors.Is) with which an engine says that it does not support a valid
// input, for example perpcheck/1's error code 10 (protocol.NotSupportedError
// wraps it). A property that meets it stops and is reported as not run,
// with the error's text, never as passed or failed.
var ErrNotSupported = errors.New("not supported by the engine")

// notSupported ends the property's goroutine when err says the engine does
// not support the input (ErrNotSupported): it records the error, which
// Run and Check report as the reason the property did not run.
func (e *env) notSupported(what string, err error) {
	if err == nil || !errors.Is(err, ErrNotSupported) {
		return
	}
	msg := fmt.Sprintf("the engine answered %s with not supported: %v", what, err)
	e.unsupported.CompareAndSwap(nil, &msg)
	runtime.Goexit()
}

// unsupportedReason is the recorded not-supported answer, or "".
func (e *env) unsupportedReason() string {
	if p := e.unsupported.Load(); p != nil {
		return *p
	}
	return ""
}

// watch is the watchdog of the engine calls: until stop is closed, it
// checks the call in progress a few times per timeout and, when one has run
// longer than the timeout, records the failure with the counterexample so
// far, marks the env dead and closes timedOut.
func (e *env) watch(stop <-chan struct{}) {
	tick := time.NewTicker(min(max(e.timeout/4, time.Millisecond), 250*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		e.callMu.Lock()
		late := !e.callStart.IsZero() && time.Since(e.callStart) > e.timeout
		what, ctx := e.callWhat, e.callCtx
		e.callMu.Unlock()
		if !late {
			continue
		}
		msg := fmt.Sprintf("the engine did not return from %s within %s (Config.Timeout); the counterexample is the case so far, unshrunk", what, e.timeout)
		e.dead.Store(true)
		e.record(msg, ctx())
		close(e.timedOut)
		return
	}
}

// runWatched runs prop under the watchdog and returns when it returns or
// when an engine call times out (then timedOut is true and prop's goroutine
// is abandoned).
func (e *env) runWatched(prop func()) (timedOut bool) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		prop()
	}()
	stop := make(chan struct{})
	defer close(stop)
	go e.watch(stop)
	select {
	case <-done:
		return false
	case <-e.timedOut:
		return true
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
	e.notSupported("Evaluate", err)
	if panicked != nil {
		e.fail(t, all, "EVAL-1: the engine panicked on the %s scenario: %v", label, panicked)
	}
	if (rep == nil) == (err == nil) {
		e.fail(t, all, "EVAL-1: the engine returned report %v and error %v on the %s scenario (exactly one must be non-nil)", rep != nil, err, label)
	}
	return rep, err
}

// mustReport evaluates s, a valid scenario, and returns its report. Every
// scenario passed here is valid by construction (EVAL-2 steps 1-3 pass), so
// an error fails the case unless it is NUM-2 (a reported value beyond MAX,
// which a valid scenario may reach): then the case is skipped. An engine
// that rejects a valid input is caught by every property, not only by the
// differential one (before session 8 any error was a skip: a mutant that
// rejected TIER-3:half-initial's D = 10^6 survived).
func (e *env) mustReport(t *rapid.T, s *spec.Scenario, label string, ctx ...named) *spec.Report {
	t.Helper()
	rep, err := e.evaluate(t, s, label, ctx...)
	if err != nil {
		if !isRule(err, "NUM-2") {
			e.fail(t, append([]named{{label, s}}, ctx...), "the %s scenario is valid (EVAL-2 steps 1-3 pass) but the engine returned an error other than NUM-2: %v", label, err)
		}
		t.Skipf("%s scenario is an error: %v", label, err)
	}
	return rep
}
