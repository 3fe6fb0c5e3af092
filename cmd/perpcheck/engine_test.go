package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The test binary doubles as the perpcheck command: with PERPCHECK_AS_MAIN
// set, TestMain runs the CLI on its arguments, so that "-engine" can start
// "perpcheck serve" as a child process without building the command.
func TestMain(m *testing.M) {
	if os.Getenv("PERPCHECK_AS_MAIN") != "" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// selfServe is the engine command "perpcheck serve -impl IMPL" run through
// this test binary.
func selfServe(t *testing.T, impl string) string {
	t.Helper()
	t.Setenv("PERPCHECK_AS_MAIN", "1")
	return "'" + os.Args[0] + "' serve -impl " + impl
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"perpcheck serve", []string{"perpcheck", "serve"}},
		{"  python3   engine.py -x  ", []string{"python3", "engine.py", "-x"}},
		{`'/path with space/eng' --flag="a b" c\ d`, []string{"/path with space/eng", "--flag=a b", "c d"}},
		{`node -e 'console.log("x")'`, []string{"node", "-e", `console.log("x")`}},
	} {
		got, err := splitCommand(tc.in)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("splitCommand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "   ", `a 'b`, `a "b`, `a\`} {
		if _, err := splitCommand(bad); err == nil {
			t.Errorf("splitCommand(%q) accepted", bad)
		}
	}
}

// The whole suite passes through the protocol against the model served by
// "perpcheck serve" (PROTOCOL.md end to end), with the ledger.
func TestVerifyEngineServe(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"verify", "-engine", selfServe(t, "model"), "-checks", "20", "-ledger-checks", "5", "-seed", "5"}, nil, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"capabilities: isolated, entry-basis, computed-mark, error-paths, funding, adl", "LED-6/differential-ledger", "0 failed, 0 not run"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "mutants killed") {
		t.Error("-engine ran the mutant check without -mutants")
	}
}

// A broken engine behind the protocol fails with a transcript that
// "perpcheck replay" reproduces on the broken engine and shows to differ on
// a correct one.
func TestVerifyEngineBrokenAndReplay(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	python := "python3 " + filepath.Join("..", "..", "engines", "python", "engine.py")
	dir := t.TempDir()
	t.Setenv("PERPCHECK_PY_MUTANT", "mm-round-down")
	var out, errb bytes.Buffer
	code := run([]string{"verify", "-engine", python, "-checks", "200", "-seed", "2", "-run", "^NUM-4/pool-rounding$", "-out", dir}, nil, &out, &errb)
	if code != 1 || !strings.Contains(out.String(), "FAIL NUM-4/pool-rounding") || !strings.Contains(out.String(), "transcript written to") {
		t.Fatalf("exit %d, want 1 with a FAIL and a transcript\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	transcripts, _ := filepath.Glob(filepath.Join(dir, "*.transcript"))
	if len(transcripts) != 1 {
		t.Fatalf("transcripts written: %v", transcripts)
	}
	replay := func(engine string) (int, string) {
		var out, errb bytes.Buffer
		code := run([]string{"replay", "-engine", engine, transcripts[0]}, nil, &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, text := replay(python); code != 0 {
		t.Errorf("replay on the broken engine: exit %d, want 0 (it answers as recorded):\n%s", code, text)
	}
	t.Setenv("PERPCHECK_PY_MUTANT", "")
	if code, text := replay(python); code != 1 || !strings.Contains(text, "maintenanceMargin") {
		t.Errorf("replay on the correct engine: exit %d, want 1 naming maintenanceMargin:\n%s", code, text)
	}
	if code, text := replay(selfServe(t, "reference")); code != 1 {
		t.Errorf("replay on the reference: exit %d, want 1:\n%s", code, text)
	}
}

// The Python engine, written from SPEC.md alone, passes the query
// properties through the protocol, the query variants' and explicit-imr's
// included (it declares them); the ledger and portfolio ones are not run
// (it has neither), never passed.
func TestVerifyEnginePython(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 not installed")
	}
	python := "python3 " + filepath.Join("..", "..", "engines", "python", "engine.py")
	var out, errb bytes.Buffer
	code := run([]string{"verify", "-engine", python, "-checks", "30", "-seed", "9"}, nil, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "37 passed, 0 failed, 20 not run") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
}
