package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// runViaApply is perpcheck run's output as it was written before run used
// Ledger.ApplyAppend (commit c015cba): Ledger.Apply's spec.Effects, each
// written by encoding/json. It is the oracle of the byte-for-byte tests
// below (no -state).
func runViaApply(t *testing.T, data []byte, compact bool) []byte {
	t.Helper()
	var r spec.Run
	if err := strictjson.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	markets, err := resolveMarkets(r.Markets)
	if err != nil {
		t.Fatal(err)
	}
	r.Markets = markets
	l, err := model.NewLedger(&r.State)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := bufio.NewWriter(&out)
	enc := jsonWriter{w: w, compact: compact}
	enc.raw("{")
	enc.key(1, "effects")
	enc.raw("[")
	var results []spec.EventResult
	first := true
	for i, ev := range r.Events {
		effs, e := l.Apply(ev)
		res := spec.EventResult{Event: i}
		if e != nil {
			res.Error = e.(*spec.Error)
		}
		results = append(results, res)
		for k := range effs {
			if !first {
				enc.raw(",")
			}
			first = false
			enc.newline(2)
			enc.value(2, &effs[k])
		}
	}
	if !first {
		enc.newline(1)
	}
	enc.raw("],")
	enc.key(1, "results")
	enc.value(1, results)
	enc.raw(",")
	enc.key(1, "state")
	enc.value(1, l.State())
	enc.newline(0)
	enc.raw("}\n")
	if err := w.Flush(); err != nil || enc.err != nil {
		t.Fatal(err, enc.err)
	}
	return out.Bytes()
}

// runInputs returns the run files the tests below use: every
// examples/runs/*.json and runs of gen.LedgerRun (every capability),
// written to t's temporary directory.
func runInputs(t *testing.T, generated int) []string {
	t.Helper()
	files, err := filepath.Glob("../../examples/runs/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example runs: %v", err)
	}
	c := gen.Config{Isolated: true, Funding: true, ADL: true, EntryBasis: true}
	dir := t.TempDir()
	for i := range generated {
		run := gen.LedgerRun(c).Example(i)
		data, err := json.Marshal(run)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, "gen-"+strconv.Itoa(i)+".json")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	return files
}

// TestRunOutputSameAsApply: `perpcheck run` (ApplyAppend, effects written
// from the fixed-point values) writes byte for byte what it wrote through
// Ledger.Apply and encoding/json, indented and -compact, on the example runs
// and on generated runs (postings, fills, liquidations, rejected events).
func TestRunOutputSameAsApply(t *testing.T) {
	var effects, rejected int
	types := map[spec.EffectType]int{}
	for _, name := range runInputs(t, 40) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, compact := range []bool{false, true} {
			args := []string{"run", name}
			if compact {
				args = []string{"run", "-compact", name}
			}
			var out, errb bytes.Buffer
			if code := run(args, nil, &out, &errb); code != 0 {
				t.Fatalf("%s: exit %d: %s", name, code, errb.String())
			}
			want := runViaApply(t, data, compact)
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("%s (compact %v): output differs from the Apply path at byte %d:\ngot:  %.300s\nwant: %.300s",
					name, compact, firstDiff(out.Bytes(), want), out.Bytes()[max(0, firstDiff(out.Bytes(), want)-100):], want[max(0, firstDiff(out.Bytes(), want)-100):])
			}
			if compact {
				var doc struct {
					Effects []spec.Effect      `json:"effects"`
					Results []spec.EventResult `json:"results"`
				}
				if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
					t.Fatal(err)
				}
				effects += len(doc.Effects)
				for _, e := range doc.Effects {
					types[e.Type]++
				}
				for _, r := range doc.Results {
					if r.Error != nil {
						rejected++
					}
				}
			}
		}
	}
	t.Logf("%d effects %v, %d rejected events", effects, types, rejected)
	if effects < 200 || rejected < 5 || types[spec.EffectFill] == 0 || types[spec.EffectLiquidation] == 0 {
		t.Fatalf("too little covered: %d effects %v, %d rejected events", effects, types, rejected)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestAppendLedgerEffect holds appendLedgerEffect to encoding/json on the
// spec.Effect of random effects (every type, strings with characters
// encoding/json escapes, amounts across the whole Fixed range) at nesting
// levels 0-5, compact and indented.
func TestAppendLedgerEffect(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 3))
	strs := []string{"", "a", "ACC-1", "insurance", "q\"\\<>&\u2028\x01é", "BTCUSDT", "\xff"}
	fixeds := []model.Fixed{0, 1, -1, 100000000, 150000000, -99999999, model.MaxFixed, -model.MaxFixed, 1234500000000}
	types := []spec.EffectType{spec.EffectPosting, spec.EffectFill, spec.EffectLiquidation, "other"}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	fixed := func() model.Fixed {
		if r.IntN(2) == 0 {
			return fixeds[r.IntN(len(fixeds))]
		}
		return model.Fixed(r.Int64N(int64(model.MaxFixed)) - r.Int64N(int64(model.MaxFixed)))
	}
	for n := 0; n < 3000; n++ {
		e := model.LedgerEffect{Event: r.IntN(1 << 20), Type: types[r.IntN(len(types))], From: pick(strs), To: pick(strs),
			Amount: fixed(), Reason: pick(strs), Account: pick(strs), Market: pick(strs), Side: spec.Side(pick(strs)),
			Size: fixed(), Price: fixed(), Counterparty: pick(strs), Kind: pick(strs), Pool: spec.MarginMode(pick(strs))}
		se := e.Spec()
		for level := range 6 {
			want, err := json.MarshalIndent(&se, strings.Repeat("  ", level), "  ")
			if err != nil {
				t.Fatal(err)
			}
			if got := appendLedgerEffect(nil, &e, level, false); string(got) != string(want) {
				t.Fatalf("level %d indented:\ngot  %s\nwant %s", level, got, want)
			}
			want, _ = json.Marshal(&se)
			if got := appendLedgerEffect(nil, &e, level, true); string(got) != string(want) {
				t.Fatalf("compact:\ngot  %s\nwant %s", got, want)
			}
		}
	}
}
