//go:build !gofuzz

package fuzz

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/perpcheck/perpcheck/internal/mutation"
	_ "github.com/perpcheck/perpcheck/reference" // registers the mutants
	"github.com/perpcheck/perpcheck/spec"
)

// TestMutantKills measures the power of the differential decoder: for each
// bug that mutation.Evaluate can inject, it runs the model-versus-
// mutant comparison over the seed corpus of the Evaluate target and then
// over random inputs, and reports after how many inputs the mutant was
// caught (a disagreement). It is a measurement, not a gate: it runs only
// with FUZZ_MUTANTS=1 (FUZZ_MUTANTS_N random inputs, default 5000;
// FUZZ_MUTANTS_NOSEEDS=1 for random inputs only), and fails only if no
// mutant at all is caught.
//
//	FUZZ_MUTANTS=1 go test -run TestMutantKills -v ./fuzz/
func TestMutantKills(t *testing.T) {
	if os.Getenv("FUZZ_MUTANTS") == "" {
		t.Skip("set FUZZ_MUTANTS=1 to measure mutant kills")
	}
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("FUZZ_MUTANTS_N")); err == nil {
		n = v
	}
	seeds, err := Seeds("..")
	if err != nil {
		t.Fatal(err)
	}
	var inputs [][]byte
	if os.Getenv("FUZZ_MUTANTS_NOSEEDS") == "" {
		for _, s := range seeds[KeyEvaluate] {
			inputs = append(inputs, s.Data)
		}
	}
	nSeeds := len(inputs)
	r := rand.New(rand.NewPCG(1, 1))
	for range n {
		b := make([]byte, r.IntN(400))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		inputs = append(inputs, b)
	}
	killed := 0
	for _, m := range mutation.Query() {
		ref := func(s *spec.Scenario) (*spec.Report, error) { return mutation.Evaluate(s, m) }
		at := -1
		for i, in := range inputs {
			if _, _, err := differentialWith(DecodeScenario(in), ref); err != nil {
				at = i
				break
			}
		}
		// The same inputs through the queries check (Load, queries,
		// SetMark updates decoded from the bytes after the scenario).
		atQ := -1
		for i, in := range inputs {
			if err := checkQueriesWith(in, ref); err != nil {
				atQ = i
				break
			}
		}
		if at >= 0 {
			killed++
		}
		t.Logf("%-26s Evaluate: %-40s Queries: %s", m, where(at, nSeeds, n, seeds[KeyEvaluate]), where(atQ, nSeeds, n, seeds[KeyEvaluate]))
	}
	t.Log(fmt.Sprintf("%d of %d mutants caught by the Evaluate check", killed, len(mutation.Query())))
	if killed == 0 {
		t.Fatal("no mutant caught")
	}
}

// where says which input caught a mutant.
func where(at, nSeeds, n int, seeds []Seed) string {
	switch {
	case at < 0:
		return fmt.Sprintf("NOT caught (%d seeds, %d random)", nSeeds, n)
	case at < nSeeds:
		return "seed " + seeds[at].Name
	default:
		return fmt.Sprintf("random input %d", at-nSeeds+1)
	}
}
