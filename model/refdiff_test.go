// This file is a first randomized differential test of the engine against the
// apd reference (SPEC: "model and reference agree exactly"). It runs 3,000
// scenarios by default; REFDIFF_N and REFDIFF_SEED make deeper or other runs.
// The conformance suite (properties/) holds the full differential property.

package model_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

func TestDifferentialAgainstReference(t *testing.T) {
	seed := uint64(42)
	if v := os.Getenv("REFDIFF_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	n := 3000
	if testing.Short() {
		n = 500
	}
	if v := os.Getenv("REFDIFF_N"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	var errs, oks int
	for it := 0; it < n; it++ {
		s := genScenario(r)
		if it%3 == 2 {
			s = genExtreme(r)
		}
		got, gerr := model.Evaluate(s)
		want, werr := reference.Evaluate(s)
		if (gerr != nil) != (werr != nil) {
			t.Fatalf("case %d: model err %v, reference err %v\n%s", it, gerr, werr, dump(s))
		}
		if gerr != nil {
			ge, ok1 := gerr.(*spec.Error)
			we, ok2 := werr.(*spec.Error)
			if !ok1 || !ok2 || ge.Path != we.Path || ge.Rule != we.Rule {
				t.Fatalf("case %d: model err %v, reference err %v\n%s", it, gerr, werr, dump(s))
			}
			errs++
			continue
		}
		oks++
		if diff := spec.Diff(got, want); diff != nil {
			t.Fatalf("case %d: model vs reference: %s\n%s", it, strings.Join(diff, "; "), dump(s))
		}
	}
	t.Logf("%d reports, %d errors", oks, errs)
}

func dump(s *spec.Scenario) string { return fmt.Sprintf("%+v", *s) }
