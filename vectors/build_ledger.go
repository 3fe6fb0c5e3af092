package vectors

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// ledgerNotes explains the flags of ledger files.
var ledgerNotes = map[string]string{
	"seed-example":          "a worked example of the seed documents (examples/runs)",
	"random":                "a random run (gen.LedgerRun): a state and events drawn for the states the earlier events produce; some events are rejected",
	"targeted":              "a state from gen.LedgerState and events of chosen kinds (gen.LedgerEventOf), kept because the run reaches the feature of the file",
	"liquidation":           "the run liquidates at least one pool (LQ-1)",
	"insurance":             "the insurance fund pays a bankrupt pool's deficit (LQ-5)",
	"adl":                   "a bankrupt pool is auto-deleveraged (LQ-6, ADL)",
	"funding":               "the run has funding payments (FND)",
	"rejected":              "at least one event is rejected and changes nothing (LED-7)",
	"invalid-state":         "the pre state breaks a rule and must be rejected when the ledger is opened",
	"hand-made":             "written by hand",
	"portfolio-liquidation": "a portfolio pool is liquidated, unit by unit (PM-17)",
	"boundary":              "a run from gen's boundary setups (properties/gen/boundary.go) that lands on an exact comparison or a tie rule of SPEC's ledger (issue 16), on the side the test's comment names",
}

// ledgerBuilder collects the tests of one ledger file.
type ledgerBuilder struct {
	area, suite string
	header      []string
	tests       []LedgerTest
	requires    [][]string
}

func newLedger(area, suite string, header ...string) *ledgerBuilder {
	return &ledgerBuilder{area: area, suite: suite, header: header}
}

// ledgerFacts is what applying a run found, for rules, flags and requires.
type ledgerFacts struct {
	open                                 bool // passed through a state of an OPEN gap
	liquidation, insurance, adl, funding bool
	rejected                             bool
	portfolio                            bool // a portfolio pool was liquidated (PM-17)
}

// add applies run with the reference and appends the test. allowOpen keeps
// a run that passes through a state SPEC's OPEN section leaves undecided
// (else such a run is dropped: a third-party engine may differ there). It
// returns the facts and whether the test was added.
func (b *ledgerBuilder) add(run *spec.Run, comment string, flags, rules []string, allowOpen bool) (ledgerFacts, bool) {
	var facts ledgerFacts
	pre := run.State.Clone()
	t := LedgerTest{TcID: len(b.tests) + 1, Comment: comment, Pre: pre, Events: run.Events}
	if t.Events == nil {
		t.Events = []spec.Event{}
	}
	rs := map[string]bool{}
	for _, r := range rules {
		rs[r] = true
	}
	req := map[string]bool{CapLedger: true}
	l, err := reference.NewLedger(run.State.Clone())
	if err != nil {
		var se *spec.Error
		if !errors.As(err, &se) {
			return facts, false
		}
		t.Result = ResultInvalid
		t.Error = &ExpectedError{Path: se.Path, Rule: se.Rule}
		rs[se.Rule], rs["LED-1"] = true, true
		req[CapErrorPaths] = true
		flags = append(flags, "invalid-state")
	} else {
		t.Result = ResultValid
		for _, r := range []string{"LED-1", "LED-2", "LED-3", "LED-4", "LED-5", "LED-6", "LED-8"} {
			rs[r] = true
		}
		for k, ev := range run.Events {
			before := l.State()
			effs, err := l.Apply(ev)
			var out EventOutcome
			if err != nil {
				var se *spec.Error
				if !errors.As(err, &se) {
					return facts, false
				}
				out.Error = &ExpectedError{Path: se.Path, Rule: se.Rule}
				rs["LED-7"], rs[se.Rule] = true, true
				facts.rejected = true
			} else {
				if effs == nil {
					effs = []spec.Effect{}
				}
				out.Effects = &effs
			}
			t.Expected = append(t.Expected, out)
			eventRules(rs, run.State.Markets, ev, out, &facts)
			pmRules(rs, before, ev, out)
			if err == nil && openState(l.State()) {
				facts.open = true
				for _, r := range negativeRules(l.State()) {
					rs[r] = true
				}
			}
			_ = k
		}
		t.Post = l.State()
		if facts.open && !allowOpen {
			return facts, false
		}
	}
	for _, f := range ledgerFeatures(&t) {
		req[f] = true
	}
	if facts.liquidation {
		flags = append(flags, "liquidation")
	}
	if facts.insurance {
		flags = append(flags, "insurance")
	}
	if facts.adl {
		flags = append(flags, "adl")
	}
	if facts.funding {
		flags = append(flags, "funding")
	}
	if facts.rejected {
		flags = append(flags, "rejected")
	}
	if facts.portfolio {
		flags = append(flags, "portfolio-liquidation")
	}
	t.Flags = sortedSet(flags)
	t.Rules = sortRules(slices.Collect(maps.Keys(rs)))
	b.tests = append(b.tests, t)
	b.requires = append(b.requires, sortedSet(slices.Collect(maps.Keys(req))))
	return facts, true
}

// file groups the tests by what they require (groupByRequires).
func (b *ledgerBuilder) file() *LedgerFile {
	groups, reqs, notes := groupByRequires(b.tests, b.requires, func(t LedgerTest) []string { return t.Flags }, ledgerNotes)
	f := &LedgerFile{FileHeader: FileHeader{Schema: "ledger.schema.json", GeneratorVersion: GeneratorVersion, Area: b.area, Suite: b.suite,
		NumberOfTests: len(b.tests), Header: b.header, Notes: notes}}
	for i, g := range groups {
		f.TestGroups = append(f.TestGroups, LedgerGroup{Type: "LedgerTest", Requires: reqs[i], Tests: g})
	}
	return f
}

// openState reports whether st is in a situation SPEC's OPEN section
// leaves undecided: a negative trader wallet (OPEN-2), a negative isolated
// margin (OPEN-1), a negative insurance fund (OPEN-3, OPEN-5).
func openState(st *spec.State) bool {
	neg := func(a spec.Account) bool {
		if a.WalletBalance.Sign() < 0 {
			return true
		}
		for _, p := range a.Positions {
			if p.IsolatedMargin.Valid && p.IsolatedMargin.Decimal.Sign() < 0 {
				return true
			}
		}
		return false
	}
	for _, a := range st.Accounts {
		if neg(a) {
			return true
		}
	}
	return neg(st.InsuranceFund)
}

// eventRules adds the rules one event and its outcome exercise.
func eventRules(rs map[string]bool, markets map[string]spec.Market, ev spec.Event, out EventOutcome, facts *ledgerFacts) {
	add := func(ids ...string) {
		for _, id := range ids {
			rs[id] = true
		}
	}
	switch ev.Type {
	case spec.EventDeposit, spec.EventWithdraw, spec.EventAddMargin, spec.EventRemoveMargin, spec.EventSetLeverage, spec.EventSetMarginMode:
		add("LED-9")
		switch ev.Type {
		case spec.EventWithdraw, spec.EventRemoveMargin, spec.EventAddMargin:
			add("POOL-6")
		case spec.EventSetLeverage:
			add("POS-4")
		case spec.EventSetMarginMode:
			add("POS-3")
		}
	case spec.EventTrade:
		add("TRD-1", "TRD-2", "TRD-5", "TRD-6")
	case spec.EventFunding:
		add("FND-2", "FND-4")
		if markets[ev.Market].FundingRateCap.Valid {
			add("FND-1")
		}
		if out.Effects != nil {
			facts.funding = true
		}
	case spec.EventPrice:
		if !ev.Mark.Valid {
			add("MARK-2", "MARK-3", "MARK-4")
		} else {
			add("MARK-1")
		}
	}
	if out.Effects == nil {
		return
	}
	liq, adl, ins, fee := false, false, false, false
	for _, e := range *out.Effects {
		switch e.Type {
		case spec.EffectLiquidation:
			liq = true
			if e.Pool == spec.Isolated {
				add("LQ-8")
			}
			if e.Pool == spec.Portfolio {
				facts.portfolio = true
				add("PM-17", "PM-10")
			}
		case spec.EffectFill:
			switch e.Kind {
			case "adl":
				adl = true
			case "liquidation":
				add("LQ-2")
			}
		case spec.EffectPosting:
			switch e.Reason {
			case "fee":
				add("TRD-4")
			case "margin":
				if ev.Type == spec.EventTrade {
					add("TRD-3")
				}
			case "realized-pnl":
				add("TRD-2")
			case "dust":
				add("FND-3")
			case "insurance":
				ins = true
			case "liquidation-fee":
				fee = true
			}
		}
	}
	if liq {
		facts.liquidation = true
		add("LQ-1", "LQ-3", "POOL-5")
		switch {
		case adl:
			facts.adl = true
			add("LQ-6", "ADL-1", "ADL-2", "ADL-3")
			if ins {
				add("LQ-7")
			}
		case ins:
			facts.insurance = true
			add("LQ-5")
		default:
			add("LQ-4")
		}
		if fee {
			add("LQ-4", "LQ-8")
		}
	}
}

// ledgerFeatures lists the capabilities a ledger test needs besides
// "ledger".
func ledgerFeatures(t *LedgerTest) []string {
	var out []string
	states := []*spec.State{t.Pre}
	if t.Post != nil {
		states = append(states, t.Post)
	}
	for _, st := range states {
		for _, m := range st.Markets {
			if m.MMBasis == spec.BasisEntry {
				out = append(out, CapEntryBasis)
			}
		}
		for _, p := range st.Prices {
			if !p.Mark.Valid {
				out = append(out, CapComputedMark)
			}
		}
		for _, a := range st.Accounts {
			for _, s := range a.Settings {
				if s.MarginMode == spec.Isolated {
					out = append(out, CapIsolated)
				}
				if s.MarginMode == spec.Portfolio {
					out = append(out, CapPortfolio)
				}
			}
			for _, p := range a.Positions {
				if p.MarginMode == spec.Isolated {
					out = append(out, CapIsolated)
				}
				if p.MarginMode == spec.Portfolio {
					out = append(out, CapPortfolio)
				}
			}
		}
		for _, m := range st.Markets {
			if m.Underlying != "" || m.Expiry != nil || m.PortfolioMargin != nil {
				out = append(out, CapPortfolio) // MKT-6, PM-1
			}
			if len(m.Tiers) > 0 && m.Tiers[0].InitialMarginRate != nil {
				out = append(out, CapExplicitIMR) // SPEC TIER-5 in the ledger
			}
		}
	}
	out = append(out, variantCaps(t.Pre)...)
	for i, ev := range t.Events {
		switch {
		case ev.Type == spec.EventFunding:
			out = append(out, CapFunding)
		case ev.Type == spec.EventPrice && !ev.Mark.Valid:
			out = append(out, CapComputedMark)
		case ev.Type == spec.EventSetMarginMode && ev.MarginMode == spec.Isolated,
			ev.Type == spec.EventAddMargin, ev.Type == spec.EventRemoveMargin:
			out = append(out, CapIsolated)
		case ev.Type == spec.EventSetMarginMode && ev.MarginMode == spec.Portfolio:
			out = append(out, CapPortfolio)
		}
		if i < len(t.Expected) && t.Expected[i].Effects != nil {
			for _, e := range *t.Expected[i].Effects {
				if e.Type == spec.EffectFill && e.Kind == "adl" {
					out = append(out, CapADL)
				}
			}
		}
	}
	return out
}

// drive builds a run from gen.LedgerState(c) at seed and one event of each
// kind in kinds, each drawn (gen.LedgerEventOf) for the state the events
// before it produce.
func drive(c gen.Config, seed int, kinds []gen.EventKind) (*spec.Run, bool) {
	st, ok := example(gen.LedgerState(c), seed)
	if !ok {
		return nil, false
	}
	run := &spec.Run{State: *st.Clone()}
	l, err := reference.NewLedger(st.Clone())
	if err != nil {
		return nil, false
	}
	cur := l.State()
	for i, k := range kinds {
		ev, ok := example(gen.LedgerEventOf(cur, c, k), seed*1000+i)
		if !ok {
			continue
		}
		run.Events = append(run.Events, ev)
		if _, err := l.Apply(ev); err == nil {
			cur = l.State()
		}
	}
	return run, true
}

// randomRuns adds up to n runs of gen.LedgerRun(c), seeds from seed0, each
// cut to at most maxEvents events.
func randomRuns(b *ledgerBuilder, c gen.Config, n, seed0, maxEvents int, what string) {
	added := 0
	for k := 0; added < n && k < 20*n; k++ {
		seed := seed0 + k
		run, ok := example(gen.LedgerRun(c), seed)
		if !ok {
			continue
		}
		if len(run.Events) > maxEvents {
			run.Events = run.Events[:maxEvents]
		}
		if _, ok := b.add(run, fmt.Sprintf("gen.LedgerRun (%s), seed %d, first %d events", what, seed, len(run.Events)), []string{"random"}, nil, false); ok {
			added++
		}
	}
}

// targetedRuns adds up to n runs of drive(c, seed, kinds) that reach the
// feature want reports; a run that does not is not added.
func targetedRuns(b *ledgerBuilder, c gen.Config, n, seed0 int, kinds []gen.EventKind, what string, want func(ledgerFacts) bool) {
	added := 0
	for k := 0; added < n && k < 60*n; k++ {
		seed := seed0 + k
		run, ok := drive(c, seed, kinds)
		if !ok {
			continue
		}
		probe := newLedger("", "")
		facts, ok := probe.add(run, "", nil, nil, false)
		if !ok || !want(facts) {
			continue
		}
		if _, ok := b.add(run, fmt.Sprintf("%s: gen.LedgerState seed %d, events %s", what, seed, kindList(kinds)), []string{"targeted"}, nil, false); ok {
			added++
		}
	}
}

func kindList(kinds []gen.EventKind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
