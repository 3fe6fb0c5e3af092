package bench

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
)

// These tests check that the implementations the benchmarks compare compute
// the same thing on the benchmarks' own data: the shopspring and apd kernels
// exactly (their divisions at 16 and 34 digits do not reach the 8th decimal
// on these inputs), the float64 kernel within a relative 1e-9 (or one unit
// 1e-8, since the model rounds to that grid and the float kernel does not),
// and the reference exactly.

func fx(f model.Fixed) float64 { return float64(f) / model.Scale }

// closeTo reports |got - want| <= max(1e-9*|want|, 1e-8).
func closeTo(got float64, want model.Fixed) bool {
	w := fx(want)
	return math.Abs(got-w) <= math.Max(1e-9*math.Abs(w), 1e-8)
}

func mustLoad(t testing.TB, s *spec.Scenario) *model.Portfolio {
	t.Helper()
	p, err := model.Load(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func checkHealth(t *testing.T, what string, h model.PoolHealth, f floatHealth, d decimalHealth) {
	t.Helper()
	fields := []struct {
		name string
		m    model.Fixed
		f    float64
		d    decimal.Decimal
	}{
		{"equity", h.Equity, f.Equity, d.Equity},
		{"initialMargin", h.InitialMargin, f.InitialMargin, d.InitialMargin},
		{"maintenanceMargin", h.MaintenanceMargin, f.MaintenanceMargin, d.MaintenanceMargin},
		{"available", h.Available, f.Available, d.Available},
		{"marginRatio", h.MarginRatio, f.MarginRatio, d.MarginRatio},
	}
	for _, x := range fields {
		if !closeTo(x.f, x.m) {
			t.Errorf("%s: %s float64 %.10f, model %s", what, x.name, x.f, x.m)
		}
		if !x.d.Equal(x.m.Decimal()) {
			t.Errorf("%s: %s shopspring %s, model %s", what, x.name, x.d, x.m)
		}
	}
	if f.Liquidatable != h.Liquidatable || d.Liquidatable != h.Liquidatable {
		t.Errorf("%s: liquidatable float64 %v shopspring %v model %v", what, f.Liquidatable, d.Liquidatable, h.Liquidatable)
	}
	if f.MarginRatioOK != h.MarginRatioOK || d.MarginRatioOK != h.MarginRatioOK {
		t.Errorf("%s: marginRatio present float64 %v shopspring %v model %v", what, f.MarginRatioOK, d.MarginRatioOK, h.MarginRatioOK)
	}
}

func checkApd(t *testing.T, what string, h model.PoolHealth, a apdHealth) {
	t.Helper()
	for _, x := range []struct {
		name string
		m    model.Fixed
		a    *apd.Decimal
	}{
		{"equity", h.Equity, &a.Equity},
		{"initialMargin", h.InitialMargin, &a.InitialMargin},
		{"maintenanceMargin", h.MaintenanceMargin, &a.MaintenanceMargin},
		{"available", h.Available, &a.Available},
		{"marginRatio", h.MarginRatio, &a.MarginRatio},
	} {
		if got := decimal.RequireFromString(x.a.Text('f')); !got.Equal(x.m.Decimal()) {
			t.Errorf("%s: %s apd %s, model %s", what, x.name, got, x.m)
		}
	}
	if a.Liquidatable != h.Liquidatable || a.MarginRatioOK != h.MarginRatioOK {
		t.Errorf("%s: apd liquidatable/ratio %v/%v, model %v/%v", what, a.Liquidatable, a.MarginRatioOK, h.Liquidatable, h.MarginRatioOK)
	}
}

func checkReferencePool(t *testing.T, what string, s *spec.Scenario, h model.PoolHealth) {
	t.Helper()
	rep, err := reference.Evaluate(s)
	if err != nil {
		t.Fatal(err)
	}
	pl := rep.Pools[0]
	if !pl.Equity.Equal(h.Equity.Decimal()) || !pl.InitialMargin.Equal(h.InitialMargin.Decimal()) ||
		!pl.MaintenanceMargin.Equal(h.MaintenanceMargin.Decimal()) || !pl.Available.Equal(h.Available.Decimal()) ||
		pl.Liquidatable != h.Liquidatable {
		t.Errorf("%s: reference pool %+v, model %+v", what, pl, h)
	}
}

func TestAgreeHealth(t *testing.T) {
	u, err := healthUniverse(100)
	if err != nil {
		t.Fatal(err)
	}
	fm, dm, am := newFloatMarkets(u), newDecimalMarkets(u), newApdMarkets(u)
	for _, n := range []int{1, 10, 100} {
		acc := u.HealthAccount(n)
		s := u.Scenario(acc)
		p := mustLoad(t, s)
		fa, da, aa := newFloatAccount(u, fm, acc), newDecimalAccount(u, dm, acc), newApdAccount(u, acc)
		fmarks, dmarks, amarks := newFloatMarks(u), newDecimalMarks(u), newApdMarks(u)
		btc := u.Index["BTCUSDT"]
		mi, _ := p.MarketIndex("BTCUSDT")
		for v, mark := range healthMarks(u) {
			if err := p.SetMark(mi, mustFixed(t, mark)); err != nil {
				t.Fatal(err)
			}
			fmarks[btc], dmarks[btc], amarks[btc] = mark.InexactFloat64(), mark, toApd(mark)
			h, err := p.Cross()
			if err != nil {
				t.Fatal(err)
			}
			what := fmt.Sprintf("pos=%d mark %d", n, v)
			checkHealth(t, what, h, fa.Cross(fm, fmarks), da.Cross(dm, dmarks))
			checkApd(t, what, h, aa.Cross(am, amarks))
			if n <= 10 {
				s.Prices["BTCUSDT"] = spec.Price{Mark: decimal.NewNullDecimal(mark)}
				checkReferencePool(t, what, s, h)
			}
		}
	}
}

func TestAgreeLiqPrice(t *testing.T) {
	u, err := liqUniverse()
	if err != nil {
		t.Fatal(err)
	}
	fm, dm := newFloatMarkets(u), newDecimalMarkets(u)
	fmarks, dmarks := newFloatMarks(u), newDecimalMarks(u)
	for _, mode := range []spec.MarginMode{spec.Isolated, spec.Cross} {
		acc := u.LiqAccount(mode)
		s := u.Scenario(acc)
		p := mustLoad(t, s)
		fa, da := newFloatAccount(u, fm, acc), newDecimalAccount(u, dm, acc)
		for i := range acc.Positions {
			what := fmt.Sprintf("mode=%s position %d", mode, i)
			r, err := p.LiquidationPrice(i)
			if err != nil {
				t.Fatal(err)
			}
			f, d := fa.LiquidationPrice(fm, fmarks, i), da.LiquidationPrice(dm, dmarks, i)
			if i == 0 && !r.OK {
				t.Fatalf("%s: the benchmarked position has no liquidation price (%s)", what, r.Reason)
			}
			if f.OK != r.OK || d.OK != r.OK {
				t.Fatalf("%s: OK float64 %v shopspring %v model %v (%s)", what, f.OK, d.OK, r.OK, r.Reason)
			}
			if !r.OK {
				continue
			}
			if !closeTo(f.Exact, r.Exact) || !closeTo(f.Price, r.Price) {
				t.Errorf("%s: float64 %v/%v, model %s/%s", what, f.Exact, f.Price, r.Exact, r.Price)
			}
			if !d.Exact.Equal(r.Exact.Decimal()) || !d.Price.Equal(r.Price.Decimal()) {
				t.Errorf("%s: shopspring %s/%s, model %s/%s", what, d.Exact, d.Price, r.Exact, r.Price)
			}
			rep, err := reference.Evaluate(s)
			if err != nil {
				t.Fatal(err)
			}
			rp := rep.Positions[i]
			if !rp.LiquidationPrice.Valid || !rp.LiquidationPrice.Decimal.Equal(r.Price.Decimal()) ||
				!rp.LiquidationPriceExact.Decimal.Equal(r.Exact.Decimal()) {
				t.Errorf("%s: reference %v/%v, model %s/%s", what, rp.LiquidationPriceExact, rp.LiquidationPrice, r.Exact, r.Price)
			}
			if i == 0 {
				t.Logf("%s: liquidation price %s (exact %s)", what, r.Price, r.Exact)
			}
		}
	}
}

// TestAgreeScan checks the scan's accounts: every implementation finds the
// same liquidatable accounts after each of the two mark updates, with the
// same health values, and the updates liquidate some accounts but not all.
func TestAgreeScan(t *testing.T) {
	u, err := scanUniverse()
	if err != nil {
		t.Fatal(err)
	}
	n := 2000
	if testing.Short() {
		n = 200
	}
	fm, dm, am := newFloatMarkets(u), newDecimalMarkets(u), newApdMarkets(u)
	fmarks, dmarks, amarks := newFloatMarks(u), newDecimalMarks(u), newApdMarks(u)
	btc := u.Index["BTCUSDT"]
	marks := u.ScanMarks()
	var liq [2]int
	var liqIdx [2][]int32 // the model's liquidatable accounts, for the Book
	accounts := make([]spec.Account, n)
	for i := 0; i < n; i++ {
		acc := u.ScanAccount(scanSeed, i)
		accounts[i] = acc
		s := u.Scenario(acc)
		p := mustLoad(t, s)
		mi, _ := p.MarketIndex("BTCUSDT")
		fa, da, aa := newFloatAccount(u, fm, acc), newDecimalAccount(u, dm, acc), newApdAccount(u, acc)
		for v, mark := range marks {
			if err := p.SetMark(mi, mustFixed(t, mark)); err != nil {
				t.Fatal(err)
			}
			fmarks[btc], dmarks[btc], amarks[btc] = mark.InexactFloat64(), mark, toApd(mark)
			h, err := p.Cross()
			if err != nil {
				t.Fatal(err)
			}
			what := fmt.Sprintf("account %d mark %d", i, v)
			checkHealth(t, what, h, fa.Cross(fm, fmarks), da.Cross(dm, dmarks))
			checkApd(t, what, h, aa.Cross(am, amarks))
			if h.Liquidatable {
				liq[v]++
				liqIdx[v] = append(liqIdx[v], int32(i))
			}
			if i < 20 {
				s.Prices["BTCUSDT"] = spec.Price{Mark: decimal.NewNullDecimal(mark)}
				checkReferencePool(t, what, s, h)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	for v := range liq {
		if liq[v] == 0 || liq[v] == n {
			t.Errorf("mark %d liquidates %d of %d accounts", v, liq[v], n)
		}
	}
	t.Logf("liquidatable after the down/up move: %d, %d of %d", liq[0], liq[1], n)
	// impl=book: the same accounts in one model.Book, scanned whole and in two
	// halves (BenchmarkScan's g=2), find exactly the same accounts.
	b, err := u.NewBook(accounts)
	if err != nil {
		t.Fatal(err)
	}
	bi, _ := b.MarketIndex("BTCUSDT")
	for v, mark := range marks {
		if err := b.SetMark(bi, mustFixed(t, mark)); err != nil {
			t.Fatal(err)
		}
		got, err := b.Scan(nil)
		if err != nil || !slices.Equal(got, liqIdx[v]) {
			t.Fatalf("mark %d: Book.Scan found %d accounts (err %v), the model %d", v, len(got), err, len(liqIdx[v]))
		}
		got, _ = b.ScanRange(0, n/2, got[:0])
		got, _ = b.ScanRange(n/2, n, got)
		if !slices.Equal(got, liqIdx[v]) {
			t.Fatalf("mark %d: Book.ScanRange halves differ from the model", v)
		}
	}
}

func mustFixed(t testing.TB, d decimal.Decimal) model.Fixed {
	t.Helper()
	f, err := model.FixedFromDecimal(d)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
