package reference

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/perpcheck/perpcheck/spec"
)

// markInputs are the NUM-checked fields of a prices entry; nil means absent.
type markInputs struct {
	mark, index, last, fundingRate, secondsToFunding, basisAverage *apd.Decimal
}

// markPrice is MARK-1..4 for the prices entry at path p of market m; it
// returns the mark every margin quantity uses (MARK-5).
//
//   - MARK-1: a given mark must be > 0 and is used as is.
//   - MARK-2: otherwise index > 0 and last > 0 are required, secondsToFunding
//     >= 0; fundingRate, secondsToFunding and basisAverage default to 0.
//   - MARK-3, MARK-4: mark = down(computedMark(...)), which must be > 0.
//
// The computed mark is a reported value (report prices.<name>.mark), so NUM-2
// applies to it at that path; SPEC's EVAL-2 lists no step for it, so it is
// checked here, right after MARK-4 (a reading of NUM-2, see the report).
func markPrice(p string, f markInputs, m *market) (*price, *spec.Error) {
	// MARK-1.
	if f.mark != nil {
		if f.mark.Sign() <= 0 {
			return nil, fail(p+".mark", "MARK-1", "mark must be > 0, got %s", str(f.mark))
		}
		return &price{mark: f.mark}, nil
	}
	// MARK-2: requirements and defaults.
	if f.index == nil || f.index.Sign() <= 0 {
		return nil, fail(p+".index", "MARK-2", "without a mark, index must be given and > 0")
	}
	if f.last == nil || f.last.Sign() <= 0 {
		return nil, fail(p+".last", "MARK-2", "without a mark, last must be given and > 0")
	}
	if f.secondsToFunding != nil && f.secondsToFunding.Sign() < 0 {
		return nil, fail(p+".secondsToFunding", "MARK-2", "secondsToFunding must be >= 0, got %s", str(f.secondsToFunding))
	}
	orZero := func(x *apd.Decimal) *apd.Decimal {
		if x == nil {
			return dec(0)
		}
		return x
	}
	band := m.priceBand
	if m.mut == mutBandIgnored {
		band = nil // mutant.go
	}
	m3 := computedMark(f.index, f.last, orZero(f.fundingRate), orZero(f.secondsToFunding), orZero(f.basisAverage), m.fundingH, band)
	if m.mut == mutMarkFromLast {
		m3 = exact(f.last) // mutant.go
	}
	// MARK-4: mark = down(m) > 0.
	mark := down(m3)
	if mark.Sign() <= 0 {
		return nil, fail(p+".mark", "MARK-4", "the computed mark %s is not > 0", str(mark))
	}
	if !inRange(mark) {
		return nil, fail(p+".mark", "NUM-2", "the computed mark %s is outside [-MAX, MAX]", str(mark))
	}
	return &price{mark: mark, computed: true}, nil
}

// computedMark is MARK-2 and MARK-3, exactly (before the rounding of MARK-4).
// With H = fundingIntervalHours:
//
//	P1 = index * (1 + fundingRate * secondsToFunding / (3600 * H))
//	P2 = index + basisAverage
//	P3 = last
//	m  = median(P1, P2, P3)
//	m  = min(max(m, index * (1 - b)), index * (1 + b))   when markPriceBand = b
func computedMark(index, last, fundingRate, secondsToFunding, basisAverage, h, band *apd.Decimal) ratio {
	fundingBasis := quo(mul(fundingRate, secondsToFunding), mul(dec(3600), h))
	p1 := exact(index).times(exact(dec(1)).plus(fundingBasis))
	p2 := exact(add(index, basisAverage))
	p3 := exact(last)
	m := median(p1, p2, p3)
	if band != nil {
		lo := exact(mul(index, sub(dec(1), band)))
		hi := exact(mul(index, add(dec(1), band)))
		m = minRatio(maxRatio(m, lo), hi)
	}
	return m
}

// median returns the middle one of three values (MARK-3), compared exactly.
func median(a, b, c ratio) ratio {
	// median = max(min(a, b), min(max(a, b), c))
	return maxRatio(minRatio(a, b), minRatio(maxRatio(a, b), c))
}
