package properties

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// rapidMu serializes the changes of rapid's process-wide flags.
var rapidMu sync.Mutex

// setRapidFlags applies the fields of c that map to rapid's flags (Cases, or
// Runs for a ledger property; Seed; ShrinkTime; no fail files unless
// failFiles) and returns the function that restores them. While they are
// set they hold for the whole process: do not run other rapid checks
// concurrently with Run or Check. With lock, a lock is held until the
// restore (so concurrent Checks take turns).
func setRapidFlags(c *Config, ledger, failFiles, lock bool) func() {
	set := map[string]string{}
	n := c.Cases
	if ledger && c.Runs > 0 {
		n = c.Runs
	}
	if n > 0 {
		set["rapid.checks"] = strconv.Itoa(n)
	}
	if c.Seed != 0 {
		set["rapid.seed"] = strconv.FormatUint(c.Seed, 10)
	}
	if c.ShrinkTime > 0 {
		set["rapid.shrinktime"] = c.ShrinkTime.String()
	}
	if !failFiles {
		set["rapid.nofailfile"] = "true"
	}
	if len(set) == 0 {
		return func() {}
	}
	if lock {
		rapidMu.Lock()
	}
	old := map[string]string{}
	for k, v := range set {
		f := flag.Lookup(k)
		if f == nil {
			continue
		}
		old[k] = f.Value.String()
		_ = f.Value.Set(v)
	}
	return func() {
		for k, v := range old {
			_ = flag.Lookup(k).Value.Set(v)
		}
		if lock {
			rapidMu.Unlock()
		}
	}
}

// ensureTestingFlags makes testing.Short usable outside a test binary
// (rapid calls it): it registers the testing flags and marks the command
// line parsed if the program has not parsed it.
func ensureTestingFlags() {
	if flag.Lookup("test.short") == nil {
		testing.Init()
	}
	if !flag.Parsed() {
		_ = flag.CommandLine.Parse([]string{})
	}
}

// errStop is the panic value of recorder.FailNow and SkipNow.
var errStop = errors.New("perpcheck: stop")

// recorder is a minimal rapid.TB for Check: it records log lines and
// failures instead of reporting them to a testing.T.
type recorder struct {
	name    string
	mu      sync.Mutex
	lines   []string
	errors  []string
	failed  bool
	skipped bool
}

var _ rapid.TB = (*recorder)(nil)

func (r *recorder) Helper() {}

func (r *recorder) Name() string { return r.name }

func (r *recorder) Logf(format string, args ...any) {
	r.log(fmt.Sprintf(format, args...))
}

func (r *recorder) Log(args ...any) { r.log(fmt.Sprintln(args...)) }

func (r *recorder) log(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
}

func (r *recorder) Skipf(format string, args ...any) { r.Logf(format, args...); r.SkipNow() }

func (r *recorder) Skip(args ...any) { r.Log(args...); r.SkipNow() }

func (r *recorder) SkipNow() {
	r.mu.Lock()
	r.skipped = true
	r.mu.Unlock()
	panic(errStop)
}

func (r *recorder) Errorf(format string, args ...any) { r.error(fmt.Sprintf(format, args...)) }

func (r *recorder) Error(args ...any) { r.error(fmt.Sprintln(args...)) }

func (r *recorder) error(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, s)
	r.errors = append(r.errors, s)
	r.failed = true
}

func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }

func (r *recorder) Fatal(args ...any) { r.Error(args...); r.FailNow() }

func (r *recorder) FailNow() { r.Fail(); panic(errStop) }

func (r *recorder) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
