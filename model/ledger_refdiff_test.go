//go:build refdiff

// This file is an opt-in differential test of the ledger against the apd
// reference ledger (go test -tags refdiff -run LedgerDiff ./model/): random
// runs, compared event by event on error Path/Rule, effects and state. It is
// behind a build tag so that the model's own tests do not depend on another
// package's state of work.

package model_test

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
)

func js(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLedgerDiff(t *testing.T) {
	n := 300
	if v := os.Getenv("LEDGER_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	seed := uint64(1)
	if v := os.Getenv("LEDGER_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	for i := 0; i < n; i++ {
		run := model.GenLedgerRun(t, seed, uint64(i))
		diffRun(t, "run "+strconv.Itoa(i), &run.State, run.Events)
	}
}

// FuzzLedgerDiff compares the two ledgers on decoded event sequences
// (go test -tags refdiff -fuzz FuzzLedgerDiff ./model/).
func FuzzLedgerDiff(f *testing.F) {
	f.Add([]byte{2, 0, 1, 0, 0, 0, 0, 0, 0, 0, 10, 3, 0, 0, 0, 0, 0, 0, 0, 80})
	f.Add([]byte{4, 0, 0, 0, 0, 0, 0, 1, 0, 2, 5, 1, 0, 0, 0, 0, 0, 0, 0, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		st, evs := model.DecodeLedgerRun(data)
		diffRun(t, "fuzz", st, evs)
	})
}

// diffRun applies evs on both ledgers and fails at the first difference in
// error Path/Rule, effects or state.
func diffRun(t *testing.T, name string, st *model.State, evs []model.Event) {
	t.Helper()
	ml, merr := model.NewLedger(st)
	rl, rerr := reference.NewLedger(st)
	if (merr == nil) != (rerr == nil) {
		t.Fatalf("%s: NewLedger model %v reference %v", name, merr, rerr)
	}
	if merr != nil {
		return
	}
	if a, b := js(t, ml.State()), js(t, rl.State()); a != b {
		t.Fatalf("%s: initial state\nmodel     %s\nreference %s", name, a, b)
	}
	for k, ev := range evs {
		me, merr := ml.Apply(ev)
		re, rerr := rl.Apply(ev)
		if (merr == nil) != (rerr == nil) {
			t.Fatalf("%s event %d %s: model err %v, reference err %v\nmodel effects %s\nreference effects %s", name, k, js(t, ev), merr, rerr, js(t, me), js(t, re))
		}
		if merr != nil {
			a, b := merr.(*model.Error), rerr.(*model.Error)
			if a.Path != b.Path || a.Rule != b.Rule {
				t.Fatalf("%s event %d %s: model %v, reference %v", name, k, js(t, ev), a, b)
			}
			continue
		}
		if len(me) == 0 && len(re) == 0 {
			me, re = nil, nil
		}
		if a, b := js(t, me), js(t, re); a != b {
			t.Fatalf("%s event %d %s: effects\nmodel     %s\nreference %s", name, k, js(t, ev), a, b)
		}
		if a, b := js(t, ml.State()), js(t, rl.State()); a != b {
			t.Fatalf("%s event %d %s: state\nmodel     %s\nreference %s", name, k, js(t, ev), a, b)
		}
	}
}

func TestLedgerDiffStates(t *testing.T) {
	n := 2000
	if v := os.Getenv("LEDGER_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	for i := 0; i < n; i++ {
		st := model.GenLedgerState(1, uint64(i))
		_, merr := model.NewLedger(st)
		_, rerr := reference.NewLedger(st)
		if (merr == nil) != (rerr == nil) {
			t.Fatalf("state %d: model %v, reference %v", i, merr, rerr)
		}
		if merr != nil {
			a, b := merr.(*model.Error), rerr.(*model.Error)
			if a.Path != b.Path || a.Rule != b.Rule {
				t.Fatalf("state %d: model %v, reference %v", i, a, b)
			}
		}
	}
}
