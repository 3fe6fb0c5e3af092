package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// vectorsDir is the committed vector directory.
const vectorsDir = "../../vectors/v1"

// vectorsRun runs `perpcheck vectors ARGS` and returns the exit status and
// both outputs.
func vectorsRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(append([]string{"vectors"}, args...), nil, &out, &errb)
	return code, out.String(), errb.String()
}

// TestVectorsCheckBuiltins: the committed vectors pass with the model and
// the reference, nothing skipped.
func TestVectorsCheckBuiltins(t *testing.T) {
	for _, impl := range []string{"model", "reference"} {
		t.Run(impl, func(t *testing.T) {
			code, out, errs := vectorsRun(t, "check", "-impl", impl, vectorsDir)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			if !strings.Contains(out, "query/LIQ/near-liquidation.json") || !strings.Contains(out, "ledger/LQ/liquidations.json") {
				t.Errorf("the table lacks files:\n%s", out)
			}
			if strings.Contains(out, "SKIP") {
				t.Errorf("%s skipped tests:\n%s", impl, out)
			}
		})
	}
}

func python(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	return p
}

// totals returns the numbers of the table's total line.
func totals(t *testing.T, out string) []string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) == 5 && f[0] == "total" {
			return f[1:]
		}
	}
	t.Fatalf("no total line in\n%s", out)
	return nil
}

// TestVectorsCheckPython: the Python engine (query layer only) passes every
// query vector through perpcheck/1, the raw-json ones (sent as text)
// included; its ledger tests are skipped, never passed.
func TestVectorsCheckPython(t *testing.T) {
	py := python(t)
	code, out, errs := vectorsRun(t, "check", "-engine", py+" ../../engines/python/engine.py", vectorsDir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	tot := totals(t, out)
	if tot[2] != "0" || tot[3] == "0" {
		t.Errorf("want no failure and some skips, got tests/pass/fail/skip %v\n%s", tot, out)
	}
	for _, want := range []string{"SKIP ledger/LQ/liquidations.json", "query/EVAL/json.json     27    27     0     0"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Claiming the ledger anyway: the engine answers not-supported, which is
	// a skip too.
	code, out, errs = vectorsRun(t, "check", "-engine", py+" ../../engines/python/engine.py", "-caps", "isolated,entry-basis,computed-mark,error-paths,ledger,funding,adl", vectorsDir)
	if code != 0 || !strings.Contains(out, "not-supported") {
		t.Fatalf("exit %d, want 0 and not-supported skips\n%s%s", code, out, errs)
	}
}

// TestVectorsCheckBrokenPython: the Python engine's deliberately broken
// variant (maintenance margin rounded down) fails.
func TestVectorsCheckBrokenPython(t *testing.T) {
	py := python(t)
	t.Setenv("PERPCHECK_PY_MUTANT", "mm-round-down")
	code, out, errs := vectorsRun(t, "check", "-engine", py+" ../../engines/python/engine.py", vectorsDir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "FAIL query/") || !strings.Contains(out, "maintenanceMargin") {
		t.Errorf("the failures do not show the maintenance margin:\n%s", out)
	}
}

// TestVectorsExport: export writes a directory that loads, identical to the
// committed one.
func TestVectorsExport(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := vectorsRun(t, "export", "-examples", "../../examples", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, name := range []string{"MANIFEST.json", "query/EVAL/errors.json", "ledger/ADL/adl.json", "schema/query.schema.json"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(vectorsDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the export differs from the committed file", name)
		}
	}
}

func TestVectorsUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frobnicate"}, {"check"}, {"check", "-impl", "nope", vectorsDir}, {"check", "-impl", "model", "-engine", "x", vectorsDir}, {"check", "/nonexistent"}} {
		if code, _, _ := vectorsRun(t, args...); code != 2 {
			t.Errorf("vectors %v: exit %d, want 2", args, code)
		}
	}
}
