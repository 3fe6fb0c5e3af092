package model

import "testing"

// TestIndexBounds: every indexed query of Portfolio answers ErrIndex for -1
// and for one past the last index, and never ErrIndex inside the range
// (the API's errors-not-panics contract; a bound written `>` instead of
// `>=` would index past the slice and panic). Found by gremlins: liq.go:15
// `i >= len(p.pos)` to `i > len(p.pos)` lived (properties/README.md).
func TestIndexBounds(t *testing.T) {
	p, err := Load(allocScenario())
	if err != nil {
		t.Fatal(err)
	}
	n := p.NumPositions()
	for _, c := range []struct {
		name string
		f    func(i int) error
		n    int
	}{
		{"Position", func(i int) error { _, err := p.Position(i); return err }, n},
		{"LiquidationPrice", func(i int) error { _, err := p.LiquidationPrice(i); return err }, n},
		{"BankruptcyPrice", func(i int) error { _, err := p.BankruptcyPrice(i); return err }, n},
		{"Isolated", func(i int) error { _, err := p.Isolated(i); return err }, n},
		{"SetMark", func(i int) error { return p.SetMark(i, 1) }, len(p.marks)},
		{"Unit", func(i int) error { _, err := p.Unit(i); return err }, p.NumUnits()},
	} {
		for _, i := range []int{-1, c.n} {
			if err := c.f(i); err != ErrIndex {
				t.Errorf("%s(%d) of %d: err = %v, want ErrIndex", c.name, i, c.n, err)
			}
		}
		for i := range c.n {
			if err := c.f(i); err == ErrIndex {
				t.Errorf("%s(%d) of %d: ErrIndex inside the range", c.name, i, c.n)
			}
		}
	}
}
