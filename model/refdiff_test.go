// This file is a first randomized differential test of the engine against the
// apd reference (SPEC: "model and reference agree exactly"). It runs 3,000
// scenarios by default; REFDIFF_N and REFDIFF_SEED make deeper or other runs.
// The conformance suite (properties/) holds the full differential property.

package model_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"

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
		if diff := cmpReports(got, want); diff != "" {
			t.Fatalf("case %d: %s\n%s", it, diff, dump(s))
		}
	}
	t.Logf("%d reports, %d errors", oks, errs)
}

func dump(s *spec.Scenario) string { return fmt.Sprintf("%+v", *s) }

func cmpReports(a, b *spec.Report) string {
	if len(a.Prices) != len(b.Prices) {
		return "prices differ in length"
	}
	for k, v := range a.Prices {
		w := b.Prices[k]
		if !v.Mark.Equal(w.Mark) || v.Computed != w.Computed {
			return fmt.Sprintf("prices[%s]: %v vs %v", k, v, w)
		}
	}
	if len(a.Positions) != len(b.Positions) || len(a.Pools) != len(b.Pools) {
		return "length mismatch"
	}
	for i := range a.Positions {
		if d := cmpStruct(reflect.ValueOf(a.Positions[i]), reflect.ValueOf(b.Positions[i])); d != "" {
			return fmt.Sprintf("positions[%d].%s", i, d)
		}
	}
	for i := range a.Pools {
		if d := cmpStruct(reflect.ValueOf(a.Pools[i]), reflect.ValueOf(b.Pools[i])); d != "" {
			return fmt.Sprintf("pools[%d].%s", i, d)
		}
	}
	return ""
}

func cmpStruct(a, b reflect.Value) string {
	for i := 0; i < a.NumField(); i++ {
		name := a.Type().Field(i).Name
		x, y := a.Field(i).Interface(), b.Field(i).Interface()
		switch xv := x.(type) {
		case decimal.Decimal:
			if !xv.Equal(y.(decimal.Decimal)) {
				return fmt.Sprintf("%s: %s vs %s", name, xv, y)
			}
		case decimal.NullDecimal:
			yv := y.(decimal.NullDecimal)
			if xv.Valid != yv.Valid || (xv.Valid && !xv.Decimal.Equal(yv.Decimal)) {
				return fmt.Sprintf("%s: %v vs %v", name, xv, yv)
			}
		default:
			if !reflect.DeepEqual(x, y) {
				return fmt.Sprintf("%s: %v vs %v", name, x, y)
			}
		}
	}
	return ""
}
