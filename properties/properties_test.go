package properties_test

import (
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties"
)

// TestModel runs the whole suite against the fixed-point engine.
func TestModel(t *testing.T) {
	properties.Run(t, properties.Model(), properties.RequireAll())
}

// TestReference runs the suite against the apd reference, with the model as
// the differential oracle (queries and ledger).
func TestReference(t *testing.T) {
	properties.Run(t, properties.Reference(), properties.Oracle(model.Evaluate),
		properties.LedgerOracle(properties.ModelLedger), properties.RequireAll())
}
