package fuzz

import (
	"testing"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// FuzzLedgerDifferential applies a decoded state and event sequence (decodeLedger)
// to model.Ledger and reference.Ledger and compares them after every event
// (checkLedger).
func FuzzLedgerDifferential(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 10, 0, 20, 0, 30, 0, 0, 2, 1, 3, 5, 0, 0, 5, 1, 0, 5, 128, 0, 1, 5, 200})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := checkLedger(data, newReferenceLedger); err != nil {
			t.Fatal(err)
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
