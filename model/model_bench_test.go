package model

import (
	"strconv"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// benchScenario has n cross positions in n markets with Binance-like tier
// tables (mark basis), default leverage, longs and shorts alternating.
func benchScenario(n int, mode spec.MarginMode) *spec.Scenario {
	s := &spec.Scenario{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{}}
	s.Account.WalletBalance = d("250000")
	for i := 0; i < n; i++ {
		name := "M" + strconv.Itoa(i)
		s.Markets[name] = mkt("0.01", "0.001", spec.BasisMark, binanceTiers())
		price := decimal.New(int64(1000+37*i), 0)
		s.Prices[name] = spec.Price{Mark: decimal.NullDecimal{Decimal: price, Valid: true}}
		side := spec.Long
		if i%2 == 1 {
			side = spec.Short
		}
		s.Account.Positions = append(s.Account.Positions, spec.Position{
			Market: name, Side: side, Size: decimal.New(int64(10+i), 0),
			EntryPrice: price.Mul(d("0.97")), MarginMode: mode,
		})
	}
	return s
}

func loadBench(b *testing.B, n int, mode spec.MarginMode) *Portfolio {
	b.Helper()
	p, err := Load(benchScenario(n, mode))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

var (
	sinkHealth PoolHealth
	sinkPrice  PriceResult
	sinkPos    PositionMetrics
)

// BenchmarkCross is the health check of a 10-position cross pool (equity,
// IM, MM, available, margin ratio, trigger).
func BenchmarkCross(b *testing.B) {
	p := loadBench(b, 10, spec.Cross)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkHealth, _ = p.Cross()
	}
}

// BenchmarkScan is a price update followed by the health check.
func BenchmarkScan(b *testing.B) {
	p := loadBench(b, 10, spec.Cross)
	m0 := Fixed(1000 * Scale)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = p.SetMark(0, m0+Fixed(i&1023))
		sinkHealth, _ = p.Cross()
	}
}

func BenchmarkIsolated(b *testing.B) {
	p := loadBench(b, 1, spec.Isolated)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkHealth, _ = p.Isolated(0)
	}
}

func BenchmarkPosition(b *testing.B) {
	p := loadBench(b, 10, spec.Cross)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkPos, _ = p.Position(3)
	}
}

// BenchmarkLiquidationPriceCross solves a cross position of a 10-position pool.
func BenchmarkLiquidationPriceCross(b *testing.B) {
	p := loadBench(b, 10, spec.Cross)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkPrice, _ = p.LiquidationPrice(3)
	}
}

func BenchmarkLiquidationPriceIsolated(b *testing.B) {
	p := loadBench(b, 1, spec.Isolated)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sinkPrice, _ = p.LiquidationPrice(0)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	s := benchScenario(10, spec.Cross)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Evaluate(s); err != nil {
			b.Fatal(err)
		}
	}
}
