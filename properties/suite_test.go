package properties_test

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/mutants"
	"github.com/perpcheck/perpcheck/internal/mutation"
	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// TestCheckPasses runs Check (the error-returning form, with its own rapid.TB)
// on the model and checks the result rows.
func TestCheckPasses(t *testing.T) {
	res, err := properties.Check(properties.Model(), &properties.Config{Cases: 20, Seed: 1, Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Properties) != len(properties.Properties()) || res.Passed != len(res.Properties) {
		t.Fatalf("%d properties, %d passed", len(res.Properties), res.Passed)
	}
	for _, p := range res.Properties {
		if p.Cases == 0 || len(p.Rules) == 0 {
			t.Errorf("%s: %d cases, rules %v", p.ID, p.Cases, p.Rules)
		}
	}
}

// TestCheckCounterexampleReplays checks that a failure carries the shrunk
// counterexample as scenario JSON that decodes like `perpcheck eval` does and
// reproduces the bug, and the seed that reproduces it.
func TestCheckCounterexampleReplays(t *testing.T) {
	mutant := mutants.All()[1] // mm-round-down
	only := func(p properties.Property) bool { return p.ID == "NUM-4/position-rounding" }
	res, err := properties.Check(mutant.Factory, &properties.Config{Select: only, ShrinkTime: time.Second})
	if err == nil || res.Failed != 1 {
		t.Fatalf("the mutant %s was not caught: %v", mutant.Name, err)
	}
	f := res.Properties[0].Failure
	if f.Seed == 0 || len(f.Counterexamples) == 0 || !strings.Contains(f.Message, "maintenanceMargin") {
		t.Fatalf("failure without seed or scenario: %+v", f)
	}
	var s spec.Scenario
	if err := strictjson.Unmarshal([]byte(f.Counterexamples[0].JSON), &s); err != nil {
		t.Fatalf("the counterexample does not decode as a scenario file: %v\n%s", err, f.Counterexamples[0].JSON)
	}
	good, err1 := model.Evaluate(&s)
	bad, err2 := mutation.Evaluate(&s, mutation.MMRoundDown)
	if err1 != nil || err2 != nil {
		t.Fatalf("the counterexample is an error: %v %v", err1, err2)
	}
	same := true
	for i := range good.Positions {
		same = same && good.Positions[i].MaintenanceMargin.Equal(bad.Positions[i].MaintenanceMargin)
	}
	if same {
		t.Fatalf("the counterexample does not reproduce the bug:\n%s", f.Counterexamples[0].JSON)
	}
	// The reported seed reproduces it on the first case.
	res2, err := properties.Check(mutant.Factory, &properties.Config{Select: only, Seed: f.Seed, Cases: 5, ShrinkTime: time.Second})
	if err == nil || res2.Failed != 1 {
		t.Fatalf("seed %d does not reproduce the failure", f.Seed)
	}
}

// queryOnly is the model's query alone: no LedgerEngine.
type queryOnly struct{}

func (queryOnly) Evaluate(s *spec.Scenario) (*spec.Report, error) { return model.Evaluate(s) }

// ledgerEngine is the model's query with the ledger sessions of newLedger.
type ledgerEngine struct {
	newLedger func(*spec.State) (properties.LedgerSession, error)
}

func (ledgerEngine) Evaluate(s *spec.Scenario) (*spec.Report, error) { return model.Evaluate(s) }
func (e ledgerEngine) NewLedger(st *spec.State) (properties.LedgerSession, error) {
	return e.newLedger(st)
}

// only selects the property id.
func only(id string) func(properties.Property) bool {
	return func(p properties.Property) bool { return p.ID == id }
}

// TestMissingCapabilitiesAreReported checks that properties needing a
// capability the engine lacks are reported as not run, never silently.
func TestMissingCapabilitiesAreReported(t *testing.T) {
	crossOnly := func() (properties.Engine, []properties.Capability) {
		return queryOnly{}, nil
	}
	res, err := properties.Check(crossOnly, &properties.Config{Cases: 10})
	if err != nil {
		t.Fatal(err)
	}
	notRun := strings.Join(res.NotRun(), "\n")
	for _, id := range []string{"LIQ-1/isolated-margin", "MARK-3/computed-mark", "EVAL-2/error-paths", "LED-4/stateful-invariants"} {
		if !strings.Contains(notRun, id) {
			t.Errorf("%s is not listed as not run:\n%s", id, notRun)
		}
	}
	if _, err := properties.Check(crossOnly, &properties.Config{Cases: 10, RequireAll: true}); err == nil {
		t.Error("RequireAll did not turn the missing capabilities into a failure")
	}
}

// FuzzDifferential is the differential property as a native fuzz target:
// go test -fuzz FuzzDifferential ./properties/
func FuzzDifferential(f *testing.F) {
	target, err := properties.FuzzTarget(properties.Model(), "EVAL-2/differential", nil)
	if err != nil {
		f.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 4; i++ {
		seed := make([]byte, 8192)
		for j := range seed {
			seed[j] = byte(r.Uint32())
		}
		f.Add(seed)
	}
	f.Fuzz(target)
}

func TestFuzzTargetUnknown(t *testing.T) {
	if _, err := properties.FuzzTarget(properties.Model(), "NOPE/none", nil); err == nil {
		t.Fatal("no error for an unknown property")
	}
}

// TestCatalogueOrder checks that Properties lists the query layer first and
// the ledger layer after it, as documented.
func TestCatalogueOrder(t *testing.T) {
	seenLedger := false
	for _, p := range properties.Properties() {
		if seenLedger && !p.Ledger {
			t.Errorf("query property %s comes after a ledger property", p.ID)
		}
		seenLedger = seenLedger || p.Ledger
	}
	if !seenLedger {
		t.Error("no ledger property in the catalogue")
	}
}

// reorderedLedger is the model's ledger reporting its state the other way
// SPEC allows: positions in reverse order, entry prices instead of entry
// values where the price is exact, no settlement (derived). With skew, it
// also moves one unit into the first account's wallet, which is a real
// difference.
type reorderedLedger struct {
	*model.Ledger
	skew bool
}

func (l reorderedLedger) State() *spec.State {
	st := l.Ledger.State()
	for id, a := range st.Accounts {
		for i, j := 0, len(a.Positions)-1; i < j; i, j = i+1, j-1 {
			a.Positions[i], a.Positions[j] = a.Positions[j], a.Positions[i]
		}
		for i := range a.Positions {
			if p := &a.Positions[i]; !p.EntryPrice.IsZero() {
				p.EntryValue = decimal.NullDecimal{}
			}
		}
		st.Accounts[id] = a
	}
	st.Settlement = decimal.NullDecimal{}
	if l.skew {
		for _, id := range []string{"alice", "bob"} {
			if a, ok := st.Accounts[id]; ok {
				a.WalletBalance = a.WalletBalance.Add(decimal.New(1, -8))
				st.Accounts[id] = a
				break
			}
		}
	}
	return st
}

// TestDifferentialLedgerComparesByValue: the differential ledger property
// accepts a state written differently but equal by SPEC, and rejects one
// unit of difference in a wallet.
func TestDifferentialLedgerComparesByValue(t *testing.T) {
	for _, skew := range []bool{false, true} {
		factory := func() (properties.Engine, []properties.Capability) {
			return ledgerEngine{func(st *spec.State) (properties.LedgerSession, error) {
				l, err := model.NewLedger(st)
				return reorderedLedger{l, skew}, err
			}}, properties.AllCapabilities()
		}
		_, err := properties.Check(factory, &properties.Config{Select: only("LED-6/differential-ledger"), Cases: 30, Seed: 5})
		if skew && err == nil {
			t.Error("a wallet one unit off passed the differential ledger property")
		}
		if !skew && err != nil {
			t.Errorf("an equivalent state representation failed: %v", err)
		}
	}
}

// brokenLedger is the model's ledger with one bug, for the teeth of the
// metamorphic ledger properties.
type brokenLedger struct {
	*model.Ledger
	bug   string
	calls *int // shared by every ledger of one factory
}

func (l brokenLedger) Apply(ev spec.Event) ([]spec.Effect, error) {
	*l.calls++
	switch {
	case l.bug == "min-funding-rate" && ev.Type == spec.EventFunding && ev.Rate.Decimal.Abs().LessThan(decimal.New(5, -5)):
		return []spec.Effect{}, nil // rates below 0.005% are not paid
	case l.bug == "deposit-rounding" && ev.Type == spec.EventDeposit:
		ev.Amount = decimal.NewNullDecimal(ev.Amount.Decimal.RoundFloor(0)) // cents dropped
	}
	eff, err := l.Ledger.Apply(ev)
	if l.bug == "posting-order" && *l.calls%2 == 0 {
		// Nondeterminism: every other call lists the postings in reverse.
		var idx []int
		for i, e := range eff {
			if e.Type == spec.EffectPosting {
				idx = append(idx, i)
			}
		}
		for i, j := 0, len(idx)-1; i < j; i, j = i+1, j-1 {
			eff[idx[i]], eff[idx[j]] = eff[idx[j]], eff[idx[i]]
		}
	}
	return eff, err
}

// TestLedgerRelationsHaveTeeth: each metamorphic ledger property fails on a
// ledger with a bug its relation exposes: a minimum funding rate
// (FND-3/funding-split), postings listed in a varying order
// (LED-8/determinism-and-reload), deposits rounded to whole units
// (LED-9/path-independence).
func TestLedgerRelationsHaveTeeth(t *testing.T) {
	for _, c := range []struct{ bug, property string }{
		{"min-funding-rate", "FND-3/funding-split"},
		{"posting-order", "LED-8/determinism-and-reload"},
		{"deposit-rounding", "LED-9/path-independence"},
	} {
		calls := 0
		factory := func() (properties.Engine, []properties.Capability) {
			return ledgerEngine{func(st *spec.State) (properties.LedgerSession, error) {
				l, err := model.NewLedger(st)
				return brokenLedger{l, c.bug, &calls}, err
			}}, properties.AllCapabilities()
		}
		res, err := properties.Check(factory, &properties.Config{Select: only(c.property), Cases: 100, Seed: 11, ShrinkTime: 200 * time.Millisecond})
		if err == nil {
			t.Errorf("%s: %s passed", c.bug, c.property)
			continue
		}
		t.Logf("%s: %s", c.bug, res.Properties[0].Failure.Message)
	}
}

// loopingLedger is the model's ledger that, at its third event, loops
// instead of answering (until the test ends: it sleeps in the loop, so the
// abandoned goroutine does not take a CPU from the other tests).
type loopingLedger struct {
	*model.Ledger
	calls *int
	done  *atomic.Bool
}

func (l loopingLedger) Apply(ev spec.Event) ([]spec.Effect, error) {
	if *l.calls++; *l.calls >= 3 {
		for !l.done.Load() {
			time.Sleep(time.Millisecond)
		}
	}
	return l.Ledger.Apply(ev)
}

// TestTimeout: an engine that does not answer fails the property within
// Config.Timeout, with the run so far as the counterexample, instead of
// hanging the suite.
func TestTimeout(t *testing.T) {
	var done atomic.Bool
	t.Cleanup(func() { done.Store(true) })
	factory := func() (properties.Engine, []properties.Capability) {
		return ledgerEngine{func(st *spec.State) (properties.LedgerSession, error) {
			l, err := model.NewLedger(st)
			return loopingLedger{l, new(int), &done}, err
		}}, properties.AllCapabilities()
	}
	start := time.Now()
	res, err := properties.Check(factory, &properties.Config{Select: only("LED-4/stateful-invariants"), Cases: 50, Seed: 3, Timeout: 300 * time.Millisecond})
	if err == nil {
		t.Fatal("a looping ledger passed")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timed-out property took %s (timeout 300ms)", d)
	}
	f := res.Properties[0].Failure
	if !strings.Contains(f.Message, "did not return from Apply within 300ms") || len(f.Counterexamples) != 1 {
		t.Fatalf("failure: %q with %d counterexamples", f.Message, len(f.Counterexamples))
	}
	var run spec.Run
	if err := strictjson.Unmarshal([]byte(f.Counterexamples[0].JSON), &run); err != nil {
		t.Fatalf("the counterexample is not a run file: %v", err)
	}
	if len(run.Events) != 3 {
		t.Errorf("the counterexample has %d events, want the 3 applied so far (the last one hangs)", len(run.Events))
	}
	t.Logf("%s\n%s", f.Message, f.Counterexamples[0].Replay)
}

// TestTimeoutQuery: the same for Evaluate, under Run (a subtest that fails
// instead of hanging go test).
func TestTimeoutQuery(t *testing.T) {
	var done atomic.Bool
	t.Cleanup(func() { done.Store(true) })
	looping := func() (properties.Engine, []properties.Capability) {
		return loopingQuery{&done}, nil
	}
	res, err := properties.Check(looping, &properties.Config{Select: only("EVAL-1/no-mutation"), Timeout: 100 * time.Millisecond})
	if err == nil || !strings.Contains(res.Properties[0].Failure.Message, "did not return from Evaluate within 100ms") {
		t.Fatalf("a looping query was not caught: %v", err)
	}
	if f := res.Properties[0].Failure; len(f.Counterexamples) != 1 || f.Counterexamples[0].Replay != "perpcheck eval FILE" {
		t.Fatalf("want the scenario as the counterexample, got %+v", f.Counterexamples)
	}
}

// loopingQuery never answers a query (until the test ends).
type loopingQuery struct{ done *atomic.Bool }

func (q loopingQuery) Evaluate(s *spec.Scenario) (*spec.Report, error) {
	for !q.done.Load() {
		time.Sleep(time.Millisecond)
	}
	return model.Evaluate(s)
}

// TestTimeoutRun: under go test, Run fails the subtest of a looping engine
// within the timeout instead of hanging. It runs TestTimeoutRunChild in a
// child process (the failure is the expected outcome there).
func TestTimeoutRun(t *testing.T) {
	if os.Getenv("PERPCHECK_TIMEOUT_CHILD") != "" {
		t.Skip("in the child")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTimeoutRunChild$/^EVAL-1$/^no-mutation$", "-test.v")
	cmd.Env = append(os.Environ(), "PERPCHECK_TIMEOUT_CHILD=1")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the child passed:\n%s", out)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the child took %s", d)
	}
	for _, want := range []string{"--- FAIL: TestTimeoutRunChild/EVAL-1/no-mutation", "did not return from Evaluate within 200ms", "replay: perpcheck eval FILE"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the child's output lacks %q:\n%s", want, out)
		}
	}
}

// TestTimeoutRunChild is TestTimeoutRun's child: Run on an engine whose
// Evaluate never returns.
func TestTimeoutRunChild(t *testing.T) {
	if os.Getenv("PERPCHECK_TIMEOUT_CHILD") == "" {
		t.Skip("run by TestTimeoutRun")
	}
	var done atomic.Bool // never set: the child exits
	properties.Run(t, func() (properties.Engine, []properties.Capability) { return loopingQuery{&done}, nil },
		&properties.Config{Timeout: 200 * time.Millisecond})
}

// TestNilSession: the suite, not the adapter, handles nil sessions. An
// adapter may return its constructor's (typed nil, error) as they are (the
// example's myLedgerEngine does; the ledger properties pass), but a nil
// session without an error, even a typed nil, is a failure (LED-1).
func TestNilSession(t *testing.T) {
	factory := func() (properties.Engine, []properties.Capability) {
		return ledgerEngine{func(st *spec.State) (properties.LedgerSession, error) {
			var l *model.Ledger
			return l, nil
		}}, properties.AllCapabilities()
	}
	res, err := properties.Check(factory, &properties.Config{Select: only("LED-4/stateful-invariants"), Cases: 5})
	if err == nil || !strings.Contains(res.Properties[0].Failure.Message, "NewLedger returned no session and no error") {
		t.Fatalf("a typed-nil session without an error was not caught: %v", err)
	}
}
