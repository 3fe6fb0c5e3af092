package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// runOutput is what `perpcheck run` prints: one result per event (an error for
// a rejected event), every effect in order, and the final state.
type runOutput struct {
	Results []spec.EventResult `json:"results"`
	Effects []spec.Effect      `json:"effects"`
	State   *spec.State        `json:"state"`
}

// cmdRun applies a run file's events (SPEC LED) and prints effects and the final state.
func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	statePath := fs.String("state", "", "also write the final state to this file (perpcheck eval reads it)")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprint(stderr, "usage: perpcheck run [-state OUT.json] FILE\n")
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
	markets, err := resolveMarkets(r.Markets)
	if err != nil {
		return inputError(stderr, err)
	}
	r.Markets = markets
	final, effects, results, err := model.RunEvents(&r)
	if err != nil {
		return inputError(stderr, err)
	}
	if effects == nil {
		effects = []spec.Effect{}
	}
	if results == nil {
		results = []spec.EventResult{}
	}
	if *statePath != "" {
		out, err := json.MarshalIndent(final, "", "  ")
		if err == nil {
			err = os.WriteFile(*statePath, append(out, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "perpcheck: %v\n", err)
			return 1
		}
	}
	return writeJSON(stdout, stderr, runOutput{Results: results, Effects: effects, State: final})
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

// stateReport is the report of `perpcheck eval` on a state: one report per
// account, the insurance fund's under model.InsuranceAccount.
type stateReport struct {
	Accounts map[string]*spec.Report `json:"accounts"`
}

// evalState evaluates every account of a ledger state as its own scenario.
func evalState(data []byte, stdout, stderr io.Writer) int {
	var st spec.State
	if err := strictjson.Unmarshal(data, &st); err != nil {
		return inputError(stderr, jsonError(err))
	}
	markets, err := resolveMarkets(st.Markets)
	if err != nil {
		return inputError(stderr, err)
	}
	accounts := map[string]spec.Account{}
	for id, a := range st.Accounts {
		accounts[id] = a
	}
	accounts[spec.InsuranceAccount] = st.InsuranceFund
	ids := slices.Sorted(maps.Keys(accounts))
	out := stateReport{Accounts: map[string]*spec.Report{}}
	for _, id := range ids {
		rep, err := model.Evaluate(&spec.Scenario{Markets: markets, Prices: st.Prices, Account: accounts[id]})
		if err != nil {
			var me *spec.Error
			if errors.As(err, &me) && len(me.Path) >= len("account") && me.Path[:len("account")] == "account" {
				me = &spec.Error{Path: "accounts." + id + me.Path[len("account"):], Rule: me.Rule, Msg: me.Msg}
				if id == spec.InsuranceAccount {
					me.Path = "insuranceFund" + me.Path[len("accounts."+id):]
				}
				err = me
			}
			return inputError(stderr, err)
		}
		out.Accounts[id] = rep
	}
	return writeJSON(stdout, stderr, out)
}
