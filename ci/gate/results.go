// Package gate is the benchmark regression gate behind ci/benchgate.
//
// It reads Go benchmark result files (the output of `go test -bench`,
// possibly repeated with -count=N and possibly several test binaries'
// output concatenated) with golang.org/x/perf/benchfmt and judges them
// with golang.org/x/perf/benchmath in two ways:
//
//   - Compare: a baseline file against a candidate file. A metric fails
//     the gate when it got significantly worse (Mann-Whitney U-test,
//     p < alpha) and the change of the medians exceeds that unit's
//     minimum effect. See [Compare] and [CompareOptions].
//   - Budgets: one result file against a list of absolute ceilings and
//     speed ratios measured inside the same run. See [ParseBudgets]
//     and [CheckBudgets].
//
// Names. A benchmark is identified by its package (the `pkg:` config
// line) and its full name as printed by `go test`, e.g.
// "BenchmarkHealth/impl=model/pos=10-2". Filters and budget patterns
// are matched against the name without the trailing GOMAXPROCS suffix
// ("BenchmarkHealth/impl=model/pos=10"), which is called the match name.
//
// Exit codes used by [Main]: 0 pass, 1 the gate failed (regression or
// budget breach), 2 the gate could not judge (malformed input, too few
// samples, a budget line that matches nothing, usage errors). 2 takes
// precedence over 1; both fail a CI job.
package gate

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"golang.org/x/perf/benchfmt"
)

// Key identifies one benchmark: its package and its full name including
// the "Benchmark" prefix and any GOMAXPROCS suffix.
type Key struct {
	Pkg  string
	Name string
}

// String returns "<package> <name>", or the name alone when the package is
// not known.
func (k Key) String() string {
	if k.Pkg == "" {
		return k.Name
	}
	return k.Pkg + " " + k.Name
}

// Bench holds every sample of one benchmark read from one side.
type Bench struct {
	Key
	// Match is Name without the GOMAXPROCS suffix; -filter and
	// budget patterns are matched against it.
	Match string
	// Units lists the (tidied) units in first-seen order.
	Units []string
	// Values maps a tidied unit (benchunit.Tidy: ns/op becomes sec/op)
	// to its samples in the order they were read.
	Values map[string][]float64
}

// Results is the content of one side: every benchmark and the unit
// metadata ("Unit x better=lower assume=exact" lines) found in it.
type Results struct {
	// Benchmarks are in order of first appearance.
	Benchmarks []*Bench
	byKey      map[Key]*Bench
	// Units is the merged unit metadata.
	Units benchfmt.UnitMetadataMap
	// Configs records the distinct values of the machine-describing
	// config keys (goos, goarch, cpu) so that comparisons across
	// machines can be flagged.
	Configs map[string][]string
	// Files are the file names read.
	Files []string
}

// Lookup returns the benchmark with key k, or nil.
func (r *Results) Lookup(k Key) *Bench { return r.byKey[k] }

// ReadFiles reads and merges one or more result files.
func ReadFiles(paths ...string) (*Results, error) {
	res := newResults()
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		err = res.read(f, p)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Read reads one result stream; name is used in error messages.
func Read(r io.Reader, name string) (*Results, error) {
	res := newResults()
	if err := res.read(r, name); err != nil {
		return nil, err
	}
	return res, nil
}

func newResults() *Results {
	return &Results{
		byKey:   map[Key]*Bench{},
		Units:   benchfmt.UnitMetadataMap{},
		Configs: map[string][]string{},
	}
}

// machineKeys are config keys whose values must agree between the two
// sides of a comparison for the comparison to be meaningful.
var machineKeys = []string{"goos", "goarch", "cpu"}

// maxErrors bounds the number of syntax errors reported per file.
const maxErrors = 10

func (res *Results) read(r io.Reader, name string) error {
	res.Files = append(res.Files, name)
	rd := benchfmt.NewReader(r, name)
	var errs []error
	n := 0
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			errs = append(errs, rec)
		case *benchfmt.UnitMetadata:
			// Collected through rd.Units below.
		case *benchfmt.Result:
			if err := res.add(rec); err != nil {
				errs = append(errs, err)
				continue
			}
			n++
		}
		if len(errs) >= maxErrors {
			errs = append(errs, fmt.Errorf("%s: too many errors", name))
			break
		}
	}
	if err := rd.Err(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("malformed benchmark results:\n%w", errors.Join(errs...))
	}
	if n == 0 {
		return fmt.Errorf("%s: no benchmark results found (did -bench match any benchmark?)", name)
	}
	for k, v := range rd.Units() {
		if have, ok := res.Units[k]; ok && have.Value != v.Value {
			return fmt.Errorf("%s: unit %s: metadata %s=%s conflicts with %s=%s in an earlier file",
				name, v.OrigUnit, k.Key, v.Value, k.Key, have.Value)
		}
		res.Units[k] = v
	}
	return nil
}

func (res *Results) add(r *benchfmt.Result) error {
	for _, k := range machineKeys {
		v := strings.TrimSpace(r.GetConfig(k))
		if v != "" && !contains(res.Configs[k], v) {
			res.Configs[k] = append(res.Configs[k], v)
		}
	}
	full := "Benchmark" + string(r.Name.Full())
	key := Key{Pkg: r.GetConfig("pkg"), Name: full}
	b := res.byKey[key]
	if b == nil {
		b = &Bench{Key: key, Match: StripProcs(full), Values: map[string][]float64{}}
		res.byKey[key] = b
		res.Benchmarks = append(res.Benchmarks, b)
	}
	seen := map[string]bool{}
	for _, v := range r.Values {
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			file, line := r.Pos()
			return fmt.Errorf("%s:%d: %s: non-finite measurement %v %s", file, line, full, v.Value, v.Unit)
		}
		if seen[v.Unit] {
			file, line := r.Pos()
			return fmt.Errorf("%s:%d: %s: unit %s reported twice on one line", file, line, full, v.Unit)
		}
		seen[v.Unit] = true
		if _, ok := b.Values[v.Unit]; !ok {
			b.Units = append(b.Units, v.Unit)
		}
		b.Values[v.Unit] = append(b.Values[v.Unit], v.Value)
	}
	return nil
}

// StripProcs removes a trailing GOMAXPROCS suffix ("-2") from a
// benchmark name, the way benchfmt.Name.Parts splits it.
func StripProcs(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		c := name[i]
		if c == '-' && i < len(name)-1 {
			return name[:i]
		}
		if c < '0' || c > '9' {
			break
		}
	}
	return name
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// readLines is a small helper for line-oriented config files.
func readLines(r io.Reader) ([]string, error) {
	var lines []string
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	return lines, s.Err()
}
