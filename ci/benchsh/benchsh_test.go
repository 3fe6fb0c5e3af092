package benchsh

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The tiny benchmark package: impl=model does n units of work, impl=float64
// a quarter of that, so model/float64 is about 4.
const benchTest = `package bench

import "testing"

var sink int

func BenchmarkHealth(b *testing.B) {
	for _, impl := range []struct {
		name string
		n    int
	}{{"model", N}, {"float64", N / 4}} {
		b.Run("impl="+impl.name+"/pos=10", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				sink += work(impl.n)
			}
		})
	}
}
`

const workGo = `package bench

// N is the amount of work per operation.
const N = %N%

func work(n int) int {
	s := 0
	for i := 0; i < n; i++ {
		s += i*i ^ (s >> 3)
	}
	return s
}
`

const budgets = `# test budgets
allocs ^BenchmarkHealth/impl=model/ 0
ratio BenchmarkHealth/impl=model/pos=10 / BenchmarkHealth/impl=float64/pos=10 <= 8
`

func workSrc(n string) string { return strings.ReplaceAll(workGo, "%N%", n) }

type repo struct {
	t   *testing.T
	dir string
}

func (r *repo) write(name, content string) {
	r.t.Helper()
	p := filepath.Join(r.dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

func (r *repo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// newRepo makes a repository whose first commit, on branch main, holds
// go.mod and, if withBench, the benchmark package with N=n.
func newRepo(t *testing.T, withBench bool, n string) *repo {
	t.Helper()
	r := &repo{t: t, dir: t.TempDir()}
	r.git("init", "-q", "-b", "main")
	r.write("go.mod", "module example.com/tiny\n\ngo 1.23\n")
	r.write("budgets.txt", budgets)
	if withBench {
		r.write("bench/bench_test.go", benchTest)
		r.write("bench/work.go", workSrc(n))
	}
	r.git("add", ".")
	r.git("commit", "-q", "-m", "first")
	return r
}

var benchgate string // prebuilt by TestMain

func TestMain(m *testing.M) {
	if _, err := exec.LookPath("git"); err != nil {
		os.Exit(m.Run()) // tests skip themselves
	}
	dir, err := os.MkdirTemp("", "benchgate")
	if err != nil {
		panic(err)
	}
	benchgate = filepath.Join(dir, "benchgate")
	if out, err := exec.Command("go", "build", "-o", benchgate, "../benchgate").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run runs ci/bench.sh against r with the given mode and extra
// environment and returns its exit status and combined output.
func (r *repo) run(mode string, env ...string) (int, string, string) {
	r.t.Helper()
	out := filepath.Join(r.t.TempDir(), "out")
	cmd := exec.Command("bash", "../bench.sh", mode)
	cmd.Env = append(os.Environ(),
		"REPO="+r.dir, "OUT="+out, "BUDGETS="+filepath.Join(r.dir, "budgets.txt"),
		"BASE=main", "COUNT=5", "BENCHTIME=300x", "BENCHGATE="+benchgate,
		"GITHUB_STEP_SUMMARY=")
	cmd.Env = append(cmd.Env, env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	if wt := r.git("worktree", "list"); strings.Count(wt, "\n") != 0 {
		r.t.Errorf("worktree left behind:\n%s", wt)
	}
	return code, buf.String(), out
}

func need(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test of ci/bench.sh; skipped with -short")
	}
	for _, tool := range []string{"git", "bash", "join", "sort"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found", tool)
		}
	}
}

func check(t *testing.T, code, want int, out string, contains ...string) {
	t.Helper()
	if code != want {
		t.Errorf("exit %d, want %d", code, want)
	}
	for _, s := range contains {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q", s)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("output:\n%s", out)
	}
}

// A 4x slowdown in the working tree is caught; the budgets still pass;
// both result files hold COUNT samples per benchmark.
func TestRegressionInWorkingTree(t *testing.T) {
	need(t)
	r := newRepo(t, true, "2000")
	r.write("bench/work.go", workSrc("8000")) // uncommitted change, 4x slower
	// 7 rounds: p < 0.01 survives a few overlapping runs on a busy machine.
	code, out, dir := r.run("all", "COUNT=7", "BENCHTIME=1000x")
	check(t, code, 1, out, "round 7/7 (old new)", "REGRESSED", "benchgate budget: PASS")
	for _, f := range []string{"old.txt", "new.txt"} {
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(string(data), "BenchmarkHealth/impl=model/pos=10"); n != 7 {
			t.Errorf("%s: %d model samples, want 7", f, n)
		}
	}
}

// With too few rounds the gate refuses to judge.
func TestTooFewRounds(t *testing.T) {
	need(t)
	r := newRepo(t, true, "2000")
	code, out, _ := r.run("compare", "COUNT=3")
	check(t, code, 2, out, "NOT JUDGED")
}

// Without a merge base, "all" says so and checks budgets only; "compare"
// exits 2.
func TestNoMergeBase(t *testing.T) {
	need(t)
	r := newRepo(t, true, "2000")
	code, out, _ := r.run("all", "BASE=no-such-branch")
	check(t, code, 0, out, "no merge base", "checking budgets only", "benchgate budget: PASS")
	code, out, _ = r.run("compare", "BASE=no-such-branch")
	check(t, code, 2, out, "no merge base", "cannot compare")
}

// A merge base without the benchmark package: budgets only.
func TestBaseWithoutBenchmarks(t *testing.T) {
	need(t)
	r := newRepo(t, false, "")
	first := r.git("rev-parse", "HEAD")
	r.write("bench/bench_test.go", benchTest)
	r.write("bench/work.go", workSrc("2000"))
	r.git("add", ".")
	r.git("commit", "-q", "-m", "add benchmarks")
	code, out, _ := r.run("all", "BASE="+first)
	check(t, code, 0, out, "does not exist at the merge base", "checking budgets only", "benchgate budget: PASS")
}

// Budget mode: a breached ratio fails, and the default benchgate build
// from the ci module works.
func TestBudgetMode(t *testing.T) {
	need(t)
	r := newRepo(t, true, "2000")
	r.write("budgets.txt", "ratio BenchmarkHealth/impl=model/pos=10 / BenchmarkHealth/impl=float64/pos=10 <= 1.5\n")
	code, out, _ := r.run("budget", "BENCHGATE=")
	check(t, code, 1, out, "building benchgate", "FAIL")
}

// A benchmark package that does not compile in the working tree fails.
func TestBrokenWorkingTree(t *testing.T) {
	need(t)
	r := newRepo(t, true, "2000")
	r.write("bench/work.go", "package bench\n\nthis does not compile\n")
	code, out, _ := r.run("all")
	if code == 0 {
		t.Errorf("exit 0 for a broken working tree")
	}
	if !strings.Contains(out, "go test -c example.com/tiny/bench failed in the new tree") {
		t.Errorf("no clear message")
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("output:\n%s", out)
	}
}
