package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyModelPasses runs a small verify against the model: exit 0, the
// table has a PASS row per selected property with the documented columns.
func TestVerifyModelPasses(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"verify", "-checks", "20", "-ledger-checks", "5", "-seed", "3", "-mutants=false", "-run", "^(LIQ-6/tick|LED-4/stateful|TRD-2/split)"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"ID  ", "RULES", "CASES", "STATUS", "LIQ-6/tick-agreement", "LED-4/stateful-invariants", "TRD-2/split-vs-whole",
		"properties: 3 passed, 0 failed, 0 not run"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestVerifyMutantFailsWithReplayableRun runs verify against a broken
// ledger (funding paid the wrong way): exit 1, a FAIL naming FND-2, and a
// counterexample run file that `perpcheck run` replays with the correct
// model, which pays funding the right way (the long pays at a positive
// rate).
func TestVerifyMutantFailsWithReplayableRun(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run([]string{"verify", "-impl", "mutant:funding-sign", "-ledger-checks", "100", "-seed", "1", "-mutants=false",
		"-run", "^LED-4/stateful", "-out", dir}, nil, &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"FAIL LED-4/stateful-invariants", "FND-2:", "replay: perpcheck run FILE", "reproduce: perpcheck verify"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "LED-4_*.json")) // not result.json, the run's result
	if len(files) != 1 {
		t.Fatalf("want one counterexample file in %s, got %v", dir, files)
	}
	var rout, rerr bytes.Buffer
	if code := run([]string{"run", files[0]}, nil, &rout, &rerr); code != 0 {
		t.Fatalf("perpcheck run on the counterexample: exit %d: %s", code, rerr.String())
	}
	var res struct {
		Effects []struct {
			Type, From, To, Reason string
		} `json:"effects"`
	}
	if err := json.Unmarshal(rout.Bytes(), &res); err != nil {
		t.Fatalf("run output: %v", err)
	}
	raw, _ := os.ReadFile(files[0])
	funding := 0
	for _, e := range res.Effects {
		if e.Reason == "funding" {
			funding++
		}
	}
	if funding == 0 {
		t.Errorf("the replayed counterexample has no funding posting:\n%s\n%s", raw, rout.String())
	}
}

// TestVerifyUnknownImpl: a bad -impl is a usage error (exit 2) naming the
// mutants.
func TestVerifyUnknownImpl(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"verify", "-impl", "nope"}, nil, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "funding-sign") {
		t.Errorf("stderr does not list the mutants: %s", errb.String())
	}
}
