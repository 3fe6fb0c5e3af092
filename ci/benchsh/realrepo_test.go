package benchsh

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The end-to-end check of issue #6: the gate, run by ci/bench.sh on this
// repository's real benchmarks, catches a deliberately slowed model and
// does not flag identical code.
//
// The test clones the repository at HEAD into a temporary directory (so it
// benchmarks committed code and never touches the working tree), and in
// the clone's working tree only, wraps model.Portfolio.Cross, the cross
// health computation that BenchmarkHealth/impl=model times, so that it
// computes the health three times: the benchmarked op (a SetMark and a
// Cross) becomes about 3x slower. It then runs the real ci/bench.sh compare
// with BASE=HEAD on one benchmark:
//
//   - slowed: exit status 1, and the report marks
//     BenchmarkHealth/impl=model/pos=10 REGRESSED in sec/op;
//   - control (the same clone with the patch undone, i.e. HEAD against
//     HEAD): exit status 0, nothing REGRESSED.
//
// Six interleaved rounds of 50 ms: the smallest count at which the gate's
// default alpha (0.01) can judge (5) plus one. Each run took 6-12 s on the
// loaded 2-core development machine (the whole test 15-24 s), much of it
// building the two test binaries. The gate's default thresholds are used
// (sec/op fails if significantly worse by more than 5%), so the control is
// the gate's real A/A behaviour, not a loosened one.

// slowAnchor is the line of model/*.go the patch rewrites.
const slowAnchor = "func (p *Portfolio) Cross() (h PoolHealth, err error) {"

// slowPatch replaces slowAnchor: Cross becomes a wrapper that runs the
// original body (renamed) three times.
const slowPatch = `func (p *Portfolio) Cross() (PoolHealth, error) {
	// Deliberately slowed by ci/benchsh TestGateCatchesSlowedModel.
	for i := 0; i < 2; i++ {
		_, _ = p.crossDeliberatelySlowed()
	}
	return p.crossDeliberatelySlowed()
}

func (p *Portfolio) crossDeliberatelySlowed() (h PoolHealth, err error) {`

const slowBench = "BenchmarkHealth/impl=model/pos=10"

// repoRoot is the repository containing this test (../.. from ci/benchsh).
func repoRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", "../..", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// slowDownModel applies slowPatch to the one non-test file of dir/model
// that holds slowAnchor and returns a function that undoes it.
func slowDownModel(t *testing.T, dir string) (undo func()) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "model", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var hit string
	var orig []byte
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch n := strings.Count(string(b), slowAnchor); {
		case n == 1 && hit == "":
			hit, orig = f, b
		case n > 0:
			t.Fatalf("the patch anchor %q occurs more than once in model/ (%s); update the test", slowAnchor, f)
		}
	}
	if hit == "" {
		t.Fatalf("the patch anchor %q is in no model/*.go file: Portfolio.Cross was renamed or changed signature; update slowAnchor and slowPatch", slowAnchor)
	}
	patched := strings.Replace(string(orig), slowAnchor, slowPatch, 1)
	if err := os.WriteFile(hit, []byte(patched), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("slowed down Portfolio.Cross in %s", strings.TrimPrefix(hit, dir+string(filepath.Separator)))
	return func() {
		if err := os.WriteFile(hit, orig, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// procsSuffix is the -GOMAXPROCS suffix of a benchmark name.
var procsSuffix = regexp.MustCompile(`-[0-9]+$`)

// verdicts parses a benchgate compare report into unit -> benchmark (without
// its -GOMAXPROCS suffix) -> verdict.
func verdicts(report string) map[string]map[string]string {
	out := map[string]map[string]string{}
	unit := ""
	sc := bufio.NewScanner(strings.NewReader(report))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "  name"), strings.HasPrefix(line, "    note:"):
		case strings.HasPrefix(line, "  ") && unit != "":
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			v := f[len(f)-1]
			if strings.HasSuffix(line, "ok (below floor)") {
				v = "ok (below floor)"
			}
			out[unit][procsSuffix.ReplaceAllString(f[0], "")] = v
		case strings.Contains(line, "  (") && !strings.HasPrefix(line, " "):
			unit = strings.Fields(line)[0]
			out[unit] = map[string]string{}
		default:
			unit = ""
		}
	}
	return out
}

func TestGateCatchesSlowedModel(t *testing.T) {
	need(t)
	start := time.Now()
	root := repoRoot(t)
	r := &repo{t: t, dir: filepath.Join(t.TempDir(), "clone")}
	if out, err := exec.Command("git", "clone", "--quiet", "--no-hardlinks", root, r.dir).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	head := r.git("rev-parse", "--short", "HEAD")
	env := []string{"BASE=HEAD", "BENCH_PKG=./bench/", "BENCH=^BenchmarkHealth$/^impl=model$/^pos=10$",
		"COUNT=6", "BENCHTIME=50ms"}

	t.Run("slowed", func(t *testing.T) {
		undo := slowDownModel(t, r.dir)
		defer undo()
		r.t = t
		code, out, dir := r.run("compare", env...)
		rep, err := os.ReadFile(filepath.Join(dir, "compare-report.txt"))
		if err != nil {
			t.Fatalf("no compare report: %v\n%s", err, out)
		}
		v := verdicts(string(rep))
		if code != 1 {
			t.Errorf("exit %d, want 1 (the slowed model must fail the gate)", code)
		}
		if got := v["sec/op"][slowBench]; got != "REGRESSED" {
			t.Errorf("sec/op verdict of %s is %q, want REGRESSED", slowBench, got)
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("clone of %s at %s, model slowed; bench.sh output:\n%s", root, head, out)
		}
	})
	t.Run("control", func(t *testing.T) {
		r.t = t
		if st := r.git("status", "--porcelain"); st != "" {
			t.Fatalf("the clone is not clean after undoing the patch:\n%s", st)
		}
		code, out, dir := r.run("compare", env...)
		rep, err := os.ReadFile(filepath.Join(dir, "compare-report.txt"))
		if err != nil {
			t.Fatalf("no compare report: %v\n%s", err, out)
		}
		v := verdicts(string(rep))
		if code != 0 {
			t.Errorf("exit %d, want 0 (HEAD against HEAD: noise must not fail the gate)", code)
		}
		if len(v["sec/op"]) == 0 || v["sec/op"][slowBench] == "" {
			t.Errorf("the report has no sec/op verdict for %s", slowBench)
		}
		for unit, rows := range v {
			for name, verdict := range rows {
				if verdict == "REGRESSED" {
					t.Errorf("identical code: %s %s is REGRESSED", name, unit)
				}
			}
		}
		if !strings.Contains(out, "A/A noise check") {
			t.Errorf("bench.sh did not say it compares identical code")
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("clone of %s at %s, unmodified; bench.sh output:\n%s", root, head, out)
		}
	})
	t.Logf("%.1f s", time.Since(start).Seconds())
}
