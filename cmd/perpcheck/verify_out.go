package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/perpcheck/perpcheck/internal/mutants"
	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/properties"
	"github.com/perpcheck/perpcheck/protocol"
	"github.com/perpcheck/perpcheck/spec"
)

// Bounds on what result.json echoes of an engine's output: a hostile or
// broken engine must not make the report unbounded.
const (
	maxTranscriptLines = 400
	maxTranscriptLine  = 16 << 10
	maxDiffs           = 60
)

// verifyEngine describes the engine under test in the JSON result: its
// name and version (from init_ok for an -engine, else the built-in
// implementation and perpcheck's version), the command that started it, and
// what it declared.
type verifyEngine struct {
	Name         string              `json:"name"`
	Version      string              `json:"version"`
	Command      []string            `json:"command,omitempty"`
	Capabilities []string            `json:"capabilities"`
	Variants     map[string][]string `json:"variants,omitempty"`
	Grid         *protocol.Grid      `json:"grid,omitempty"`
	Outputs      map[string]bool     `json:"outputs,omitempty"`
}

// verifyNumbers are both engines' numbers on a counterexample: the
// oracle's (the engine the differential properties compare with) and the
// engine under test's. For a scenario, the report fields that differ and
// the liquidation price of the position the report's plot is about; for a
// run file, the effects (or error) of each event and the final state's
// fields that differ.
type verifyNumbers struct {
	// Oracle names the engine compared with ("reference" or "model").
	Oracle      string `json:"oracle"`
	OracleError string `json:"oracleError,omitempty"`
	EngineError string `json:"engineError,omitempty"`
	// Diffs are the report fields whose values differ, by JSON path, at
	// most maxDiffs of them (DiffsTruncated then says so).
	Diffs          []verifyDiff `json:"diffs"`
	DiffsTruncated bool         `json:"diffsTruncated,omitempty"`
	// Liquidation is about one position: the first whose liquidation price
	// differs (else the first whose report differs, else position 0).
	Liquidation *verifyLiquidation `json:"liquidation,omitempty"`
}

// verifyDiff is one report field that differs; a missing value is "".
type verifyDiff struct {
	Path   string `json:"path"`
	Oracle string `json:"oracle"`
	Engine string `json:"engine"`
}

// verifyLiquidation is one position's liquidation price in both reports
// ("" when a report has none).
type verifyLiquidation struct {
	Position int    `json:"position"`
	Market   string `json:"market"`
	Oracle   string `json:"oracle"`
	Engine   string `json:"engine"`
}

// describeEngine returns the engine section of the result: from init_ok
// for an engine command (started once more, then closed), else the
// built-in implementation impl with the capabilities of factory.
func describeEngine(impl string, command []string, factory properties.Factory, timeout time.Duration) *verifyEngine {
	if command == nil {
		names := []string{}
		_, caps := factory()
		for _, c := range caps {
			names = append(names, string(c))
		}
		return &verifyEngine{Name: impl, Version: version(), Capabilities: names}
	}
	ve := &verifyEngine{Name: strings.Join(command, " "), Command: command, Capabilities: []string{}}
	e, err := protocol.Start(command, protocol.Options{Timeout: timeout})
	if err != nil {
		return ve
	}
	defer e.Close()
	info := e.Info()
	ve.Name, ve.Version, ve.Grid, ve.Variants, ve.Outputs = clip(info.Engine, 200), clip(info.Version, 200), info.Grid, info.Variants, info.Outputs
	ve.Capabilities = append([]string{}, info.Capabilities...)
	return ve
}

// addCounterexampleDetails completes the failures of rep from res: each
// counterexample's input file, its transcript (from the files -out wrote)
// and, for a scenario, both engines' numbers (the engine under test from
// factory, the oracle: oracle, or the reference when nil).
func addCounterexampleDetails(rep *verifyReport, res *properties.Result, factory properties.Factory, oracle properties.Engine) {
	oracleName := "reference"
	if oracle == nil {
		oracle, _ = mutants.Reference()()
	} else {
		oracleName = "model"
	}
	byID := map[string]*properties.PropertyResult{}
	for i := range res.Properties {
		byID[res.Properties[i].ID] = &res.Properties[i]
	}
	for i := range rep.Properties {
		vp := &rep.Properties[i]
		p := byID[vp.ID]
		if vp.Failure == nil || p == nil || p.Failure == nil {
			continue
		}
		for k := range vp.Failure.Counterexamples {
			if k >= len(p.Failure.Counterexamples) {
				break
			}
			c := p.Failure.Counterexamples[k]
			vc := &vp.Failure.Counterexamples[k]
			if json.Valid([]byte(c.JSON)) {
				vc.Input = json.RawMessage(c.JSON)
			}
			vc.Transcript = transcriptFile(vp.Failure.Files, vp.ID, c.Label)
			if isStateFile([]byte(c.JSON)) {
				vc.Numbers = compareRun(c.JSON, factory, oracle, oracleName)
				continue
			}
			vc.Numbers = compareOn(c.JSON, factory, oracle, oracleName)
		}
	}
}

// transcriptFile reads the transcript -out wrote for the counterexample
// label of property id (nil when there is none), bounded.
func transcriptFile(files []string, id, label string) []string {
	want := sanitize(id) + "-" + sanitize(label) + ".transcript"
	for _, f := range files {
		if filepath.Base(f) != want {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > maxTranscriptLines {
			lines = append(lines[:maxTranscriptLines:maxTranscriptLines], fmt.Sprintf("... (%d more lines in %s)", len(lines)-maxTranscriptLines, want))
		}
		for i, l := range lines {
			lines[i] = clip(l, maxTranscriptLine)
		}
		return lines
	}
	return nil
}

// clip bounds s to n bytes (on a rune boundary), saying how much was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + fmt.Sprintf("... (%d bytes cut)", len(s)-cut)
}

// compareOn evaluates the scenario text with a fresh engine of factory and
// with oracle and returns their numbers (nil when the text is not a
// scenario).
func compareOn(text string, factory properties.Factory, oracle properties.Engine, oracleName string) *verifyNumbers {
	s, err := decodeScenario([]byte(text))
	if err != nil {
		return nil
	}
	n := &verifyNumbers{Oracle: oracleName, Diffs: []verifyDiff{}}
	want, oerr := safeEvaluate(oracle, s.Clone())
	var got *spec.Report
	var gerr error
	if factory != nil {
		e, _ := factory()
		got, gerr = safeEvaluate(e, s.Clone())
	} else {
		gerr = errors.New("no engine")
	}
	if oerr != nil {
		n.OracleError = clip(oerr.Error(), 2000)
	}
	if gerr != nil {
		n.EngineError = clip(gerr.Error(), 2000)
	}
	var wf, gf map[string]string
	if want != nil {
		wf = flatten(want)
	}
	if got != nil {
		gf = flatten(got)
	}
	n.diff(wf, gf)
	if len(s.Account.Positions) == 0 {
		return n
	}
	pos := -1
	for _, prefer := range []string{".liquidationPrice", ""} {
		for i := range s.Account.Positions {
			pre := fmt.Sprintf("positions[%d]%s", i, prefer)
			if pos < 0 && slices.ContainsFunc(n.Diffs, func(d verifyDiff) bool {
				return d.Path == pre || strings.HasPrefix(d.Path, pre+".") || prefer == "" && strings.HasPrefix(d.Path, pre)
			}) {
				pos = i
			}
		}
	}
	if pos < 0 {
		pos = 0
	}
	key := fmt.Sprintf("positions[%d].liquidationPrice", pos)
	n.Liquidation = &verifyLiquidation{Position: pos, Market: s.Account.Positions[pos].Market, Oracle: wf[key], Engine: gf[key]}
	return n
}

// diff sets n.Diffs to the paths where the flattened outputs want (the
// oracle's) and got (the engine's) differ, in path order, at most maxDiffs.
func (n *verifyNumbers) diff(want, got map[string]string) {
	var paths []string
	for p := range want {
		paths = append(paths, p)
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		if want[p] != got[p] {
			if len(n.Diffs) == maxDiffs {
				n.DiffsTruncated = true
				break
			}
			n.Diffs = append(n.Diffs, verifyDiff{Path: p, Oracle: clip(want[p], 200), Engine: clip(got[p], 200)})
		}
	}
}

// ledgerOutcome is what a ledger engine made of a run file: each event's
// effects or error (its path and rule: messages are free text), and the
// final state.
type ledgerOutcome struct {
	Events []ledgerEvent `json:"events"`
	State  *spec.State   `json:"state"`
}

type ledgerEvent struct {
	Effects []spec.Effect `json:"effects"`
	Error   string        `json:"error,omitempty"`
}

// compareRun applies the run file text to a ledger of a fresh engine of
// factory and of oracle and returns where their effects and final states
// differ (nil when the text is not a run file).
func compareRun(text string, factory properties.Factory, oracle properties.Engine, oracleName string) *verifyNumbers {
	var r spec.Run
	if strictjson.Unmarshal([]byte(text), &r) != nil {
		return nil
	}
	n := &verifyNumbers{Oracle: oracleName, Diffs: []verifyDiff{}}
	want, oerr := applyRun(oracle, &r)
	var got map[string]string
	var gerr error
	if factory != nil {
		e, _ := factory()
		got, gerr = applyRun(e, &r)
	}
	if oerr != nil {
		n.OracleError = clip(oerr.Error(), 2000)
	}
	if gerr != nil {
		n.EngineError = clip(gerr.Error(), 2000)
	}
	n.diff(want, got)
	return n
}

// applyRun applies r's events to a ledger of e started from r's state and
// returns the flattened outcome; a panic or a ledger that does not start is
// an error.
func applyRun(e properties.Engine, r *spec.Run) (out map[string]string, err error) {
	defer func() {
		if v := recover(); v != nil {
			out, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	le, ok := e.(properties.LedgerEngine)
	if !ok {
		return nil, errors.New("not a ledger engine")
	}
	sess, err := le.NewLedger(r.State.Clone())
	if err != nil {
		return nil, err
	}
	o := ledgerOutcome{Events: []ledgerEvent{}}
	for _, ev := range r.Events {
		effs, err := sess.Apply(ev)
		le := ledgerEvent{Effects: effs}
		if err != nil {
			le.Effects, le.Error = nil, "error"
			var se *spec.Error
			if errors.As(err, &se) {
				le.Error = se.Path + ": " + se.Rule
			}
		}
		o.Events = append(o.Events, le)
	}
	o.State = sess.State()
	return flatten(o), nil
}

// safeEvaluate is e.Evaluate with a panic as an error.
func safeEvaluate(e properties.Engine, s *spec.Scenario) (rep *spec.Report, err error) {
	defer func() {
		if v := recover(); v != nil {
			rep, err = nil, fmt.Errorf("panic: %v", v)
		}
	}()
	return e.Evaluate(s)
}

// flatten maps every leaf of r's JSON to its value by path
// ("positions[0].liquidationPrice"); null leaves are left out.
func flatten(r any) map[string]string {
	out := map[string]string{}
	data, err := json.Marshal(r)
	if err != nil {
		return out
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return out
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				p := spec.PathKey(k)
				if path != "" {
					p = path + "." + p
				}
				walk(p, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case nil:
		case string:
			out[path] = x
		default:
			out[path] = fmt.Sprint(x)
		}
	}
	walk("", v)
	return out
}

// writeOutDir writes DIR/result.json and DIR/index.html for rep.
func writeOutDir(dir string, rep *verifyReport) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeVerifyReport(filepath.Join(dir, "result.json"), nil, rep); err != nil {
		return err
	}
	return writeHTML(filepath.Join(dir, "index.html"), rep)
}

// writeHTML renders rep as HTML to the file name.
func writeHTML(name string, rep *verifyReport) error {
	var buf bytes.Buffer
	if err := renderHTML(&buf, rep); err != nil {
		return err
	}
	return os.WriteFile(name, buf.Bytes(), 0o644)
}
