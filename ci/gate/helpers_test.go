package gate

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bench describes the samples of one synthetic benchmark: name is the
// full name (GOMAXPROCS suffix included), and every unit must have the
// same number of samples; sample i of every unit goes on result line i.
type bench struct {
	name  string
	units []unitVals
}

type unitVals struct {
	unit string
	vals []float64
}

// b builds a bench from alternating unit, values pairs.
func b(name string, pairs ...any) bench {
	bn := bench{name: name}
	for i := 0; i < len(pairs); i += 2 {
		bn.units = append(bn.units, unitVals{pairs[i].(string), pairs[i+1].([]float64)})
	}
	return bn
}

// file renders benchmarks of one package as go test output, with the
// usual header and trailer lines.
func file(pkg string, benches ...bench) string {
	var w strings.Builder
	fmt.Fprintf(&w, "goos: linux\ngoarch: amd64\npkg: %s\ncpu: Test CPU @ 2.00GHz\n", pkg)
	for _, bn := range benches {
		for i := range bn.units[0].vals {
			fmt.Fprintf(&w, "%s \t 1000000\t", bn.name)
			for _, u := range bn.units {
				fmt.Fprintf(&w, " %v %s\t", u.vals[i], u.unit)
			}
			w.WriteString("\n")
		}
	}
	fmt.Fprintf(&w, "PASS\nok  \t%s\t1.234s\n", pkg)
	return w.String()
}

// noise returns n values center*(1 + spread*u), u uniform in [-1, 1],
// from a fixed seed.
func noise(seed uint64, n int, center, spread float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 42))
	out := make([]float64, n)
	for i := range out {
		out[i] = center * (1 + spread*(2*r.Float64()-1))
	}
	return out
}

// rep returns n copies of v.
func rep(n int, v float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// reversed returns xs reversed (same distribution, different order).
func reversed(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

// writeFiles writes name->content into a temp dir and returns the paths
// in the order given.
func writeFiles(t *testing.T, kv ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := 0; i < len(kv); i += 2 {
		p := filepath.Join(dir, kv[i])
		if err := os.WriteFile(p, []byte(kv[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// run calls Main and returns its exit code and combined output.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return code, out.String() + errOut.String()
}

const pkgA = "github.com/perpcheck/perpcheck/bench"
const pkgB = "github.com/perpcheck/perpcheck/bench/scan"
