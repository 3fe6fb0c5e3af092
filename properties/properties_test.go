package properties_test

import (
	"testing"

	"github.com/perpcheck/perpcheck/internal/mutants"
	"github.com/perpcheck/perpcheck/properties"
)

// TestModel runs the whole suite against the fixed-point engine.
func TestModel(t *testing.T) {
	properties.Run(t, properties.Model(), &properties.Config{RequireAll: true})
}

// TestReference runs the suite against the apd reference, with the model as
// the differential oracle (queries and ledger).
func TestReference(t *testing.T) {
	model, _ := properties.Model()()
	properties.Run(t, mutants.Reference(), &properties.Config{Oracle: model, RequireAll: true})
}
