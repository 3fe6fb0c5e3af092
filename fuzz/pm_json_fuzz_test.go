package fuzz

import "testing"

// FuzzPMJSON is CheckScenarioJSON (strictjson, venue.Resolve, model vs
// reference) seeded with portfolio-margin scenarios (SPEC PM, MKT-6): the
// published examples and random portfolio accounts, so that mutations reach
// the portfolioMargin block, underlying and expiry. Its seed corpus is
// testdata/fuzz/FuzzPMJSON (generated, see doc.go).
func FuzzPMJSON(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := CheckScenarioJSON(data); err != nil {
			t.Fatal(err)
		}
	})
}
