package model

import (
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// Evaluate validates s and returns its report (SPEC RPT): Load followed by
// Report. Bad input, and a reported value outside the fixed-point range, is an
// *Error naming the first violation in the order of SPEC EVAL-2. s is never
// modified, and no partial report is returned.
func Evaluate(s *spec.Scenario) (*spec.Report, error) {
	p, err := Load(s)
	if err != nil {
		return nil, err
	}
	return p.Report()
}

func dec(v Fixed) decimal.Decimal { return v.Decimal() }

func nullDec(v Fixed) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: v.Decimal(), Valid: true}
}

// Report returns the full report at the current marks (SPEC RPT-1..3),
// checking the reported values in the order of EVAL-2 steps 4 and 5. It
// allocates the report.
func (p *Portfolio) Report() (*spec.Report, error) {
	r := &spec.Report{
		Prices:    make(map[string]spec.PriceReport),
		Positions: make([]spec.PositionReport, len(p.pos)),
		Pools:     make([]spec.PoolReport, 0, 1+p.isoPool),
	}
	for mi := range p.markets {
		mk := &p.markets[mi]
		if mk.hasMark {
			r.Prices[mk.name] = spec.PriceReport{Mark: dec(Fixed(p.marks[mi])), Computed: mk.computed}
		}
	}
	// The cross pool's K of LIQ-1 and K0 of BKR-1 for each position are the
	// pool totals minus the position's own terms.
	k24 := p.wallet24
	k16 := p.wallet16
	u16s := make([]wide.Int, len(p.pos))
	mm24s := make([]wide.Int, len(p.pos))
	for _, ci := range p.cross {
		_, _, u, mm, _, _ := p.eval(&p.pos[ci])
		u16s[ci], mm24s[ci] = u, mm
		k24 = k24.Add(u.Mul(p.u8d)).Sub(mm)
		k16 = k16.Add(u)
	}
	for i := range p.pos {
		ps := &p.pos[i]
		m, err := p.Position(i)
		if err != nil {
			return nil, err
		}
		pr := &r.Positions[i]
		pr.Market, pr.Side, pr.MarginMode = ps.name, ps.side, ps.mode
		pr.Notional = dec(m.Notional)
		pr.UnrealizedPnl = dec(m.UnrealizedPnl)
		pr.Leverage = dec(m.Leverage)
		pr.InitialMargin = dec(m.InitialMargin)
		pr.MaintenanceMargin = dec(m.MaintenanceMargin)
		pr.Tier = m.Tier
		var liq, bkr PriceResult
		if ps.portfolio { // PM-12
			liq, bkr = PriceResult{Reason: spec.ReasonPortfolio}, PriceResult{Reason: spec.ReasonPortfolio}
		} else if ps.cross {
			liq = p.liq(ps, k24.Sub(u16s[i].Mul(p.u8d)).Add(mm24s[i]), k16.Sub(u16s[i]))
			bkr = p.bkr(ps, k16.Sub(u16s[i]))
		} else {
			if ps.isoOverflow {
				return nil, reportErr("positions", i, "isolatedMargin")
			}
			pr.IsolatedMargin = nullDec(Fixed(ps.iso))
			pr.MaxRemovableMargin = nullDec(p.maxRemovable(ps))
			liq = p.liq(ps, wide.MulU64(uint64(ps.iso), u8).Mul(p.u8d), wide.MulU64(uint64(ps.iso), u8))
			bkr = p.bkr(ps, wide.MulU64(uint64(ps.iso), u8))
		}
		if liq.OK {
			pr.LiquidationPrice = nullDec(liq.Price)
			pr.LiquidationPriceExact = nullDec(liq.Exact)
		} else {
			pr.LiquidationPriceReason = liq.Reason
		}
		if bkr.OK {
			pr.BankruptcyPrice = nullDec(bkr.Price)
		} else {
			pr.BankruptcyPriceReason = bkr.Reason
		}
	}
	h, err := p.Cross()
	if err != nil {
		return nil, err
	}
	r.Pools = append(r.Pools, poolReport(spec.Cross, -1, h))
	for i := range p.pos {
		if p.pos[i].cross || p.pos[i].portfolio {
			continue
		}
		h, err := p.Isolated(i)
		if err != nil {
			return nil, err
		}
		r.Pools = append(r.Pools, poolReport(spec.Isolated, i, h))
	}
	if r.Portfolio, err = p.portfolioReport(); err != nil { // EVAL-2 step 6 (pm_eval.go)
		return nil, err
	}
	return r, nil
}

func poolReport(mode spec.MarginMode, i int, h PoolHealth) spec.PoolReport {
	pr := spec.PoolReport{
		Pool:              mode,
		Position:          i,
		Equity:            dec(h.Equity),
		InitialMargin:     dec(h.InitialMargin),
		MaintenanceMargin: dec(h.MaintenanceMargin),
		Available:         dec(h.Available),
		Liquidatable:      h.Liquidatable,
	}
	if h.MarginRatioOK {
		pr.MarginRatio = nullDec(h.MarginRatio)
	}
	return pr
}

// maxRemovable is POOL-6: down(max(0, min(M, M + min(U, 0) - IM))).
func (p *Portfolio) maxRemovable(ps *position) Fixed {
	nHi, nLo, u, _, tN, _ := p.eval(ps)
	if !u.IsNeg() {
		u = wide.Int{}
	}
	a, r, l := imDivmod(wide.Int{W0: nLo, W1: nHi}, ps.lev, &ps.tiers[tN])
	uInt, uRem := u.DivFloor(u8)
	// floor(M + U/1e8 - N/l) = M + uInt - a + floor(uRem/1e8 - r/l).
	x := wide.FromInt64(ps.iso).Add(uInt).Sub(a).Add(wide.FromInt64(adjFloor(uRem, r, l)))
	if x.IsNeg() {
		return 0
	}
	if x.Cmp(wide.FromInt64(ps.iso)) > 0 {
		return Fixed(ps.iso)
	}
	v, _ := x.Int64()
	return Fixed(v)
}
