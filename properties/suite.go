package properties

import (
	"fmt"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// Config tunes Run, Check and FuzzTarget; a nil *Config means the defaults.
type Config struct {
	// Cases is the number of rapid cases per query property (rapid's
	// -rapid.checks; 0: that flag, default 100, a fifth under -short).
	Cases int
	// Runs is the number of cases per ledger property, each a run of about
	// 30 events (0: Cases).
	Runs int
	// Seed is rapid's base seed (rapid's -rapid.seed; 0: random). A failure
	// reports the seed that reproduces it.
	Seed uint64
	// ShrinkTime bounds the time rapid spends minimizing one counterexample
	// (rapid's -rapid.shrinktime; 0: that flag, default 30s).
	ShrinkTime time.Duration
	// Timeout bounds every call of the engine (Evaluate, NewLedger, Apply,
	// State; 0: 10s). A call that does not return in time fails the
	// property with the counterexample so far, unshrunk; the call's
	// goroutine is abandoned.
	Timeout time.Duration
	// Oracle is the engine the differential properties compare with and the
	// generators consult (nil: the exact reference, package reference). If
	// it implements LedgerEngine, its ledger is the ledger oracle too (else
	// the reference's is).
	Oracle Engine
	// RequireAll makes a property that cannot run for lack of a capability
	// or of a LedgerEngine a failure instead of a skip.
	RequireAll bool

	// The fields below are for Check only; Run fails if one is set (under
	// go test, use -run, -skip and -parallel).

	// Select, when set, chooses the properties Check runs; the others are
	// not listed in the Result.
	Select func(Property) bool
	// Parallel runs up to that many properties at once; the Factory must
	// then be safe for concurrent calls.
	Parallel int
	// FailFast stops starting properties after the first failure
	// (properties already running finish; the rest are reported as
	// skipped).
	FailFast bool
	// Progress is called after each property (from the goroutine that ran
	// it; with Parallel, concurrently).
	Progress func(PropertyResult)
	// OnCase, when set, is called as each case of a property starts, with
	// the property's id and the number of cases started so far (rapid's
	// shrinking runs count too), from the goroutine running the property:
	// for progress displays. It must be fast and safe for concurrent use.
	OnCase func(id string, cases int)
}

// defaultTimeout is Config.Timeout's default.
const defaultTimeout = 10 * time.Second

// orDefault returns c, or the zero Config for nil.
func (c *Config) orDefault() *Config {
	if c == nil {
		return &Config{}
	}
	return c
}

// Property is one check of the suite, named by an id of the form
// "<SPEC rule>/<name>" (e.g. "LIQ-6/tick-agreement").
type Property struct {
	ID string
	// Rules are the SPEC rule ids the property checks directly.
	Rules []string
	// Ledger is true for the properties of the ledger layer, which run
	// against an Engine that implements LedgerEngine.
	Ledger bool
	// Needs are the capabilities an engine must declare for it to run.
	Needs []Capability
	// Doc says what is checked, in one or two sentences.
	Doc string
	// Differential is true for the properties that compare the engine with
	// the oracle (by default the reference): they check, by agreement,
	// every rule the oracle implements.
	Differential bool

	prop func(e *env) func(*rapid.T)
}

// Properties returns the properties of the suite, the query layer's and
// then the ledger layer's, in the order Run runs them (Check runs the query
// properties first, then the ledger properties).
func Properties() []Property { return append([]Property(nil), catalogue...) }

// whyNot says why p does not run against an engine e with capabilities
// caps (a missing LedgerEngine or capability), or "" when it runs.
func whyNot(p Property, e Engine, caps capSet) (why string) {
	if _, ok := e.(LedgerEngine); p.Ledger && !ok {
		return "needs a LedgerEngine, which the engine does not implement"
	}
	if miss := caps.missing(p.Needs); len(miss) > 0 {
		return "needs " + capList(miss) + ", which the engine does not declare"
	}
	if miss := caps.missingOutputs(p); len(miss) > 0 {
		return "needs the outputs " + strings.Join(miss, ", ") + ", which the engine does not declare (OutputCapability)"
	}
	return ""
}

// Run runs the suite as subtests of t, one per property, each with a fresh
// engine from f (in the manner of golang.org/x/net/nettest.TestConn). A
// property the engine cannot run (a missing capability or LedgerEngine) is
// skipped with a message saying why (or fails, with RequireAll). rapid's
// flags (-rapid.checks, -rapid.seed, ...) apply unless c overrides them; go
// test's -run and -skip select the subtests, and -parallel bounds how many
// run at once: they are parallel subtests (each with its own engine; f is
// called in t's goroutine, one property after the other), except when c
// sets Runs to another number than Cases (rapid's number of cases is a
// process-wide flag), then they run one at a time.
func Run(t *testing.T, f Factory, c *Config) {
	t.Helper()
	c = c.orDefault()
	if c.Select != nil || c.Parallel != 0 || c.FailFast || c.Progress != nil || c.OnCase != nil {
		t.Fatal("properties.Run: Config.Select, Parallel, FailFast, Progress and OnCase are for Check; under go test use -run, -skip and -parallel")
	}
	perProperty := c.Runs > 0 && c.Runs != c.Cases
	if !perProperty {
		t.Cleanup(setRapidFlags(c, false, true, false))
	}
	var notRun []string
	for _, p := range catalogue {
		e, caps := f()
		set := newCapSet(caps)
		why := whyNot(p, e, set)
		if why != "" {
			notRun = append(notRun, p.ID+" ("+why+")")
		}
		t.Run(p.ID, func(t *testing.T) {
			if why != "" {
				if c.RequireAll {
					t.Fatalf("NOT RUN: %s %s (RequireAll)", p.ID, why)
				}
				t.Skipf("NOT RUN: %s %s; rules not checked by it: %s", p.ID, why, strings.Join(p.Rules, " "))
			}
			if perProperty {
				defer setRapidFlags(c, p.Ledger, true, true)()
			} else {
				t.Parallel()
			}
			start(e)
			env := newEnv(e, set, c)
			if env.runWatched(func() { rapid.Check(t, p.prop(env)) }) {
				last := env.lastFailure()
				t.Errorf("%s\n%s", last.msg, counterexampleText(last.items))
			}
			if nc := set.notCompared(); comparesDeclared[p.ID] && len(nc) > 0 {
				t.Logf("%s: outputs not compared (the engine does not declare them): %s", p.ID, strings.Join(nc, ", "))
			}
			if why := env.unsupportedReason(); why != "" {
				if c.RequireAll {
					t.Fatalf("NOT RUN: %s: %s (RequireAll)", p.ID, why)
				}
				t.Skipf("NOT RUN: %s: %s; rules not checked by it: %s", p.ID, why, strings.Join(p.Rules, " "))
			}
		})
	}
	if len(notRun) > 0 {
		t.Logf("perpcheck: %d properties NOT RUN:\n  %s", len(notRun), strings.Join(notRun, "\n  "))
	}
}

// Status is the outcome of one property.
type Status string

// The statuses.
const (
	Pass Status = "PASS"
	Fail Status = "FAIL"
	Skip Status = "SKIP"
)

// PropertyResult is the outcome of one property in Check.
type PropertyResult struct {
	ID       string
	Rules    []string
	Status   Status
	Cases    int // valid cases rapid ran (0 when skipped)
	Duration time.Duration
	// SkipReason says why a property did not run.
	SkipReason string
	// Failure is set when Status is Fail.
	Failure *Failure
	// NotCompared lists, for EVAL-2's differential properties, the
	// outputs the engine does not declare (OutputCapability), which it did
	// not compare.
	NotCompared []string
}

// Failure is a property's counterexample (shrunk, unless an engine call
// timed out).
type Failure struct {
	// Message says what does not hold.
	Message string
	// Counterexamples are the inputs of the failed case: the generated one
	// first, then any derived one (mark moved, margin added, ...).
	Counterexamples []Counterexample
	// Seed reproduces the failure as Config.Seed (rapid's -rapid.seed).
	Seed uint64
	// Rapid is rapid's own report (with the draws of the shrunk case).
	Rapid string
}

// Counterexample is one input of a failed case as the file that replays it:
// a scenario (query properties) or a run file, a state and events (ledger
// properties).
type Counterexample struct {
	// Label says which input of the case it is ("generated", "mark moved",
	// ...).
	Label string
	// JSON is the file's content, indented.
	JSON string
	// Replay is the command that replays it: "perpcheck eval FILE" for a
	// scenario, "perpcheck run FILE" for a run file.
	Replay string
}

// Result is the outcome of Check.
type Result struct {
	Properties []PropertyResult
	Passed     int
	Failed     int
	Skipped    int
	Duration   time.Duration
}

// NotRun lists the properties that did not run and why.
func (r *Result) NotRun() []string {
	var out []string
	for _, p := range r.Properties {
		if p.Status == Skip {
			out = append(out, p.ID+": "+p.SkipReason)
		}
	}
	return out
}

// Check runs the suite against the engines of f outside go test (in the
// manner of testing/fstest.TestFS) and returns the result of every property.
// The error is non-nil when a property failed; it lists them. Skipped
// properties are not an error (unless RequireAll) but are listed by
// Result.NotRun. Check writes no rapid fail files.
func Check(f Factory, c *Config) (*Result, error) {
	c = c.orDefault()
	ensureTestingFlags()
	start := time.Now()
	var props []Property
	for _, p := range catalogue {
		if c.Select == nil || c.Select(p) {
			props = append(props, p)
		}
	}
	res := &Result{Properties: make([]PropertyResult, len(props))}
	var fmu sync.Mutex // serializes calls of f
	var stop atomic.Bool
	workers := max(c.Parallel, 1)
	// Two phases, since rapid's number of cases is a process-wide flag: the
	// query properties, then the ledger properties with Runs.
	for _, ledger := range []bool{false, true} {
		restore := setRapidFlags(c, ledger, false, true)
		jobs := make(chan int)
		var wg sync.WaitGroup
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					p := props[i]
					var r PropertyResult
					if stop.Load() {
						r = PropertyResult{ID: p.ID, Rules: p.Rules, Status: Skip, SkipReason: "not started: an earlier property failed (FailFast)"}
					} else {
						fmu.Lock()
						e, caps := f()
						fmu.Unlock()
						r = runOne(p, e, caps, c)
						if r.Status == Fail && c.FailFast {
							stop.Store(true)
						}
					}
					res.Properties[i] = r
					if c.Progress != nil {
						c.Progress(r)
					}
				}
			}()
		}
		for i, p := range props {
			if p.Ledger == ledger {
				jobs <- i
			}
		}
		close(jobs)
		wg.Wait()
		restore()
	}
	res.Duration = time.Since(start)
	var failed []string
	for _, p := range res.Properties {
		switch p.Status {
		case Pass:
			res.Passed++
		case Fail:
			res.Failed++
			failed = append(failed, p.ID+": "+p.Failure.Message)
		case Skip:
			res.Skipped++
		}
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("perpcheck: %d of %d properties failed:\n  %s", len(failed), len(props), strings.Join(failed, "\n  "))
	}
	return res, nil
}

var (
	reOK     = regexp.MustCompile(`\[rapid\] OK, passed (\d+) tests`)
	reFailed = regexp.MustCompile(`\[rapid\] (?:failed|panic) after (\d+) tests`)
	reSeed   = regexp.MustCompile(`-rapid\.seed=(\d+)`)
)

// runOne runs one property with rapid under a recorder and the watchdog of
// the engine calls (env.runWatched).
func runOne(p Property, e Engine, caps []Capability, c *Config) PropertyResult {
	r := PropertyResult{ID: p.ID, Rules: p.Rules}
	set := newCapSet(caps)
	if why := whyNot(p, e, set); why != "" {
		r.Status, r.SkipReason = Skip, why
		if c.RequireAll {
			r.Status = Fail
			r.Failure = &Failure{Message: "not run: " + why + " (RequireAll)"}
		}
		return r
	}
	start(e)
	env := newEnv(e, set, c)
	tb := &recorder{name: "perpcheck/" + p.ID}
	start := time.Now()
	timedOut := env.runWatched(func() {
		defer func() {
			if v := recover(); v != nil && v != errStop {
				tb.Errorf("panic: %v\n%s", v, debug.Stack())
			}
		}()
		prop := p.prop(env)
		if c.OnCase != nil {
			n, inner := 0, prop
			prop = func(t *rapid.T) {
				n++
				c.OnCase(p.ID, n)
				inner(t)
			}
		}
		rapid.Check(tb, prop)
	})
	if timedOut {
		last := env.lastFailure()
		tb.error(last.msg + "\n" + counterexampleText(last.items))
	}
	r.Duration = time.Since(start)
	if comparesDeclared[p.ID] {
		r.NotCompared = set.notCompared()
	}
	if why := env.unsupportedReason(); why != "" && !timedOut {
		r.Status, r.SkipReason = Skip, why
		if c.RequireAll {
			r.Status = Fail
			r.Failure = &Failure{Message: "not run: " + why + " (RequireAll)"}
		}
		return r
	}
	all := strings.Join(tb.lines, "\n")
	if m := reOK.FindStringSubmatch(all); m != nil {
		r.Cases, _ = strconv.Atoi(m[1])
	}
	if !tb.failed {
		r.Status = Pass
		return r
	}
	r.Status = Fail
	fl := &Failure{Rapid: all}
	if m := reFailed.FindStringSubmatch(all); m != nil {
		r.Cases, _ = strconv.Atoi(m[1])
	}
	if m := reSeed.FindStringSubmatch(all); m != nil {
		fl.Seed, _ = strconv.ParseUint(m[1], 10, 64)
	}
	if last := env.lastFailure(); last != nil {
		fl.Message, fl.Counterexamples = last.msg, last.items
	}
	if fl.Message == "" {
		fl.Message = firstLine(tb.errors)
	}
	r.Failure = fl
	return r
}

func firstLine(ss []string) string {
	for _, s := range ss {
		for _, l := range strings.Split(s, "\n") {
			if strings.TrimSpace(l) != "" {
				return strings.TrimSpace(l)
			}
		}
	}
	return "failed"
}

// FuzzTarget returns the property id as a native Go fuzz target (rapid's
// MakeFuzz: the fuzzer's bytes drive rapid's generators), for
// f.Fuzz(target) in a FuzzXxx function and for long campaigns on
// ClusterFuzzLite/OSS-Fuzz. The engine comes from f (one per target);
// Oracle applies, the other fields of c do not (the fuzzer has its own
// limit on a hung input).
func FuzzTarget(f Factory, id string, c *Config) (func(*testing.T, []byte), error) {
	c = c.orDefault()
	for _, p := range catalogue {
		if p.ID != id {
			continue
		}
		e, caps := f()
		set := newCapSet(caps)
		if why := whyNot(p, e, set); why != "" {
			return nil, fmt.Errorf("perpcheck: %s %s", id, why)
		}
		return rapid.MakeFuzz(p.prop(newEnv(e, set, c))), nil
	}
	return nil, fmt.Errorf("perpcheck: no property %q", id)
}
