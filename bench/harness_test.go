package bench

import (
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/internal/mutants"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/spec"
)

// oneIteration makes testing.Benchmark (Case.Benchmark) run each case once
// (-test.benchtime=1x) for the duration of the test: these tests check what
// the harness runs and rejects, never how fast.
func oneIteration(t *testing.T) {
	t.Helper()
	old := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", "1x"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { flag.Set("test.benchtime", old) })
}

// TestCasesNames: the harness's names are perpcheck's own benchmark names
// (BenchmarkHealth/impl=.../pos=N, ...) with the given impl, in this order.
func TestCasesNames(t *testing.T) {
	cs, err := Cases("mine", properties.Model())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Health/impl=mine/pos=1", "Health/impl=mine/pos=10", "Health/impl=mine/pos=100",
		"LiqPrice/impl=mine/mode=isolated", "LiqPrice/impl=mine/mode=cross",
		"Ledger/impl=mine/event=trade", "Ledger/impl=mine/event=funding/accounts=100", "Ledger/impl=mine/event=cascade/accounts=100",
	}
	if len(cs) != len(want) {
		t.Fatalf("%d cases, want %d", len(cs), len(want))
	}
	for i, c := range cs {
		if got := c.Group + "/" + c.Name; got != want[i] {
			t.Errorf("case %d is %s, want %s", i, got, want[i])
		}
	}
}

// TestCasesRejectBadNames: an impl name that would break the benchmark
// name's key=value syntax, or a nil Factory, is an error.
func TestCasesRejectBadNames(t *testing.T) {
	for _, name := range []string{"", "a/b", "a=b", "a b", "x\n"} {
		if _, err := Cases(name, properties.Model()); err == nil {
			t.Errorf("Cases(%q) accepted", name)
		}
	}
	if _, err := Cases("ok", nil); err == nil {
		t.Error("Cases with a nil Factory accepted")
	}
}

// TestHarnessModel runs every case once against the model and the
// reference: each runs (N = 1) and reports allocations.
func TestHarnessModel(t *testing.T) {
	oneIteration(t)
	for _, impl := range []struct {
		name string
		f    properties.Factory
	}{{"model", properties.Model()}, {"reference", mutants.Reference()}} {
		cs, err := Cases(impl.name, impl.f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			r, err := c.Benchmark()
			if err != nil {
				t.Errorf("%s: %v", c.Name, err)
				continue
			}
			if r.N != 1 {
				t.Errorf("%s: N = %d, want 1 (-test.benchtime=1x)", c.Name, r.N)
			}
		}
	}
}

// queryOnly is an engine with no ledger and no capability: the model's
// query alone.
type queryOnly struct{}

func (queryOnly) Evaluate(s *spec.Scenario) (*spec.Report, error) { return model.Evaluate(s) }

// TestHarnessSkipsAndRejects: a case the engine cannot run is skipped with
// the reason (ErrSkipped), and an engine that computes something else than
// the model on a case's data fails it before anything is timed. The broken
// engines are mutants of the reference: mm-on-entry (maintenance margin on
// the entry notional: the pools of the Health account, whose entries are
// 1-3% off the mark, differ), lp-toward-mark (liquidation prices rounded
// toward the mark) and funding-sign (funding paid the wrong way).
func TestHarnessSkipsAndRejects(t *testing.T) {
	oneIteration(t)
	mutant := func(name string) properties.Factory {
		for _, m := range mutants.All() {
			if m.Name == name {
				return m.Factory
			}
		}
		t.Fatalf("no mutant %s", name)
		return nil
	}
	for _, tc := range []struct {
		impl  string
		f     properties.Factory
		case_ string
		skip  bool
		msg   string
	}{
		{"q", func() (properties.Engine, []properties.Capability) { return queryOnly{}, nil }, "LiqPrice/impl=q/mode=isolated", true, `capability "isolated"`},
		{"q", func() (properties.Engine, []properties.Capability) { return queryOnly{}, nil }, "Ledger/impl=q/event=trade", true, "not a properties.LedgerEngine"},
		{"q", func() (properties.Engine, []properties.Capability) { return queryOnly{}, nil }, "Health/impl=q/pos=10", false, ""},
		{"m", mutant("mm-on-entry"), "Health/impl=m/pos=10", false, "pools differ from the model's"},
		{"m", mutant("lp-toward-mark"), "LiqPrice/impl=m/mode=cross", false, "liquidation price"},
		{"m", mutant("funding-sign"), "Ledger/impl=m/event=funding/accounts=100", false, "effects differ from the model's"},
	} {
		cs, err := Cases(tc.impl, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, c := range cs {
			if c.Group+"/"+c.Name != tc.case_ {
				continue
			}
			found = true
			_, err := c.Benchmark()
			switch {
			case tc.msg == "" && err != nil:
				t.Errorf("%s: %v", tc.case_, err)
			case tc.msg != "" && err == nil:
				t.Errorf("%s: ran, want an error containing %q", tc.case_, tc.msg)
			case tc.msg != "" && (errors.Is(err, ErrSkipped) != tc.skip || !strings.Contains(err.Error(), tc.msg)):
				t.Errorf("%s: error %q (skipped: %v), want %q (skipped: %v)", tc.case_, err, errors.Is(err, ErrSkipped), tc.msg, tc.skip)
			}
		}
		if !found {
			t.Errorf("no case %s", tc.case_)
		}
	}
}
