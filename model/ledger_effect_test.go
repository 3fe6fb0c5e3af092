package model

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/perpcheck/perpcheck/spec"
)

// TestLedgerApplyAppend drives two ledgers through the same random runs
// (the generator of TestLedgerRandom, liquidations and ADL included): one
// with Apply, one with ApplyAppend into one reused buffer that starts with
// a sentinel effect. Per event: the same error (or none); ApplyAppend keeps
// the sentinel, appends exactly Apply's effects (their Spec) and on error
// returns the buffer unchanged; the final states are identical. Apply's
// effects are those the reference ledger produces (ledger_refdiff_test.go),
// so this pins ApplyAppend's buffer handling, not the arithmetic.
func TestLedgerApplyAppend(t *testing.T) {
	n := 60
	if testing.Short() {
		n = 15
	}
	sentinel := LedgerEffect{Event: -1, Type: spec.EffectPosting, From: "sentinel", Amount: 7}
	events, effects := 0, 0
	for i := 0; i < n; i++ {
		run := genLedgerRun(t, 11, uint64(i))
		la, err := NewLedger(&run.State)
		if err != nil {
			t.Fatal(err)
		}
		lb, _ := NewLedger(&run.State)
		buf := []LedgerEffect{sentinel}
		for k := range run.Events {
			ev := run.Events[k]
			orig := ev
			want, errA := la.Apply(ev)
			got, errB := lb.ApplyAppend(buf[:1], &ev)
			where := "run " + strconv.Itoa(i) + " event " + strconv.Itoa(k)
			if !reflect.DeepEqual(errA, errB) {
				t.Fatalf("%s: Apply error %v, ApplyAppend error %v", where, errA, errB)
			}
			if !reflect.DeepEqual(ev, orig) {
				t.Fatalf("%s: ApplyAppend modified the event", where)
			}
			if got[0] != sentinel {
				t.Fatalf("%s: ApplyAppend overwrote dst[0]: %+v", where, got[0])
			}
			if errB != nil {
				if len(got) != 1 {
					t.Fatalf("%s: failed ApplyAppend returned %d effects, want dst unchanged (1)", where, len(got))
				}
				continue
			}
			if len(got) != 1+len(want) {
				t.Fatalf("%s: ApplyAppend appended %d effects, Apply returned %d", where, len(got)-1, len(want))
			}
			for j := range want {
				if g := got[1+j].Spec(); mustJSON(t, g) != mustJSON(t, want[j]) {
					t.Fatalf("%s effect %d: ApplyAppend %s, Apply %s", where, j, mustJSON(t, g), mustJSON(t, want[j]))
				}
			}
			events++
			effects += len(want)
			// The ledger keeps no reference to dst: scribbling over it
			// changes nothing (checked by the next events and the states).
			for j := range got {
				got[j] = LedgerEffect{Account: "scribbled"}
			}
			got[0] = sentinel
			buf = got
		}
		if d := spec.DiffExact(la.State(), lb.State()); d != nil {
			t.Fatalf("run %d: final states differ: %v", i, d)
		}
	}
	if events == 0 || effects == 0 {
		t.Fatalf("no event applied (%d) or no effect (%d)", events, effects)
	}
}

// TestLedgerApplyAppendAllocs is the allocation budget of issue 15: with a
// reused effect buffer, a steady-state trade (increase and reduce, fees,
// the TRD-5 check) and a funding payment over many positions (FND-1..4 and
// the sweep that finds nothing) allocate nothing. The states are those of
// bench's BenchmarkLedger in small (testing.AllocsPerRun, no timing).
func TestLedgerApplyAppendAllocs(t *testing.T) {
	st := seedAState("0.01")
	st.Accounts["alice"] = spec.Account{WalletBalance: d("1000000"), Positions: st.Accounts["alice"].Positions}
	for i := 0; i < 40; i++ {
		side := spec.Long
		if i%2 == 1 {
			side = spec.Short
		}
		st.Accounts["acct"+strconv.Itoa(100+i)] = spec.Account{WalletBalance: d("100000"),
			Positions: []spec.Position{crossPos("BTCUSDT", side, "0.01", "30000")}}
	}
	tests := []struct {
		name   string
		events []spec.Event
		budget float64
	}{
		{"trade", []spec.Event{evTrade("BTCUSDT", "alice", "mm", "0.01", "30000"), evTrade("BTCUSDT", "mm", "alice", "0.01", "30000")}, 0},
		{"trade/maker-buyer", func() []spec.Event {
			a, b := evTrade("ETHUSDT", "alice", "mm", "0.1", "2000"), evTrade("ETHUSDT", "mm", "alice", "0.1", "2000")
			a.Maker, b.Maker = "buyer", "buyer"
			return []spec.Event{a, b}
		}(), 0},
		{"funding", []spec.Event{evFunding("BTCUSDT", "0.0001"), evFunding("BTCUSDT", "-0.0001")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewLedger(st)
			if err != nil {
				t.Fatal(err)
			}
			var buf []LedgerEffect
			i := 0
			step := func() {
				var err error
				if buf, err = l.ApplyAppend(buf[:0], &tt.events[i%len(tt.events)]); err != nil {
					t.Fatal(err)
				}
				if len(buf) == 0 {
					t.Fatal("no effects")
				}
				i++
			}
			for range 4 { // warm-up: the ledger's buffers and the effect buffer grow
				step()
			}
			if got := testing.AllocsPerRun(100, step); got > tt.budget {
				t.Errorf("%s: %v allocs per event, budget %v", tt.name, got, tt.budget)
			}
		})
	}
}
