package model_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
)

// TestFixedString: Fixed.String (and Append, which it uses) writes a value
// as the shortest decimal of its units of 1e-8, the sign first, as
// shopspring/decimal writes the same value. gremlins' fixed.go:37 survivor
// (the sign test negated) was alive because nothing formatted a Fixed.
func TestFixedString(t *testing.T) {
	for _, u := range []int64{0, 1, -1, 10, -10, 100_000_000, -100_000_000, 123_456_789, -123_456_789, 150_000_000, -5, 1<<63 - 1, -(1<<63 - 1)} {
		want := decimal.New(u, -8).String()
		if got := model.Fixed(u).String(); got != want {
			t.Errorf("Fixed(%d).String() = %q, want %q", u, got, want)
		}
		if got := string(model.Fixed(u).Append([]byte("x"))); got != "x"+want {
			t.Errorf("Fixed(%d).Append(\"x\") = %q, want %q", u, got, "x"+want)
		}
	}
}
