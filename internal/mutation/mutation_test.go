package mutation_test

import (
	"testing"

	"github.com/perpcheck/perpcheck/internal/mutation"
	_ "github.com/perpcheck/perpcheck/reference" // registers the mutated entry points
	"github.com/perpcheck/perpcheck/spec"
)

// TestCatalogue: 29 query and 38 ledger mutations, names unique, the two
// lists disjoint, and each entry point refuses the other list's mutations.
func TestCatalogue(t *testing.T) {
	q, l := mutation.Query(), mutation.Ledger()
	if len(q) != 29 || len(l) != 38 {
		t.Fatalf("%d query and %d ledger mutations, want 29 and 38", len(q), len(l))
	}
	seen := map[mutation.Mutation]bool{}
	for _, m := range append(q, l...) {
		if seen[m] || m == "" {
			t.Errorf("mutation %q twice or empty", m)
		}
		seen[m] = true
	}
	for _, m := range q {
		if mutation.IsLedger(m) {
			t.Errorf("query mutation %s is a ledger mutation", m)
		}
		if l, err := mutation.NewLedger(&spec.State{}, m); err == nil || l != nil {
			t.Errorf("NewLedger accepted the query mutation %s", m)
		}
	}
	for _, m := range l {
		if _, err := mutation.Evaluate(&spec.Scenario{}, m); err == nil {
			t.Errorf("Evaluate accepted the ledger mutation %s", m)
		}
	}
}
