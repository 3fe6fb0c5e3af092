package fuzz

import "testing"

// FuzzCCXT feeds raw bytes to venue.LoadCCXT and venue.LoadCCXTList (see
// CheckCCXT). Its seed corpus is testdata/fuzz/FuzzCCXT (generated, see
// doc.go).
func FuzzCCXT(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := CheckCCXT(data); err != nil {
			t.Fatal(err)
		}
	})
}
