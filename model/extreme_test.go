package model_test

import (
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// TestExtremesReported (NUM-2): a reported value of exactly -MAX or MAX
// fits and is reported, not an error: the hand-made scenarios of
// gen.Extremes (each value computed by hand there) give the model that
// value at its path, and the model's report equals the reference's. The
// model checks each range with its own comparison (pool equity, a
// position's P&L, the default isolated margin, the portfolio's equity,
// margin ratio and critical move), which the random generators never
// put on the edge.
func TestExtremesReported(t *testing.T) {
	for _, x := range gen.Extremes() {
		t.Run(x.Name, func(t *testing.T) {
			got, err := model.Evaluate(x.Scenario)
			if err != nil {
				t.Fatalf("%v (%s)", err, x.What)
			}
			if msg := x.Check(got); msg != "" {
				t.Errorf("%s (%s)", msg, x.What)
			}
			want, err := reference.Evaluate(x.Scenario)
			if err != nil {
				t.Fatalf("reference: %v", err)
			}
			if d := spec.Diff(got, want); d != nil {
				t.Errorf("model vs reference: %v", d)
			}
		})
	}
}
