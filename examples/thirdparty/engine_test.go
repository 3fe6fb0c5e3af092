package thirdparty

import (
	"testing"

	"github.com/perpcheck/perpcheck/properties"
)

// TestConformance runs perpcheck's conformance suite against the engine.
func TestConformance(t *testing.T) {
	properties.Run(t, Factory, nil)
}
