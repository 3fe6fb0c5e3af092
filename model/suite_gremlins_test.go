//go:build gremlins

package model_test

import (
	"testing"
	"time"

	"github.com/perpcheck/perpcheck/properties"
)

// TestSuiteForGremlins runs the conformance suite (package properties, every
// property, the default budget) against the model. It is built only with the
// tag gremlins (ci/mutation.sh): the automatic mutation tool runs the tests of
// the mutated package, so without it a mutant of model/ would be judged by
// the model's own tests alone and not by the suite.
func TestSuiteForGremlins(t *testing.T) {
	res, err := properties.Check(properties.Model(), &properties.Config{
		Cases: 100, Runs: 300, FailFast: true, Parallel: 2, ShrinkTime: time.Millisecond, Timeout: 20 * time.Second,
	})
	if err != nil {
		for _, p := range res.Properties {
			if p.Status == properties.Fail {
				t.Logf("%s: %s", p.ID, p.Failure.Message)
			}
		}
		t.Fatal(err)
	}
	t.Logf("%d properties passed in %v", res.Passed, res.Duration)
}
