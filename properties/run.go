package properties

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// Property is one check of the suite, named by an id of the form
// "<SPEC rule>/<name>" (e.g. "LIQ-6/tick-agreement").
type Property struct {
	ID string
	// Rules are the SPEC rule ids the property checks directly.
	Rules []string
	// Needs are the capabilities an engine must declare for it to run.
	Needs []Capability
	// Doc says what is checked, in one or two sentences.
	Doc string
	// Differential is true for the properties that compare the engine with
	// the oracle (by default the reference): they check, by agreement,
	// every rule the oracle implements.
	Differential bool

	check func(e *env) func(*rapid.T)
}

// isLedger says whether p is a property of the ledger layer (it needs
// CapLedger).
func (p Property) isLedger() bool {
	for _, c := range p.Needs {
		if c == CapLedger {
			return true
		}
	}
	return false
}

// Properties returns the properties of the suite, the query layer's and
// then the ledger layer's, in the order Run runs them (Check runs the query
// properties first, then the ledger properties).
func Properties() []Property {
	out := make([]Property, len(catalogue))
	copy(out, catalogue)
	return out
}

// config is the set of options.
type config struct {
	checks       int
	ledgerChecks int
	seed         uint64
	shrinkTime   time.Duration
	failFiles    *bool
	oracle       func(*spec.Scenario) (*spec.Report, error)
	ledger       func(*spec.State) (Ledger, error)
	only, skip   []*regexp.Regexp
	parallel     int
	requireAll   bool
	failFast     bool
	progress     func(PropertyResult)
}

// Option configures Run and Check.
type Option func(*config)

// Checks sets the number of rapid cases per property (rapid's -rapid.checks;
// default 100, a fifth of it under go test -short).
func Checks(n int) Option { return func(c *config) { c.checks = n } }

// LedgerChecks sets the number of rapid cases per ledger property (those
// that need CapLedger) in Check, where each case is a whole run of about 30
// events (rapid's -rapid.steps); default: the same as Checks. Run uses
// rapid's flags for every property.
func LedgerChecks(n int) Option { return func(c *config) { c.ledgerChecks = n } }

// Seed sets rapid's base seed (rapid's -rapid.seed; 0 means random). A
// failure reports the seed that reproduces it.
func Seed(s uint64) Option { return func(c *config) { c.seed = s } }

// ShrinkTime bounds the time rapid spends minimizing one counterexample
// (rapid's -rapid.shrinktime; default 30s).
func ShrinkTime(d time.Duration) Option { return func(c *config) { c.shrinkTime = d } }

// FailFiles says whether rapid writes fail files under testdata/rapid on a
// failure (rapid's default in Run; off in Check).
func FailFiles(on bool) Option { return func(c *config) { c.failFiles = &on } }

// Oracle sets the implementation the differential properties compare with
// (default reference.Evaluate).
func Oracle(f func(*spec.Scenario) (*spec.Report, error)) Option {
	return func(c *config) { c.oracle = f }
}

// LedgerOracle sets the ledger the differential ledger property compares
// with (default reference.NewLedger).
func LedgerOracle(f func(*spec.State) (Ledger, error)) Option {
	return func(c *config) { c.ledger = f }
}

// Only runs only the properties whose id matches one of the regular
// expressions (unanchored; e.g. "^LIQ-").
func Only(patterns ...string) Option {
	return func(c *config) {
		for _, p := range patterns {
			c.only = append(c.only, regexp.MustCompile(p))
		}
	}
}

// Exclude does not run the properties whose id matches one of the regular
// expressions; they are reported as not run.
func Exclude(patterns ...string) Option {
	return func(c *config) {
		for _, p := range patterns {
			c.skip = append(c.skip, regexp.MustCompile(p))
		}
	}
}

// Parallel runs up to n properties at once (Run: parallel subtests). The
// Factory must then be safe for concurrent calls.
func Parallel(n int) Option { return func(c *config) { c.parallel = n } }

// RequireAll makes a property that cannot run for lack of a capability a
// failure instead of a skip.
func RequireAll() Option { return func(c *config) { c.requireAll = true } }

// FailFast makes Check stop starting properties after the first failure
// (properties already running finish; the rest are reported as skipped).
func FailFast() Option { return func(c *config) { c.failFast = true } }

// Progress calls f after each property of Check (from the goroutine that ran
// it; with Parallel, concurrently).
func Progress(f func(PropertyResult)) Option { return func(c *config) { c.progress = f } }

func newConfig(opts []Option) *config {
	c := &config{oracle: reference.Evaluate, ledger: referenceLedger, parallel: 1}
	for _, o := range opts {
		o(c)
	}
	if c.parallel < 1 {
		c.parallel = 1
	}
	return c
}

func (c *config) selected(p Property) (bool, string) {
	if len(c.only) > 0 {
		ok := false
		for _, re := range c.only {
			ok = ok || re.MatchString(p.ID)
		}
		if !ok {
			return false, ""
		}
	}
	for _, re := range c.skip {
		if re.MatchString(p.ID) {
			return true, "excluded by option"
		}
	}
	return true, ""
}

// rapidMu serializes the changes of rapid's process-wide flags.
var rapidMu sync.Mutex

// setRapidFlags applies the options that map to rapid's flags and returns
// the function that restores them. rapid reads its settings from its
// command-line flags only, so these options hold for the whole process while
// Run or Check runs: do not run other rapid checks concurrently with them.
// Check holds a lock while they are set (so concurrent Checks take turns);
// Run does not (lock false), since its subtests outlive the call.
func setRapidFlags(c *config, failFilesDefault, lock bool) func() {
	set := map[string]string{}
	if c.checks > 0 {
		set["rapid.checks"] = strconv.Itoa(c.checks)
	}
	if c.seed != 0 {
		set["rapid.seed"] = strconv.FormatUint(c.seed, 10)
	}
	if c.shrinkTime > 0 {
		set["rapid.shrinktime"] = c.shrinkTime.String()
	}
	ff := failFilesDefault
	if c.failFiles != nil {
		ff = *c.failFiles
	}
	if !ff {
		set["rapid.nofailfile"] = "true"
	}
	if len(set) == 0 {
		return func() {}
	}
	if lock {
		rapidMu.Lock()
	}
	old := map[string]string{}
	for k, v := range set {
		f := flag.Lookup(k)
		if f == nil {
			continue
		}
		old[k] = f.Value.String()
		_ = f.Value.Set(v)
	}
	return func() {
		for k, v := range old {
			_ = flag.Lookup(k).Value.Set(v)
		}
		if lock {
			rapidMu.Unlock()
		}
	}
}

// Run runs the suite as subtests of t, one per property, each with a fresh
// engine from f (in the manner of golang.org/x/net/nettest.TestConn).
// A property that needs a capability the engine lacks is skipped with a
// message naming the capabilities (or fails, with RequireAll). rapid's flags
// (-rapid.checks, -rapid.seed, ...) apply unless an Option overrides them.
func Run(t *testing.T, f Factory, opts ...Option) {
	t.Helper()
	c := newConfig(opts)
	restore := setRapidFlags(c, true, false)
	t.Cleanup(restore)
	var notRun []string
	for _, p := range catalogue {
		sel, why := c.selected(p)
		if !sel {
			continue
		}
		e, caps := f()
		miss := newCapSet(caps).missing(p.Needs)
		if why == "" && len(miss) > 0 {
			why = "needs " + capList(miss) + ", which the engine does not declare"
		}
		if why != "" {
			notRun = append(notRun, p.ID+" ("+why+")")
		}
		p := p
		t.Run(p.ID, func(t *testing.T) {
			if c.parallel > 1 {
				t.Parallel()
			}
			if why != "" {
				if c.requireAll && len(miss) > 0 {
					t.Fatalf("NOT RUN: %s %s (RequireAll)", p.ID, why)
				}
				t.Skipf("NOT RUN: %s %s; rules not checked by it: %s", p.ID, why, strings.Join(p.Rules, " "))
			}
			rapid.Check(t, p.check(newEnv(e, caps, c)))
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
	// SkipReason says why a property did not run (missing capabilities).
	SkipReason string
	// Failure is set when Status is Fail.
	Failure *Failure
}

// Failure is a property's (shrunk) counterexample.
type Failure struct {
	// Message says what does not hold.
	Message string
	// Scenarios are the scenarios of the counterexample as indented JSON,
	// each replayable with `perpcheck eval FILE`: the generated one first,
	// then any derived one (mark moved, margin added, ...), with labels.
	Scenarios []LabeledScenario
	// Seed reproduces the failure with Seed(Seed) (rapid's -rapid.seed).
	Seed uint64
	// Rapid is rapid's own report (with the draws of the shrunk case).
	Rapid string
}

// LabeledScenario is a counterexample as JSON: a scenario (query
// properties) or a run file, a state and events (ledger properties).
type LabeledScenario struct {
	Label string
	JSON  string
	// Replay is the command that replays it: "perpcheck eval FILE" or
	// "perpcheck run FILE".
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
// Result.NotRun. By default Check writes no rapid fail files.
func Check(f Factory, opts ...Option) (*Result, error) {
	c := newConfig(opts)
	ensureTestingFlags()
	start := time.Now()
	type job struct {
		i int
		p Property
	}
	var props []Property
	for _, p := range catalogue {
		if sel, _ := c.selected(p); sel {
			props = append(props, p)
		}
	}
	res := &Result{Properties: make([]PropertyResult, len(props))}
	var fmu sync.Mutex // serializes calls of f
	var stop atomic.Bool
	// Two phases, since rapid's number of cases is a process-wide flag: the
	// query properties, then the ledger properties with LedgerChecks.
	for _, ledger := range []bool{false, true} {
		pc := *c
		if ledger && c.ledgerChecks > 0 {
			pc.checks = c.ledgerChecks
		}
		restore := setRapidFlags(&pc, false, true)
		jobs := make(chan job)
		var wg sync.WaitGroup
		for w := 0; w < c.parallel; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					if stop.Load() {
						r := PropertyResult{ID: j.p.ID, Rules: j.p.Rules, Status: Skip, SkipReason: "not started: an earlier property failed (FailFast)"}
						res.Properties[j.i] = r
						if c.progress != nil {
							c.progress(r)
						}
						continue
					}
					fmu.Lock()
					e, caps := f()
					fmu.Unlock()
					r := checkOne(j.p, e, caps, c)
					if r.Status == Fail && c.failFast {
						stop.Store(true)
					}
					res.Properties[j.i] = r
					if c.progress != nil {
						c.progress(r)
					}
				}
			}()
		}
		for i, p := range props {
			if p.isLedger() == ledger {
				jobs <- job{i, p}
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

// ensureTestingFlags makes testing.Short usable outside a test binary
// (rapid calls it): it registers the testing flags and marks the command
// line parsed if the program has not parsed it.
func ensureTestingFlags() {
	if flag.Lookup("test.short") == nil {
		testing.Init()
	}
	if !flag.Parsed() {
		_ = flag.CommandLine.Parse([]string{})
	}
}

var (
	reOK     = regexp.MustCompile(`\[rapid\] OK, passed (\d+) tests`)
	reFailed = regexp.MustCompile(`\[rapid\] (?:failed|panic) after (\d+) tests`)
	reSeed   = regexp.MustCompile(`-rapid\.seed=(\d+)`)
)

// checkOne runs one property with rapid under a recording TB.
func checkOne(p Property, e Engine, caps []Capability, c *config) PropertyResult {
	r := PropertyResult{ID: p.ID, Rules: p.Rules}
	sel, why := c.selected(p)
	miss := newCapSet(caps).missing(p.Needs)
	if sel && why == "" && len(miss) > 0 {
		why = "needs " + capList(miss) + ", which the engine does not declare"
	}
	if why != "" {
		r.Status, r.SkipReason = Skip, why
		if c.requireAll && len(miss) > 0 {
			r.Status = Fail
			r.Failure = &Failure{Message: "not run: " + why + " (RequireAll)"}
		}
		return r
	}
	env := newEnv(e, caps, c)
	tb := &recorder{name: "perpcheck/" + p.ID}
	start := time.Now()
	func() {
		defer func() {
			if v := recover(); v != nil && v != errStop {
				tb.Errorf("panic: %v", v)
			}
		}()
		rapid.Check(tb, p.check(env))
	}()
	r.Duration = time.Since(start)
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
	env.mu.Lock()
	if env.last != nil {
		fl.Message = env.last.msg
		fl.Scenarios = env.last.scenarios
	}
	env.mu.Unlock()
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

// errStop is the panic value of recorder.FailNow and SkipNow.
var errStop = errors.New("perpcheck: stop")

// recorder is a minimal rapid.TB for Check: it records log lines and
// failures instead of reporting them to a testing.T.
type recorder struct {
	name    string
	mu      sync.Mutex
	lines   []string
	errors  []string
	failed  bool
	skipped bool
}

var _ rapid.TB = (*recorder)(nil)

func (r *recorder) Helper()      {}
func (r *recorder) Name() string { return r.name }
func (r *recorder) Logf(format string, args ...any) {
	r.log(fmt.Sprintf(format, args...))
}
func (r *recorder) Log(args ...any) { r.log(fmt.Sprintln(args...)) }
func (r *recorder) log(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}
func (r *recorder) Skipf(format string, args ...any) { r.Logf(format, args...); r.SkipNow() }
func (r *recorder) Skip(args ...any)                 { r.Log(args...); r.SkipNow() }
func (r *recorder) SkipNow() {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	panic(errStop)
}
func (r *recorder) Errorf(format string, args ...any) { r.error(fmt.Sprintf(format, args...)) }
func (r *recorder) Error(args ...any)                 { r.error(fmt.Sprintln(args...)) }
func (r *recorder) error(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
	r.errors = append(r.errors, s)
	r.failed = true
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); r.FailNow() }
func (r *recorder) FailNow()                          { r.Fail(); panic(errStop) }
func (r *recorder) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// env is what a property sees: the engine under test and the options.
type env struct {
	engine Engine
	caps   capSet
	gen    GenConfig
	oracle func(*spec.Scenario) (*spec.Report, error)
	// stats, when set (by tests), counts what the ledger runs exercised.
	stats *ledgerStats
	// ledgerOracle is the LedgerOracle option.
	ledgerOracle func(*spec.State) (Ledger, error)

	mu   sync.Mutex
	last *failureRecord
}

type failureRecord struct {
	msg       string
	scenarios []LabeledScenario
}

func newEnv(e Engine, caps []Capability, c *config) *env {
	return &env{engine: e, caps: newCapSet(caps), gen: ConfigFor(caps), oracle: c.oracle, ledgerOracle: c.ledger}
}

// named is a scenario with a label, for counterexamples.
type named struct {
	label string
	s     *spec.Scenario
}

// fail records the counterexample, logs its scenarios as JSON (rapid shows
// the log of the shrunk case) and fails the case.
func (e *env) fail(t *rapid.T, scenarios []named, format string, args ...any) {
	t.Helper()
	items := make([]counterexample, len(scenarios))
	for i, n := range scenarios {
		items[i] = counterexample{n.label, "scenario", "perpcheck eval FILE", n.s}
	}
	e.failWith(t, items, fmt.Sprintf(format, args...))
}

// counterexample is one input of a failed case: a scenario or a run file.
type counterexample struct {
	label, kind, replay string
	v                   any
}

// failWith records msg and the counterexamples as indented JSON, logs them
// and fails the case.
func (e *env) failWith(t *rapid.T, items []counterexample, msg string) {
	t.Helper()
	rec := &failureRecord{msg: msg}
	for _, c := range items {
		b, err := json.MarshalIndent(c.v, "", "  ")
		if err != nil {
			b = []byte(fmt.Sprintf("%q", err.Error()))
		}
		rec.scenarios = append(rec.scenarios, LabeledScenario{Label: c.label, JSON: string(b), Replay: c.replay})
		t.Logf("counterexample, %s %s (replay: %s):\n%s", c.label, c.kind, c.replay, b)
	}
	e.mu.Lock()
	e.last = rec
	e.mu.Unlock()
	t.Fatalf("%s", msg)
}

// evaluate calls the engine, turning a panic into a failure (EVAL-1: bad
// input never panics) and checking that exactly one of report and error is
// returned.
func (e *env) evaluate(t *rapid.T, s *spec.Scenario, label string, ctx ...named) (rep *spec.Report, err error) {
	t.Helper()
	var panicked any
	func() {
		defer func() {
			if v := recover(); v != nil {
				panicked = v
			}
		}()
		rep, err = e.engine.Evaluate(s)
	}()
	all := append(append([]named(nil), ctx...), named{label, s})
	if panicked != nil {
		buf := make([]byte, 4096)
		buf = buf[:runtime.Stack(buf, false)]
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

// FuzzTarget returns the property id as a native Go fuzz target (rapid's
// MakeFuzz: the fuzzer's bytes drive rapid's generators), for
// f.Fuzz(target) in a FuzzXxx function and for long campaigns on
// ClusterFuzzLite/OSS-Fuzz. The engine comes from factory (one per target);
// Oracle applies, the other options do not.
func FuzzTarget(factory Factory, id string, opts ...Option) (func(*testing.T, []byte), error) {
	c := newConfig(opts)
	for _, p := range catalogue {
		if p.ID != id {
			continue
		}
		e, caps := factory()
		if miss := newCapSet(caps).missing(p.Needs); len(miss) > 0 {
			return nil, fmt.Errorf("perpcheck: %s needs %s, which the engine does not declare", id, capList(miss))
		}
		return rapid.MakeFuzz(p.check(newEnv(e, caps, c))), nil
	}
	return nil, fmt.Errorf("perpcheck: no property %q", id)
}
