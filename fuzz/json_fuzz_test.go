package fuzz

import "testing"

// FuzzScenarioJSON feeds raw bytes to the CLI's scenario decoding path
// (strictjson, venue.Resolve) and both evaluations (see CheckScenarioJSON). Its
// seed corpus is testdata/fuzz/FuzzScenarioJSON (generated, see doc.go).
func FuzzScenarioJSON(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := CheckScenarioJSON(data); err != nil {
			t.Fatal(err)
		}
	})
}
