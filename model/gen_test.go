package model_test

import (
	"math/rand/v2"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
)

// The model's randomized tests draw their scenarios from the conformance
// suite's generators (package properties/gen, one generator family per
// input type), seeded from a math/rand stream so that each test is
// deterministic: genScenario gives gen.Scenario's mostly valid scenarios
// (tiers from real venue tables and random ones, given and computed marks,
// cross and isolated positions, entry basis, now and then a broken field),
// genExtreme gen.EdgeScenario's values across the whole fixed-point range.

// genAll enables every feature the model has, every rule variant of SPEC
// VAR and explicit initial margin rates (SPEC TIER-5) included.
var genAll = gen.Config{Isolated: true, EntryBasis: true, ComputedMark: true, ExplicitIMR: true, Variants: implementedVariants()}

func implementedVariants() map[string][]string {
	out := map[string][]string{}
	for _, c := range spec.VariantChoices() {
		out[c.Key] = append(out[c.Key], c.Names...)
	}
	return out
}

func genScenario(r *rand.Rand) *spec.Scenario {
	return gen.Scenario(genAll).Example(int(r.Int32()))
}

func genExtreme(r *rand.Rand) *spec.Scenario {
	return gen.EdgeScenario(genAll).Example(int(r.Int32()))
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func nul(x decimal.Decimal) decimal.NullDecimal { return decimal.NullDecimal{Decimal: x, Valid: true} }

// logUnits returns a value in [1, MAX] units, log-uniformly distributed.
func logUnits(r *rand.Rand) int64 {
	digits := r.IntN(19) // 10^0 .. 10^18
	v := int64(1)
	for i := 0; i < digits; i++ {
		v *= 10
	}
	v += r.Int64N(v) * int64(r.IntN(9)+1)
	if v <= 0 || v > 1<<63-1-1 {
		v = 1<<63 - 1
	}
	return v
}

func fixedDec(units int64) decimal.Decimal { return decimal.New(units, -8) }
