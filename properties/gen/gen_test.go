package gen_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// isReportPath says whether an error is NUM-2 on a reported value (EVAL-2
// steps 4 and 5, or a computed mark): the input itself is valid.
func isReportPath(me *spec.Error) bool {
	return me.Rule == "NUM-2" && (strings.HasPrefix(me.Path, "positions[") || strings.HasPrefix(me.Path, "pools[") ||
		(strings.HasPrefix(me.Path, "prices.") && strings.HasSuffix(me.Path, ".mark")))
}

// TestGeneratorCoverage guards the generators against silently degenerating:
// over a fixed set of examples, the scenarios must exercise every feature the
// properties rely on, and stay mostly valid.
func TestGeneratorCoverage(t *testing.T) {
	c := gen.Config{Isolated: true, EntryBasis: true, ComputedMark: true}
	const n = 300
	count := map[string]int{}
	positions := 0
	for i := 0; i < n; i++ {
		s := gen.Scenario(c).Example(i)
		rep, err := reference.Evaluate(s)
		if err != nil {
			var me *spec.Error
			if !errors.As(err, &me) || !isReportPath(me) {
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
		cr := gen.Corrupted(c).Example(i)
		if _, err := reference.Evaluate(cr.Scenario); err == nil {
			t.Errorf("corruption %s gives a report", cr.Kind)
		}
	}
}

// TestLedgerRunGenerator: generated run files are valid input of the
// reference ledger, most events apply, and the final state is balanced
// (LED-4, spec.CheckBalanced).
func TestLedgerRunGenerator(t *testing.T) {
	c := gen.Config{Isolated: true, EntryBasis: true, ComputedMark: true, Funding: true, ADL: true}
	applied, rejected := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		run := gen.LedgerRun(c).Draw(t, "run")
		l, err := reference.NewLedger(&run.State)
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
		if err := spec.CheckBalanced(l.State()); err != nil {
			t.Fatalf("LED-4 after the run: %v", err)
		}
	})
	t.Logf("%d events applied, %d rejected", applied, rejected)
	if applied <= rejected {
		t.Errorf("most generated events should apply: %d applied, %d rejected", applied, rejected)
	}
}

// TestGeneratorsConsultTheConfiguredOracle: where a generator needs a
// computed value it asks Config.Evaluate and Config.NewLedger (the oracle),
// and the package does not depend on the model (an engine under test).
func TestGeneratorsConsultTheConfiguredOracle(t *testing.T) {
	queries, ledgers := 0, 0
	c := gen.Config{Isolated: true, Funding: true, ADL: true,
		Evaluate:  func(s *spec.Scenario) (*spec.Report, error) { queries++; return reference.Evaluate(s) },
		NewLedger: func(st *spec.State) (gen.LedgerSession, error) { ledgers++; return reference.NewLedger(st) },
	}
	for i := range 20 {
		gen.NearLiquidation(c).Example(i)
		gen.LedgerRun(c).Example(i)
	}
	if queries == 0 || ledgers == 0 {
		t.Errorf("the oracle was asked %d queries and %d ledgers, want some of each", queries, ledgers)
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "github.com/perpcheck/perpcheck/model" {
			t.Errorf("package gen depends on %s", p)
		}
	}
}

// TestVariantCoverage: with every variant allowed, 300 scenarios select
// every variant of every choice of SPEC VAR (VAR-1) on some market, often
// enough that a property's default budget meets each (here at least 20
// markets each), every market of a scenario shares one trigger (VAR-1), and
// the reference accepts them all.
func TestVariantCoverage(t *testing.T) {
	all := map[string][]string{}
	for _, c := range spec.VariantChoices() {
		all[c.Key] = append(all[c.Key], c.Names...)
	}
	c := gen.Config{Isolated: true, EntryBasis: true, ComputedMark: true, Variants: all}
	count := map[string]int{}
	for i := 0; i < 300; i++ {
		s := gen.Scenario(c).Example(i)
		if _, err := reference.Evaluate(s); err != nil {
			var me *spec.Error
			if !errors.As(err, &me) || !isReportPath(me) {
				t.Fatalf("example %d is invalid input: %v", i, err)
			}
		}
		trigger := ""
		for name, m := range s.Markets {
			var v spec.Variants
			if m.Variants != nil {
				v = *m.Variants
			}
			if trigger == "" {
				trigger = v.Get("trigger")
			} else if v.Get("trigger") != trigger {
				t.Fatalf("example %d: market %s's trigger %q differs from another market's %q", i, name, v.Get("trigger"), trigger)
			}
			for _, ch := range spec.VariantChoices() {
				count[ch.Rule+":"+v.Get(ch.Key)]++
			}
		}
	}
	for _, ch := range spec.VariantChoices() {
		for _, n := range all[ch.Key] {
			if k := ch.Rule + ":" + n; count[k] < 20 {
				t.Errorf("%s drawn on %d markets, want >= 20", k, count[k])
			}
		}
	}
	t.Logf("%v", count)
	// Only the declared variants: an engine that declares only at-equality
	// gets only at-equality.
	only := gen.Config{Variants: map[string][]string{"trigger": {spec.TriggerAtEquality}}}
	for i := 0; i < 50; i++ {
		for name, m := range gen.Scenario(only).Example(i).Markets {
			if m.Variants == nil || m.Variants.Trigger != spec.TriggerAtEquality {
				t.Fatalf("example %d: market %s has variants %+v, want trigger at-equality only", i, name, m.Variants)
			}
		}
	}
}

// TestExplicitIMRDrawn: with Config.ExplicitIMR some generated markets give
// explicit initial margin rates (SPEC TIER-5), and the reference never
// rejects one at an initialMarginRate (WithExplicitIMR keeps TIER-1/3/5);
// without it none does (the default streams draw nothing for it).
func TestExplicitIMRDrawn(t *testing.T) {
	all := map[string][]string{}
	for _, c := range spec.VariantChoices() {
		all[c.Key] = c.Names
	}
	for _, on := range []bool{true, false} {
		c := gen.Config{Isolated: true, EntryBasis: true, ExplicitIMR: on, Variants: all}
		n := 0
		for seed := 0; seed < 300; seed++ {
			s := gen.Scenario(c).Example(seed)
			for _, m := range s.Markets {
				if len(m.Tiers) > 0 && m.Tiers[0].InitialMarginRate != nil {
					n++
				}
			}
			_, err := reference.Evaluate(s)
			var se *spec.Error
			if errors.As(err, &se) && strings.HasSuffix(se.Path, ".initialMarginRate") {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
		if on && n < 30 || !on && n != 0 {
			t.Errorf("ExplicitIMR %v: %d markets with explicit rates in 300 scenarios", on, n)
		}
		t.Logf("ExplicitIMR %v: %d markets with explicit rates", on, n)
	}
}

// TestPMNearTriggerCoverage: PMConfig.NearTrigger puts the portfolio pool
// on both sides of PM-10's strict trigger, and exactly on it (E = MM, not
// liquidatable), often enough for the default budget; judged from the
// reference's exact report of the drawn accounts.
func TestPMNearTriggerCoverage(t *testing.T) {
	const n = 300
	count := map[string]int{}
	for i := range n {
		s := gen.PMScenario(gen.PMConfig{Underlyings: 2, NearTrigger: true}).Example(i)
		rep, err := reference.Evaluate(s)
		if err != nil || rep.Portfolio == nil {
			t.Fatalf("example %d: %v", i, err)
		}
		pf := rep.Portfolio
		switch pf.Equity.Cmp(pf.MaintenanceMargin) {
		case -1:
			if pf.Equity.Equal(pf.MaintenanceMargin.Sub(decimal.New(1, -8))) {
				count["E = MM - 1 unit"]++
			}
		case 0:
			count["E = MM"]++
			if pf.Liquidatable {
				t.Errorf("example %d: liquidatable at E = MM = %s", i, pf.Equity)
			}
		case 1:
			if pf.Equity.Equal(pf.MaintenanceMargin.Add(decimal.New(1, -8))) {
				count["E = MM + 1 unit"]++
			}
		}
	}
	t.Logf("%d accounts: %v", n, count)
	for k, min := range map[string]int{"E = MM - 1 unit": 15, "E = MM": 30, "E = MM + 1 unit": 15} {
		if count[k] < min {
			t.Errorf("only %d accounts with %s (want >= %d)", count[k], k, min)
		}
	}
}

// TestPMDownRootAtZeroCoverage: PMConfig.DownRootAtZero draws accounts in
// which a unit's PM-11 loss line is 0 exactly at r = -1 (K = D_u > 0, not
// yet liquidatable), often enough for the default budget; judged with
// exact arithmetic on the drawn account (specutil, written from SPEC), and
// the reference then reports no down move for that unit (PM-11: r > -1).
func TestPMDownRootAtZeroCoverage(t *testing.T) {
	const n = 300
	hits := 0
	for i := range n {
		s := gen.PMScenario(gen.PMConfig{Underlyings: 2, DownRootAtZero: true}).Example(i)
		rep, err := reference.Evaluate(s)
		if err != nil || rep.Portfolio == nil {
			t.Fatalf("example %d: %v", i, err)
		}
		st := &spec.State{Markets: s.Markets, Prices: s.Prices}
		pool := specutil.Pool(st, s.Account, "")
		mm, _, units := specutil.PortfolioMargins(st, s.Account)
		for k, u := range units {
			if kk := pool.E.Sub(mm).Add(u.MM); u.D.Sign() > 0 && kk.Equal(u.D) && !pool.E.LessThan(mm) {
				hits++
				if r := rep.Portfolio.Units[k]; r.CriticalMoveDown.Valid {
					t.Errorf("example %d: unit %s's loss line is 0 at r = -1, but the reference reports a down move %s", i, u.Underlying, r.CriticalMoveDown.Decimal)
				}
			}
		}
	}
	t.Logf("%d accounts: %d units with K = D_u > 0", n, hits)
	if hits < 40 {
		t.Errorf("only %d units with K = D_u > 0 (want >= 40)", hits)
	}
}
