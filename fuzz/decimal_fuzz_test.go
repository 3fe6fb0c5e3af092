package fuzz

import "testing"

// FuzzDecimalParse checks strictjson.ParseDecimal and model.FixedFromDecimal
// against the EVAL-4 grammar and big.Rat (see CheckDecimal). Its seed corpus is
// testdata/fuzz/FuzzDecimalParse (generated, see doc.go).
func FuzzDecimalParse(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := CheckDecimal(data); err != nil {
			t.Fatal(err)
		}
	})
}
