package fuzz

import (
	"encoding/json"
	"testing"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

func ledgerErrKey(err error) string {
	if err == nil {
		return "ok"
	}
	if e, ok := err.(*spec.Error); ok {
		return e.Path + " " + e.Rule
	}
	return "untyped: " + err.Error()
}

func ledgerJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "marshal error: " + err.Error()
	}
	if string(b) == "null" {
		return "[]"
	}
	return string(b)
}

// FuzzLedgerDifferential applies a decoded state and event sequence (DecodeLedger)
// to model.Ledger and reference.Ledger: after every event both must agree on
// whether it is rejected (and on Path and Rule), produce identical effects and
// states, and pass their LED-4 checks (SPEC LED, TRD, FND, LQ, ADL).
func FuzzLedgerDifferential(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 10, 0, 20, 0, 30, 0, 0, 2, 1, 3, 5, 0, 0, 5, 1, 0, 5, 128, 0, 1, 5, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		st, events := DecodeLedger(data)
		ml, merr := model.NewLedger(st)
		rl, rerr := reference.NewLedger(st)
		if ledgerErrKey(merr) != ledgerErrKey(rerr) {
			t.Fatalf("NewLedger: model %v, reference %v", merr, rerr)
		}
		if merr != nil {
			return
		}
		for k, ev := range events {
			meff, merr := ml.Apply(ev)
			reff, rerr := rl.Apply(ev)
			if ledgerErrKey(merr) != ledgerErrKey(rerr) {
				t.Fatalf("event %d (%s): model %v, reference %v", k, ev.Type, merr, rerr)
			}
			if a, b := ledgerJSON(meff), ledgerJSON(reff); a != b {
				t.Fatalf("event %d (%s): effects differ\nmodel:     %s\nreference: %s", k, ev.Type, a, b)
			}
			if a, b := ledgerJSON(ml.State()), ledgerJSON(rl.State()); a != b {
				t.Fatalf("event %d (%s): states differ\nmodel:     %s\nreference: %s", k, ev.Type, a, b)
			}
			if err := ml.Check(); err != nil {
				t.Fatalf("event %d (%s): model LED-4: %v", k, ev.Type, err)
			}
			if err := rl.Check(); err != nil {
				t.Fatalf("event %d (%s): reference LED-4: %v", k, ev.Type, err)
			}
		}
	})
}

// FuzzRunJSON throws bytes at the run-file path of `perpcheck run`: strict
// JSON decoding into model.Run and model.RunEvents. Nothing may panic; errors
// are typed; a run that loads gives one result per event.
func FuzzRunJSON(f *testing.F) {
	f.Add([]byte(`{"markets":{},"prices":{},"accounts":{},"insuranceFund":{"walletBalance":"0","positions":[]},"events":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		var r spec.Run
		if err := strictjson.Unmarshal(data, &r); err != nil {
			if _, ok := err.(*strictjson.Error); !ok {
				t.Fatalf("decode error of type %T: %v", err, err)
			}
			return
		}
		if len(r.Events) > 64 {
			return
		}
		_, _, results, err := model.RunEvents(&r)
		if err != nil {
			if _, ok := err.(*spec.Error); !ok {
				t.Fatalf("RunEvents error of type %T: %v", err, err)
			}
			return
		}
		if len(results) != len(r.Events) {
			t.Fatalf("%d results for %d events", len(results), len(r.Events))
		}
	})
}
