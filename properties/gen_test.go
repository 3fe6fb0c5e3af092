package properties

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// TestGeneratorCoverage guards the generators against silently degenerating:
// over a fixed set of examples, the scenarios must exercise every feature the
// properties rely on, and stay mostly valid.
func TestGeneratorCoverage(t *testing.T) {
	c := GenConfig{Isolated: true, EntryBasis: true, ComputedMark: true}
	const n = 300
	count := map[string]int{}
	positions := 0
	for i := 0; i < n; i++ {
		s := Scenario(c).Example(i)
		rep, err := reference.Evaluate(s)
		if err != nil {
			me := asError(err)
			if me == nil || !isReportPath(me) {
				t.Fatalf("example %d is invalid input: %v", i, err)
			}
			count["reported NUM-2"]++
			continue
		}
		for name, p := range s.Prices {
			if !p.Mark.Valid {
				count["computed mark"]++
			}
			if s.Markets[name].MMBasis == spec.BasisEntry {
				count["entry basis"]++
			}
		}
		for j, p := range rep.Positions {
			positions++
			sp := s.Account.Positions[j]
			if p.Tier > 1 {
				count["tier > 1"]++
			}
			if p.LiquidationPrice.Valid {
				count["liquidation price"]++
			}
			if sp.MarginMode == spec.Isolated {
				count["isolated"]++
			}
			if sp.Leverage.Valid && !sp.Leverage.Decimal.Equal(p.Leverage) {
				count["leverage capped"]++
			}
			if sp.EntryValue.Valid {
				count["entry value"]++
			}
		}
		for _, p := range rep.Pools {
			if p.Liquidatable {
				count["liquidatable pool"]++
			}
		}
		if len(rep.Positions) > 1 && rep.Pools[0].Position == -1 && len(rep.Pools) < len(rep.Positions) {
			count["cross pool with several positions"]++
		}
	}
	t.Logf("%d scenarios, %d positions: %v", n, positions, count)
	for feature, min := range map[string]int{
		"computed mark": 20, "entry basis": 20, "tier > 1": 40, "liquidation price": 60, "isolated": 40,
		"leverage capped": 10, "entry value": 10, "liquidatable pool": 20, "cross pool with several positions": 10,
	} {
		if count[feature] < min {
			t.Errorf("only %d examples with %s (want >= %d)", count[feature], feature, min)
		}
	}
	if count["reported NUM-2"] > n/10 {
		t.Errorf("%d of %d scenarios overflow a reported value", count["reported NUM-2"], n)
	}
	// The derived generators.
	for i := 0; i < 50; i++ {
		cr := Corrupted(c).Example(i)
		if _, err := reference.Evaluate(cr.Scenario); err == nil {
			t.Errorf("corruption %s gives a report", cr.Kind)
		}
	}
}

// TestSpecRuleIDs keeps the rule ids a *model.Error may name (bad-input
// property) in sync with SPEC.md.
func TestSpecRuleIDs(t *testing.T) {
	b, err := os.ReadFile("../SPEC.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^- \*\*([A-Z]+-[0-9]+)\b`).FindAllStringSubmatch(string(b), -1) {
		if !specRuleIDs[m[1]] && !strings.HasPrefix(m[1], "OPEN-") {
			t.Errorf("SPEC.md defines %s, which specRuleIDs (compare.go) lacks", m[1])
		}
	}
}

// TestLedgerRunGenerator: generated run files are valid input of
// model.RunEvents, most events apply, and the final state conserves money
// (LED-4, spec.CheckConservation).
func TestLedgerRunGenerator(t *testing.T) {
	c := ConfigFor(AllCapabilities())
	applied, rejected := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		run := LedgerRun(c).Draw(t, "run")
		l, err := model.NewLedger(&run.State)
		if err != nil {
			t.Fatalf("generated state rejected: %v", err)
		}
		for _, ev := range run.Events {
			if _, err := l.Apply(ev); err != nil {
				rejected++
			} else {
				applied++
			}
		}
		if err := l.Check(); err != nil {
			t.Fatalf("LED-4 after the run: %v", err)
		}
	})
	t.Logf("%d events applied, %d rejected", applied, rejected)
	if applied <= rejected {
		t.Errorf("most generated events should apply: %d applied, %d rejected", applied, rejected)
	}
}
