package fuzz

import (
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/spec"
)

// ScenarioGen generates scenarios for rapid: it draws up to 1024 bytes and
// decodes them with DecodeScenario. Shrinking the bytes toward zeros shrinks
// the scenario toward the decoder's defaults (one market, one small
// position), so counterexamples come out small.
var ScenarioGen = rapid.Custom(func(t *rapid.T) *spec.Scenario {
	b := rapid.SliceOfN(rapid.Byte(), 0, 1024).Draw(t, "bytes")
	return DecodeScenario(b)
})

// DifferentialProperty is the model-versus-reference property (Differential)
// as a rapid property: one definition runs under rapid.Check
// (TestDifferentialProperty), under go test -fuzz through rapid.MakeFuzz (the
// EvaluateRapid target) and, since that target takes a single []byte, as a
// libFuzzer binary under ClusterFuzzLite.
func DifferentialProperty(t *rapid.T) {
	s := ScenarioGen.Draw(t, "scenario")
	if err := Differential(s); err != nil {
		t.Fatal(err)
	}
}
