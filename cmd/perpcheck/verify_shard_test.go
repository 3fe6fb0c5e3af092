package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want shard
		ok   bool
	}{
		{"1/1", shard{1, 1}, true},
		{"2/3", shard{2, 3}, true},
		{"3/3", shard{3, 3}, true},
		{"0/3", shard{}, false},
		{"4/3", shard{}, false},
		{"1/0", shard{}, false},
		{"-1/3", shard{}, false},
		{"1/1001", shard{}, false},
		{"1", shard{}, false},
		{"a/b", shard{}, false},
		{"1/2/3", shard{}, false},
		{"", shard{}, false},
	} {
		got, err := parseShard(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseShard(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestShardPartition: for every N, every index belongs to exactly one of
// the shards 1..N.
func TestShardPartition(t *testing.T) {
	for n := 1; n <= 7; n++ {
		for k := 0; k < 50; k++ {
			owners := 0
			for i := 1; i <= n; i++ {
				if (shard{i, n}).has(k) {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("index %d is in %d of %d shards", k, owners, n)
			}
		}
	}
}

// verdicts is what must not depend on how a run is split: per property its
// status, cases and (for a failure) message and seed; per mutant its
// status; and the counts. Timings and the mutants' "caught by" lists (which
// depend on which property of a FailFast check finished first) are left
// out.
func verdicts(t *testing.T, r *verifyReport) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "impl %s seed %d checks %d/%d/%d run %q mutantCheck %v\n", r.Impl, r.Seed, r.Checks, r.LedgerChecks, r.MutantChecks, r.Run, r.MutantCheck)
	for _, p := range r.Properties {
		fmt.Fprintf(&b, "property %s %s cases %d", p.ID, p.Status, p.Cases)
		if p.Failure != nil {
			// The failing seed, not the shrunk counterexample: rapid's
			// shrinking stops at a time limit, so under load the same
			// failure can shrink less far (seen twice at load 12-16).
			fmt.Fprintf(&b, " seed %d", p.Failure.Seed)
		}
		b.WriteString("\n")
	}
	for _, m := range r.Mutants {
		fmt.Fprintf(&b, "mutant %s %s\n", m.Name, m.Status)
	}
	fmt.Fprintf(&b, "summary %+v\n", r.Summary)
	return b.String()
}

func readReport(t *testing.T, name string) *verifyReport {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var r verifyReport
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &r
}

// TestVerifyShardsMergeEqualsWhole (SPEC-independent: the CLI's sharding)
// runs one verify whole and as 3 shards with the same flags and seed (a
// broken engine, so that some properties fail, and the mutant check
// restricted to the selected query properties, so that some mutants are
// killed, some survive and the ledger mutants are not run), merges the
// shards' JSON with verify-merge, and compares the verdicts with the whole
// run's. Every shard ran something, no property or mutant ran twice
// (verify-merge rejects that) and the exit statuses agree.
func TestVerifyShardsMergeEqualsWhole(t *testing.T) {
	dir := t.TempDir()
	args := []string{"verify", "-impl", "mutant:lp-toward-mark", "-checks", "10", "-mutant-checks", "3", "-seed", "7",
		"-run", "^(LIQ-6/tick|LIQ-2/|LIQ-5/|POOL-)", "-mutants", "-q"}
	runJSON := func(name string, extra ...string) int {
		var out, errb bytes.Buffer
		code := run(append(append(args[:len(args):len(args)], extra...), "-json", filepath.Join(dir, name)), nil, &out, &errb)
		if code == 2 {
			t.Fatalf("%v: exit 2\n%s%s", extra, out.String(), errb.String())
		}
		return code
	}
	whole := runJSON("whole.json")
	var shardFiles []string
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("shard%d.json", i)
		runJSON(name, "-shard", fmt.Sprintf("%d/3", i))
		shardFiles = append(shardFiles, filepath.Join(dir, name))
		r := readReport(t, shardFiles[i-1])
		if r.Shard != fmt.Sprintf("%d/3", i) || len(r.Properties) == 0 || len(r.Mutants) == 0 {
			t.Errorf("shard %d/3: shard %q, %d properties, %d mutants; want a share of both", i, r.Shard, len(r.Properties), len(r.Mutants))
		}
	}
	var out, errb bytes.Buffer
	// The files in another order than the shards': the merge sorts.
	merged := run([]string{"verify-merge", "-json", filepath.Join(dir, "merged.json"), shardFiles[2], shardFiles[0], shardFiles[1]}, nil, &out, &errb)
	if merged != whole {
		t.Errorf("verify-merge exits %d, the whole run %d\n%s%s", merged, whole, out.String(), errb.String())
	}
	w, m := readReport(t, filepath.Join(dir, "whole.json")), readReport(t, filepath.Join(dir, "merged.json"))
	if got, want := verdicts(t, m), verdicts(t, w); got != want {
		t.Errorf("merged shards:\n%s\nwhole run:\n%s", got, want)
	}
	if w.Summary.Failed == 0 || w.Summary.Passed == 0 || w.Summary.Killed == 0 || w.Summary.Survived == 0 || w.Summary.MutantsNotRun == 0 {
		t.Errorf("the run does not exercise every verdict: %+v", w.Summary)
	}
	for _, want := range []string{"FAIL LIQ-6/tick-agreement", "reproduce: perpcheck verify -impl mutant:lp-toward-mark", "mutants killed:", "properties: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("verify-merge output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestVerifyMergeRejects: files that are not the N shards of one run exit 2
// with a message.
func TestVerifyMergeRejects(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, r verifyReport) string {
		r.Format = verifyFormat
		data, _ := json.Marshal(r)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := verifyReport{Impl: "model", Seed: 5, Checks: 10, LedgerChecks: 5, MutantChecks: 3}
	s1, s2 := base, base
	s1.Shard, s2.Shard = "1/2", "2/2"
	s1.Properties = []verifyProperty{{ID: "LIQ-6/tick-agreement", Status: "PASS"}}
	s2.Properties = []verifyProperty{{ID: "LIQ-2/trigger-side", Status: "PASS"}}
	a, b := write("a.json", s1), write("b.json", s2)
	other := s2
	other.Seed = 6
	dup := s2
	dup.Properties = s1.Properties
	third := s2
	third.Shard = "2/3"
	bad := s2
	bad.Shard = "9/2"
	for _, tc := range []struct {
		files []string
		msg   string
	}{
		{[]string{a}, "missing 2/2"},
		{[]string{a, a}, "are both shard 1/2"},
		{[]string{a, write("seed.json", other)}, "seed 5 and 6"},
		{[]string{a, write("dup.json", dup)}, "is in two shards"},
		{[]string{a, write("third.json", third)}, "not the same split"},
		{[]string{a, write("bad.json", bad)}, "shard"},
		{[]string{a, filepath.Join(dir, "none.json")}, "no such file"},
		{[]string{"-"}, "must be files"},
		{nil, "usage: perpcheck verify-merge"},
	} {
		var out, errb bytes.Buffer
		if code := run(append([]string{"verify-merge"}, tc.files...), nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("verify-merge %v: exit %d, stderr %q; want 2 and %q", tc.files, code, errb.String(), tc.msg)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"verify-merge", b, a}, nil, &out, &errb); code != 0 {
		t.Errorf("verify-merge of two passing shards: exit %d\n%s", code, errb.String())
	}
	if strings.Index(out.String(), "LIQ-6/tick") > strings.Index(out.String(), "LIQ-2/trigger") {
		t.Errorf("the merged table is not in catalogue order (LIQ-6/tick-agreement first):\n%s", out.String())
	}
}

// TestVerifyProgress: with stderr a terminal, verify shows the property
// running and its cases on one redrawn line; -q, or stderr not a terminal,
// shows nothing; stdout carries no progress either way.
func TestVerifyProgress(t *testing.T) {
	oldTerm, oldEvery := isTerminal, progressEvery
	defer func() { isTerminal, progressEvery = oldTerm, oldEvery }()
	progressEvery = 0
	args := []string{"verify", "-checks", "5", "-seed", "3", "-mutants=false", "-run", "^LIQ-6/tick"}
	for _, tc := range []struct {
		term, quiet bool
		want        bool
	}{{true, false, true}, {true, true, false}, {false, false, false}} {
		isTerminal = func(io.Writer) bool { return tc.term }
		a := args
		if tc.quiet {
			a = append(a[:len(a):len(a)], "-q")
		}
		var out, errb bytes.Buffer
		if code := run(a, nil, &out, &errb); code != 0 {
			t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
		}
		shown := strings.Contains(errb.String(), "\r\x1b[Kproperties (1): 0 done, LIQ-6/tick-agreement 5 cases")
		if shown != tc.want {
			t.Errorf("terminal %v, -q %v: progress shown %v, want %v; stderr %q", tc.term, tc.quiet, shown, tc.want, errb.String())
		}
		if strings.Contains(out.String(), "\r") || strings.Contains(out.String(), "cases,") {
			t.Errorf("progress on stdout: %q", out.String())
		}
		if tc.want && !strings.HasSuffix(errb.String(), "\r\x1b[K") {
			t.Errorf("the progress line is not cleared at the end: %q", errb.String())
		}
	}
}

// TestVerifyRunRestrictsMutants: -run skips the mutant check (with a note)
// unless -mutants is given; then the mutants run against the selected
// properties only, and a mutant none of them targets is not run.
func TestVerifyRunRestrictsMutants(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"verify", "-checks", "3", "-seed", "1", "-run", "^LIQ-6/tick", "-q"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errb.String())
	}
	if strings.Contains(out.String(), "mutants killed") || !strings.Contains(errb.String(), "the mutant check (which needs the whole suite) is skipped") {
		t.Errorf("-run without -mutants: want the mutant check skipped with a note\nstdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
	out.Reset()
	errb.Reset()
	code := run([]string{"verify", "-checks", "3", "-mutant-checks", "20", "-seed", "1", "-run", "^LIQ-6/tick", "-mutants", "-q"}, nil, &out, &errb)
	if code != 1 {
		t.Errorf("exit %d, want 1 (mutants survive one property)", code)
	}
	for _, want := range []string{"restricted to the properties -run selects", "lp-toward-mark  LIQ-6/tick-agreement", "funding-sign  NOT RUN (no selected property targets it)", "SURVIVED"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), "  "), strings.Join(strings.Fields(want), "  ")) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestUsageListsVerifyFlags: the top-level usage names every flag of
// verify (as verify -h lists them) and the bench and verify-merge commands.
func TestUsageListsVerifyFlags(t *testing.T) {
	var help, out, errb bytes.Buffer
	if code := run([]string{"verify", "-h"}, nil, &out, &help); code != 0 {
		t.Fatalf("verify -h: exit %d", code)
	}
	if code := run([]string{"help"}, nil, &out, &errb); code != 0 {
		t.Fatalf("help: exit %d", code)
	}
	n := 0
	for _, l := range strings.Split(help.String(), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || !strings.HasPrefix(l, "  -") {
			continue
		}
		n++
		if !strings.Contains(out.String(), "["+f[0]) && !strings.Contains(out.String(), "| "+f[0]) {
			t.Errorf("the top-level usage does not list verify's flag %s", f[0])
		}
	}
	if n < 14 {
		t.Errorf("found %d flags in verify -h, want at least 14:\n%s", n, help.String())
	}
	for _, c := range []string{"perpcheck verify-merge", "perpcheck bench"} {
		if !strings.Contains(out.String(), c) {
			t.Errorf("the top-level usage lacks %q", c)
		}
	}
}

// TestVerifyJSONStdout: -json - writes the JSON result on stdout (the tables
// go to stderr), with the seed drawn when none is given, non-zero, and
// printed.
func TestVerifyJSONStdout(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"verify", "-checks", "3", "-mutants=false", "-run", "^LIQ-6/tick", "-json", "-", "-q"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	var r verifyReport
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("stdout is not the JSON result: %v\n%s", err, out.String())
	}
	if r.Format != verifyFormat || r.Seed == 0 || r.Shard != "1/1" || len(r.Properties) != 1 || r.Properties[0].Status != "PASS" || r.Properties[0].Cases != 3 {
		t.Errorf("result %+v", r)
	}
	if !strings.Contains(errb.String(), fmt.Sprintf("(seed %d)", r.Seed)) || !strings.Contains(errb.String(), "LIQ-6/tick-agreement") {
		t.Errorf("stderr lacks the table or the drawn seed %d:\n%s", r.Seed, errb.String())
	}
}
