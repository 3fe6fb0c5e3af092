package vectors

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/protocol"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// Engine is the query side of an engine under test: a scenario evaluates to
// a report or an error (a *spec.Error for a rule violation, SPEC EVAL-1).
type Engine interface {
	Evaluate(s *spec.Scenario) (*spec.Report, error)
}

// TextEngine is an Engine that also reads a scenario from its JSON text
// (capability "raw-json", SPEC NUM-5, EVAL-4).
type TextEngine interface {
	Engine
	EvaluateText(data []byte) (*spec.Report, error)
}

// LedgerOpener opens a ledger on a state (SPEC LED); a *spec.Error rejects
// the state.
type LedgerOpener interface {
	OpenLedger(st *spec.State) (LedgerSession, error)
}

// LedgerSession is an open ledger: Apply applies one event (its effects, or
// a *spec.Error and no change), State returns the current state, Close ends
// the session.
type LedgerSession interface {
	Apply(ev spec.Event) ([]spec.Effect, error)
	State() (*spec.State, error)
	Close() error
}

// ErrNotSupported is what an engine returns (possibly wrapped) for a request
// or an input feature it does not implement; the test is skipped, never
// passed. A *protocol.NotSupportedError (code 10 of perpcheck/1) counts too.
var ErrNotSupported = errors.New("not supported")

// Runner is an engine under test and what it declares.
type Runner struct {
	// Engine answers the query tests.
	Engine Engine
	// Ledger, if not nil, answers the ledger tests.
	Ledger LedgerOpener
	// Capabilities are the capabilities the engine supports (see
	// AllCapabilities); a group that requires another is skipped.
	Capabilities []string
	// SkipEffects compares no effects (an engine whose perpcheck/1 outputs
	// declare "effects": false); outcomes, errors and post states still are.
	SkipEffects bool
	// Outputs, when not nil, are the report fields the engine computes
	// (perpcheck/1's init outputs, PROTOCOL.md PR-5): differences in the
	// other fields of positions[] and pools[] are not counted.
	Outputs map[string]bool
	// MaxFailures bounds the failures kept per file (0: 3; negative: all).
	MaxFailures int
}

// Failure is one failed test.
type Failure struct {
	TcID    int
	Comment string
	// Diffs say what differed: spec.Diff's paths with both values, or the
	// errors.
	Diffs []string
}

// FileResult is the outcome of one file.
type FileResult struct {
	Path                           string
	Tests, Passed, Failed, Skipped int
	// Failures are the first failures (Runner.MaxFailures).
	Failures []Failure
	// Skips counts the skipped tests by reason.
	Skips map[string]int
}

// Result is the outcome of Check.
type Result struct {
	Files                          []FileResult
	Tests, Passed, Failed, Skipped int
}

// SkipReasons lists why tests were skipped, one line per file and reason.
func (r *Result) SkipReasons() []string {
	var out []string
	for _, f := range r.Files {
		for _, reason := range slices.Sorted(mapKeys(f.Skips)) {
			out = append(out, fmt.Sprintf("%s: %d tests: %s", f.Path, f.Skips[reason], reason))
		}
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) { return mapsKeys(m) }

// Check runs every test of set against r and compares: reports, effects
// and states with spec.Diff (decimals by value, SPEC NUM-6), errors by path
// and rule (by rejection alone for a ledger event when r lacks
// "error-paths", as PROTOCOL.md PR-8 says).
func Check(set *Set, r Runner) *Result {
	res := &Result{}
	for _, lq := range set.Query {
		fr := FileResult{Path: lq.Path, Skips: map[string]int{}}
		for _, g := range lq.File.TestGroups {
			missing := missingCaps(r.Capabilities, g.Requires)
			for _, t := range g.Tests {
				if missing != "" {
					fr.skip("needs " + missing)
					continue
				}
				diffs, skip := r.query(t)
				fr.record(r, t.TcID, t.Comment, diffs, skip)
			}
		}
		res.add(fr)
	}
	for _, ll := range set.Ledger {
		fr := FileResult{Path: ll.Path, Skips: map[string]int{}}
		for _, g := range ll.File.TestGroups {
			missing := missingCaps(r.Capabilities, g.Requires)
			if missing == "" && r.Ledger == nil {
				missing = "a ledger (the runner has none)"
			}
			for _, t := range g.Tests {
				if missing != "" {
					fr.skip("needs " + missing)
					continue
				}
				diffs, skip := r.ledger(t)
				fr.record(r, t.TcID, t.Comment, diffs, skip)
			}
		}
		res.add(fr)
	}
	return res
}

func (r *Result) add(f FileResult) {
	r.Files = append(r.Files, f)
	r.Tests += f.Tests
	r.Passed += f.Passed
	r.Failed += f.Failed
	r.Skipped += f.Skipped
}

func (f *FileResult) skip(reason string) {
	f.Tests++
	f.Skipped++
	f.Skips[reason]++
}

func (f *FileResult) record(r Runner, id int, comment string, diffs []string, skip string) {
	switch {
	case skip != "":
		f.skip(skip)
	case len(diffs) == 0:
		f.Tests++
		f.Passed++
	default:
		f.Tests++
		f.Failed++
		max := r.MaxFailures
		if max == 0 {
			max = 3
		}
		if max < 0 || len(f.Failures) < max {
			if len(diffs) > 12 {
				diffs = append(diffs[:12:12], fmt.Sprintf("... %d more differences", len(diffs)-12))
			}
			f.Failures = append(f.Failures, Failure{TcID: id, Comment: comment, Diffs: diffs})
		}
	}
}

// missingCaps lists the capabilities of need that have lacks, or "".
func missingCaps(have, need []string) string {
	var miss []string
	for _, c := range need {
		if !slices.Contains(have, c) {
			miss = append(miss, c)
		}
	}
	return strings.Join(miss, ", ")
}

// notSupported returns the skip reason of an engine's not-supported
// answer, or "".
func notSupported(err error) string {
	var ns *protocol.NotSupportedError
	if errors.As(err, &ns) {
		return "the engine answered not-supported (" + ns.Request + "): " + ns.Text
	}
	if errors.Is(err, ErrNotSupported) {
		return "the engine answered: " + err.Error()
	}
	return ""
}

// query runs one query test: its differences, or a skip reason.
func (r Runner) query(t QueryTest) (diffs []string, skip string) {
	var rep *spec.Report
	var err error
	if t.ScenarioText != "" {
		te, ok := r.Engine.(TextEngine)
		if !ok {
			return nil, "the engine cannot read scenario text (raw-json)"
		}
		rep, err = te.EvaluateText([]byte(t.ScenarioText))
	} else {
		in := t.Scenario.Clone()
		rep, err = r.Engine.Evaluate(in)
		if d := spec.DiffExact(t.Scenario, in); len(d) > 0 {
			return prefix("the engine modified its input scenario (EVAL-1): ", d), ""
		}
	}
	if s := notSupported(err); s != "" {
		return nil, s
	}
	if t.Expected.Error != nil {
		return compareError(*t.Expected.Error, err, true), ""
	}
	if err != nil {
		return []string{"rejected: " + oneLine(err) + "; want a report"}, ""
	}
	if rep == nil {
		return []string{"no report and no error"}, ""
	}
	return r.declaredOnly(spec.Diff(t.Expected.Report, rep)), ""
}

// reportField is the field of a difference's path in positions[] or
// pools[].
var reportField = regexp.MustCompile(`^(?:positions|pools)\[\d+\]\.(\w+):`)

// declaredOnly drops the differences in report fields the engine does not
// declare (Runner.Outputs).
func (r Runner) declaredOnly(diffs []string) []string {
	if r.Outputs == nil {
		return diffs
	}
	return slices.DeleteFunc(diffs, func(d string) bool {
		m := reportField.FindStringSubmatch(d)
		return m != nil && !r.Outputs[m[1]]
	})
}

// compareError compares an engine's error with the expected one.
func compareError(want ExpectedError, err error, paths bool) []string {
	if err == nil {
		return []string{fmt.Sprintf("accepted; want the error %s at %s", want.Rule, want.Path)}
	}
	var se *spec.Error
	if !errors.As(err, &se) {
		return []string{fmt.Sprintf("failed with %s; want the error %s at %s", oneLine(err), want.Rule, want.Path)}
	}
	if paths && (se.Path != want.Path || se.Rule != want.Rule) {
		return []string{fmt.Sprintf("error %s at %s (%s); want %s at %s", se.Rule, se.Path, oneLine(se), want.Rule, want.Path)}
	}
	return nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// ledger runs one ledger test: its differences (from the first event that
// differs on, nothing after it is judged), or a skip reason.
func (r Runner) ledger(t LedgerTest) (diffs []string, skip string) {
	paths := slices.Contains(r.Capabilities, CapErrorPaths)
	pre := t.Pre.Clone()
	defer func() {
		if d := spec.DiffExact(t.Pre, pre); len(d) > 0 && skip == "" {
			diffs = append(diffs, prefix("the engine modified its input state (LED-7): ", d)...)
		}
	}()
	sess, err := r.Ledger.OpenLedger(pre)
	if s := notSupported(err); s != "" {
		return nil, s
	}
	if t.Result == ResultInvalid {
		if err == nil {
			sess.Close()
		}
		return compareError(*t.Error, err, paths), ""
	}
	if err != nil {
		return []string{"the pre state was rejected: " + oneLine(err)}, ""
	}
	defer sess.Close()
	for k, ev := range t.Events {
		effs, err := sess.Apply(ev)
		if s := notSupported(err); s != "" {
			return nil, s
		}
		want := t.Expected[k]
		var d []string
		switch {
		case want.Error != nil:
			d = compareError(*want.Error, err, paths)
		case err != nil:
			d = []string{"rejected: " + oneLine(err) + "; want it applied"}
		case !r.SkipEffects:
			d = spec.Diff(*want.Effects, effs)
		}
		if len(d) > 0 {
			return prefix(fmt.Sprintf("events[%d] (%s): ", k, ev.Type), d), ""
		}
	}
	st, err := sess.State()
	if err != nil {
		return []string{"state: " + oneLine(err)}, ""
	}
	return prefix("post: ", spec.Diff(t.Post, st)), ""
}

func prefix(p string, ds []string) []string {
	for i := range ds {
		ds[i] = p + ds[i]
	}
	return ds
}

// EngineFunc adapts an evaluation function to TextEngine: EvaluateText
// decodes the text strictly (SPEC EVAL-4: a decoding error is rule EVAL-4
// at its path, "$" for the whole document) and calls the function.
type EngineFunc func(s *spec.Scenario) (*spec.Report, error)

// Evaluate calls f.
func (f EngineFunc) Evaluate(s *spec.Scenario) (*spec.Report, error) { return f(s) }

// EvaluateText decodes data and calls f.
func (f EngineFunc) EvaluateText(data []byte) (*spec.Report, error) {
	var s spec.Scenario
	if err := strictjson.Unmarshal(data, &s); err != nil {
		return nil, jsonError(err)
	}
	return f(&s)
}

// GoLedger is the method set of the Go ledgers (*model.Ledger,
// *reference.Ledger).
type GoLedger interface {
	Apply(ev spec.Event) ([]spec.Effect, error)
	State() *spec.State
}

// LedgerFunc adapts a Go ledger constructor to LedgerOpener.
type LedgerFunc func(st *spec.State) (GoLedger, error)

// OpenLedger calls f.
func (f LedgerFunc) OpenLedger(st *spec.State) (LedgerSession, error) {
	l, err := f(st)
	if err != nil {
		return nil, err
	}
	return goSession{l}, nil
}

type goSession struct{ l GoLedger }

func (s goSession) Apply(ev spec.Event) ([]spec.Effect, error) { return s.l.Apply(ev) }
func (s goSession) State() (*spec.State, error)                { return s.l.State(), nil }
func (s goSession) Close() error                               { return nil }

// Model is the Runner of the fixed-point engine (package model), with every
// capability.
func Model() Runner {
	return Runner{
		Engine: EngineFunc(model.Evaluate),
		Ledger: LedgerFunc(func(st *spec.State) (GoLedger, error) {
			l, err := model.NewLedger(st)
			if err != nil {
				return nil, err
			}
			return l, nil
		}),
		Capabilities: AllCapabilities(),
	}
}

// Reference is the Runner of the reference (package reference), with every
// capability. The vectors were generated by it, so it passes by
// construction: checking it tests the runner and the files.
func Reference() Runner {
	return Runner{
		Engine: EngineFunc(reference.Evaluate),
		Ledger: LedgerFunc(func(st *spec.State) (GoLedger, error) {
			l, err := reference.NewLedger(st)
			if err != nil {
				return nil, err
			}
			return l, nil
		}),
		Capabilities: AllCapabilities(),
	}
}

// Protocol is the Runner of an engine behind perpcheck/1, with the
// capabilities it declared in init_ok, and "raw-json": the scenarioText
// tests are sent as text (protocol.Engine.EvaluateText), so every engine
// behind the protocol decodes them itself.
func Protocol(e *protocol.Engine) Runner {
	info := e.Info()
	caps := append(slices.DeleteFunc(slices.Clone(info.Capabilities), func(c string) bool { return c == CapRawJSON }), CapRawJSON)
	for rule, names := range info.Variants { // PR-5's variants, as RULE:name
		for _, n := range names {
			caps = append(caps, rule+":"+n)
		}
	}
	return Runner{
		Engine:       e,
		Ledger:       protocolLedger{e},
		Capabilities: caps,
		// Outputs is nil when the engine computes every output (PR-5).
		SkipEffects: info.Outputs != nil && !info.Outputs["effects"],
		Outputs:     info.Outputs,
	}
}

type protocolLedger struct{ e *protocol.Engine }

func (p protocolLedger) OpenLedger(st *spec.State) (LedgerSession, error) {
	s, err := p.e.OpenLedger(st)
	if err != nil {
		return nil, err
	}
	return s, nil
}
