package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// cmdRun applies a run file's events (SPEC LED) and prints, as one JSON
// object, "effects" (every effect in order), "results" (one per event, with
// the error of a rejected event) and "state" (the final state). The effects
// are written as they happen, so memory stays bounded by the state and the
// results, not by the effects (EVAL-6). -compact writes no indentation;
// -state FILE also writes the final state to FILE, and -state - writes only
// the final state to stdout (for "perpcheck eval -").
func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	statePath := fs.String("state", "", "also write the final state to this file (perpcheck eval reads it); - writes only the state to stdout")
	compact := fs.Bool("compact", false, "write compact JSON (no indentation)")
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: perpcheck run [-compact] [-state OUT.json|-] FILE\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	data, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "perpcheck: %v\n", err)
		return 2
	}
	var r spec.Run
	if err := strictjson.Unmarshal(data, &r); err != nil {
		return inputError(stderr, jsonError(err))
	}
	data = nil
	markets, err := resolveMarkets(r.Markets)
	if err != nil {
		return inputError(stderr, err)
	}
	r.Markets = markets
	l, err := model.NewLedger(&r.State)
	if err != nil {
		return inputError(stderr, err)
	}
	r.State = spec.State{}
	stateOnly := *statePath == "-"
	w := bufio.NewWriterSize(stdout, 1<<16)
	enc := jsonWriter{w: w, compact: *compact}
	if !stateOnly {
		enc.raw("{")
		enc.key(1, "effects")
		enc.raw("[")
	}
	results := make([]spec.EventResult, 0, len(r.Events))
	first := true
	// The model's fixed-point effects, one reused buffer (ApplyAppend), each
	// written as the JSON of its spec.Effect (run_effects.go) without
	// building the decimals.
	var effs []model.LedgerEffect
	for i := range r.Events {
		var e error
		effs, e = l.ApplyAppend(effs[:0], &r.Events[i])
		res := spec.EventResult{Event: i}
		if e != nil {
			me, ok := e.(*spec.Error)
			if !ok {
				fmt.Fprintf(stderr, "perpcheck: event %d: %v\n", i, e)
				return 1
			}
			res.Error = me
		}
		results = append(results, res)
		if stateOnly {
			continue
		}
		for k := range effs {
			if !first {
				enc.raw(",")
			}
			first = false
			enc.newline(2)
			enc.effect(2, &effs[k])
		}
		r.Events[i] = spec.Event{} // the event is done; let it go
	}
	final := l.State()
	if stateOnly {
		enc.value(0, final)
		enc.raw("\n")
	} else {
		if !first {
			enc.newline(1)
		}
		enc.raw("],")
		enc.key(1, "results")
		enc.value(1, results)
		enc.raw(",")
		enc.key(1, "state")
		enc.value(1, final)
		enc.newline(0)
		enc.raw("}\n")
	}
	if enc.err == nil {
		enc.err = w.Flush()
	}
	if enc.err != nil {
		fmt.Fprintf(stderr, "perpcheck: %v\n", enc.err)
		return 1
	}
	if *statePath != "" && !stateOnly {
		out, err := json.MarshalIndent(final, "", "  ")
		if err == nil {
			err = os.WriteFile(*statePath, append(out, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "perpcheck: %v\n", err)
			return 1
		}
	}
	return 0
}

// jsonWriter writes one JSON document piece by piece, indented by two
// spaces per level unless compact; the first error sticks.
type jsonWriter struct {
	w       *bufio.Writer
	compact bool
	err     error
	buf     []byte // effect's scratch space
}

func (j *jsonWriter) raw(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

func (j *jsonWriter) newline(level int) {
	if !j.compact {
		j.raw("\n")
		for range level {
			j.raw("  ")
		}
	}
}

func (j *jsonWriter) key(level int, name string) {
	j.newline(level)
	j.raw(`"` + name + `":`)
	if !j.compact {
		j.raw(" ")
	}
}

func (j *jsonWriter) value(level int, v any) {
	if j.err != nil {
		return
	}
	var out []byte
	if j.compact {
		out, j.err = json.Marshal(v)
	} else {
		prefix := strings.Repeat("  ", level)
		out, j.err = json.MarshalIndent(v, prefix, "  ")
	}
	if j.err == nil {
		_, j.err = j.w.Write(out)
	}
}

// resolveMarkets applies venue profiles (SPEC PROF-1) to a state's markets.
func resolveMarkets(markets map[string]spec.Market) (map[string]spec.Market, error) {
	s, err := venue.Resolve(&spec.Scenario{Markets: markets})
	if err != nil {
		return nil, err
	}
	return s.Markets, nil
}

// jsonError turns a strictjson error into the EVAL-4 error the CLI reports.
func jsonError(err error) error {
	var je *strictjson.Error
	if errors.As(err, &je) {
		path := je.Path
		if path == "" {
			path = "$"
		}
		return &spec.Error{Path: path, Rule: "EVAL-4", Msg: je.Msg}
	}
	return err
}

// isStateFile reports whether a JSON document is a ledger state (it has
// "accounts" or "insuranceFund") rather than a one-account scenario.
func isStateFile(data []byte) bool {
	var keys map[string]json.RawMessage
	if json.Unmarshal(data, &keys) != nil {
		return false
	}
	_, a := keys["accounts"]
	_, f := keys["insuranceFund"]
	return a || f
}

// stateReport is the report of `perpcheck eval` on a state (SPEC EVAL-6):
// one report per trader account. The insurance fund is never checked for
// margin (LED-2) and its wallet may be negative (LED-1), so it has no report.
//
// An account whose wallet or an isolated margin is negative is a valid
// ledger account (SPEC ACC-2) but not a scenario (ACC-1, POS-5), and one
// whose report would leave the number range (NUM-2) has no report: it is
// listed under unevaluated with the error that keeps it from being
// reported.
type stateReport struct {
	Accounts    map[string]*spec.Report `json:"accounts"`
	Unevaluated map[string]*spec.Error  `json:"unevaluated,omitempty"`
}

// ledgerOnly says whether err is the error of an account that a ledger
// state may hold and that eval cannot report (SPEC ACC-2, EVAL-6): a
// negative wallet (ACC-1), a negative isolated margin (POS-5), or a
// reported value out of range (NUM-2 at a report path: a wallet near the
// range's edge plus unrealized profit).
func ledgerOnly(a spec.Account, err error) bool {
	var me *spec.Error
	if !errors.As(err, &me) {
		return false
	}
	switch {
	case me.Rule == "NUM-2" && (strings.HasPrefix(me.Path, "positions[") || strings.HasPrefix(me.Path, "pools[")):
		return true // a reported value out of range (EVAL-6)
	case me.Rule == "ACC-1" && me.Path == "account.walletBalance":
		return a.WalletBalance.IsNegative()
	case me.Rule == "POS-5" && strings.HasSuffix(me.Path, ".isolatedMargin"):
		for _, p := range a.Positions {
			if p.IsolatedMargin.Valid && p.IsolatedMargin.Decimal.IsNegative() {
				return true
			}
		}
	}
	return false
}

// evalState validates a ledger state as perpcheck run does (LED-1, LED-2,
// LED-4, and the scenario rules for every account) and evaluates every
// trader account as its own scenario.
func evalState(data []byte, stdout, stderr io.Writer) int {
	var st spec.State
	if err := strictjson.Unmarshal(data, &st); err != nil {
		return inputError(stderr, jsonError(err))
	}
	markets, err := resolveMarkets(st.Markets)
	if err != nil {
		return inputError(stderr, err)
	}
	st.Markets = markets
	if _, err := model.NewLedger(&st); err != nil {
		return inputError(stderr, err)
	}
	out := stateReport{Accounts: map[string]*spec.Report{}}
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		rep, err := model.Evaluate(&spec.Scenario{Markets: markets, Prices: st.Prices, Account: st.Accounts[id]})
		if err != nil && ledgerOnly(st.Accounts[id], err) {
			var me *spec.Error
			errors.As(err, &me)
			if out.Unevaluated == nil {
				out.Unevaluated = map[string]*spec.Error{}
			}
			path := "accounts." + spec.PathKey(id) + "." + me.Path // a report path
			if rest, ok := strings.CutPrefix(me.Path, "account"); ok {
				path = "accounts." + spec.PathKey(id) + rest
			}
			out.Unevaluated[id] = &spec.Error{Path: path, Rule: me.Rule, Msg: me.Msg}
			continue
		}
		if err != nil {
			var me *spec.Error
			if errors.As(err, &me) && strings.HasPrefix(me.Path, "account") {
				err = &spec.Error{Path: "accounts." + spec.PathKey(id) + me.Path[len("account"):], Rule: me.Rule, Msg: me.Msg}
			}
			return inputError(stderr, err)
		}
		out.Accounts[id] = rep
	}
	return writeJSON(stdout, stderr, out)
}
