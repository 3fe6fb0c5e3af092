package model_test

import (
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// TestPMGoldenAgree evaluates the published portfolio-margin examples
// (gen.PMGolden: OKX MR7 scaling, Deribit calendar, SPAN single long; hand
// computations in reference/pm_test.go and gen) with the model and checks
// the report equals the reference's exactly (SPEC PM-4..13), and the three
// headline numbers.
func TestPMGoldenAgree(t *testing.T) {
	for name, mm := range map[string]string{"okx-mr7": "50000", "deribit-calendar": "50000", "span-long": "30000"} {
		s := gen.PMGolden(name)
		got, err := model.Evaluate(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := reference.Evaluate(s)
		if err != nil {
			t.Fatalf("%s: reference: %v", name, err)
		}
		if d := spec.Diff(got, want); d != nil {
			t.Errorf("%s: model vs reference: %v", name, d)
		}
		if got.Portfolio == nil || got.Portfolio.MaintenanceMargin.String() != mm {
			t.Errorf("%s: portfolio MM = %v, want %s", name, got.Portfolio, mm)
		}
	}
}

// TestPMAllocs: the portfolio queries do not allocate (PM, model doc).
func TestPMAllocs(t *testing.T) {
	p, err := model.Load(gen.PMGolden("okx-mr7"))
	if err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(100, func() {
		if _, err := p.PortfolioPool(); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Unit(0); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Fatalf("PortfolioPool + Unit allocate %v times per run, want 0", n)
	}
}
