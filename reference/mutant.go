package reference

import (
	"math/big"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/mutation"
	"github.com/perpcheck/perpcheck/spec"
)

// mutant is a deliberate bug injected into the reference (a
// mutation.Mutation): the mutants of package internal/mutation, the teeth
// test of the conformance suite. Evaluate and NewLedger never apply one; the
// mutated entry points are registered with package mutation (init below) and
// are not part of this package's API.
type mutant string

// noMutation is Evaluate: the reference as specified.
const noMutation mutant = ""

// The query bugs (internal/mutation documents each).
const (
	mutIMRoundDown          = mutant(mutation.IMRoundDown)
	mutMMRoundDown          = mutant(mutation.MMRoundDown)
	mutMMOnEntry            = mutant(mutation.MMOnEntry)
	mutTriggerLE            = mutant(mutation.TriggerLE)
	mutTierAtEntry          = mutant(mutation.TierAtEntry)
	mutPrevTierAtBoundary   = mutant(mutation.PrevTierAtBoundary)
	mutLPTowardMark         = mutant(mutation.LPTowardMark)
	mutCrossLPIgnoresOthers = mutant(mutation.CrossLPIgnoresOthers)
	mutIsolatedUsesWallet   = mutant(mutation.IsolatedUsesWallet)
	mutWrapOverflow         = mutant(mutation.WrapOverflow)
	mutMutatesInput         = mutant(mutation.MutatesInput)
	mutNoTierLeverageCap    = mutant(mutation.NoTierLeverageCap)
	mutMarkFromLast         = mutant(mutation.MarkFromLast)
	mutBandIgnored          = mutant(mutation.BandIgnored)
	mutPnlRoundHalf         = mutant(mutation.PnlRoundHalf)
	mutRemovableIgnoresLoss = mutant(mutation.RemovableIgnoresLoss)
	mutRatioRoundDown       = mutant(mutation.RatioRoundDown)
	mutAtEqualityIgnored    = mutant(mutation.AtEqualityIgnored)
	mutUpperBoundIgnored    = mutant(mutation.UpperBoundIgnored)
	mutFlatIgnored          = mutant(mutation.FlatIgnored)
	mutCloseFeeIgnored      = mutant(mutation.CloseFeeIgnored)
	mutHalfInitialIgnored   = mutant(mutation.HalfInitialIgnored)
	mutIMRIgnored           = mutant(mutation.IMRIgnored)

	mutPMGridPointSkipped        = mutant(mutation.PMGridPointSkipped)
	mutPMOffsetAcrossUnderlyings = mutant(mutation.PMOffsetAcrossUnderlyings)
	mutPMNoMinimumCharge         = mutant(mutation.PMNoMinimumCharge)
	mutPMNoContingency           = mutant(mutation.PMNoContingency)
	mutPMTriggerLE               = mutant(mutation.PMTriggerLE)
	mutPMDownMoveAtMinusOne      = mutant(mutation.PMDownMoveAtMinusOne)
)

// wrongVariant applies the wrong-variant mutants to a validated input: the
// market's variant is validated but the default rule is applied.
func (m mutant) wrongVariant(in *input) {
	switch m {
	case mutAtEqualityIgnored:
		in.atEq = false
	case mutIMRIgnored:
		// QTY-4's IM with 1/min(L, maxLeverage_t), POS-5's default (computed
		// later, in step 3) included.
		for _, mk := range in.markets {
			for t := range mk.tiers {
				mk.tiers[t].imr = nil
			}
		}
	case mutHalfInitialIgnored:
		// The given rates (+ the close fee), their TIER-6 deductions (0
		// under flat), denominator 1.
		for _, mk := range in.markets {
			if mk.variants.MaintenanceRate != spec.MaintenanceRateHalfInitial {
				continue
			}
			sch := mk.schedule()
			cums := maintenanceAmounts(mk.tiers)
			for t := range mk.tiers {
				tr := &mk.tiers[t]
				tr.rate, tr.cum, tr.den = add(tr.mmr, sch.fee), cums[t], dec(1)
				if sch.flat {
					tr.cum = dec(0)
				}
			}
		}
	case mutUpperBoundIgnored, mutFlatIgnored, mutCloseFeeIgnored:
		for _, mk := range in.markets {
			cums := maintenanceAmounts(mk.tiers)
			for t := range mk.tiers {
				tr := &mk.tiers[t]
				switch m {
				case mutUpperBoundIgnored:
					tr.upper = false
				case mutFlatIgnored:
					tr.cum = cums[t]
					if mk.variants.MaintenanceRate == spec.MaintenanceRateHalfInitial {
						tr.cum = halfInitialCum(mk.tiers[:t+1], tr.den)
					}
				case mutCloseFeeIgnored:
					tr.rate = tr.mmr
					if mk.variants.MaintenanceRate == spec.MaintenanceRateHalfInitial {
						tr.rate = halfInitialNum(tr.den, tr.maxLev)
					}
				}
			}
		}
	}
}

func init() {
	mutation.Register(
		func(s *spec.Scenario, m mutation.Mutation) (*spec.Report, error) { return evaluateWith(s, mutant(m)) },
		func(st *spec.State, m mutation.Mutation) (mutation.LedgerSession, error) {
			l, err := newLedgerWith(st, mutant(m))
			if err != nil {
				return nil, err
			}
			return l, nil
		})
}

// evaluateWith is Evaluate with the bug m injected (mutation.Evaluate).
func evaluateWith(s *spec.Scenario, m mutant) (*spec.Report, error) {
	rep, err := evaluate(s, m)
	if m == mutMutatesInput && err == nil {
		// The bug: defaults filled in place; Positions shares its backing
		// array with the caller's scenario.
		for i := range s.Account.Positions {
			p := &s.Account.Positions[i]
			if !p.Leverage.Valid {
				p.Leverage = decimal.NullDecimal{Decimal: rep.Positions[i].Leverage, Valid: true}
			}
			if p.MarginMode == spec.Isolated && !p.IsolatedMargin.Valid {
				p.IsolatedMargin = rep.Positions[i].IsolatedMargin
			}
		}
	}
	return rep, err
}

// roundIM is the reported rounding of an initial margin (up; down for
// mutIMRoundDown).
func (m mutant) roundIM(x ratio) *apd.Decimal {
	if m == mutIMRoundDown {
		return down(x)
	}
	return up(x)
}

// roundMM is the reported rounding of a maintenance margin (up; down for
// mutMMRoundDown).
func (m mutant) roundMM(x ratio) *apd.Decimal {
	if m == mutMMRoundDown {
		return down(x)
	}
	return up(x)
}

// roundPnl is the reported rounding of an unrealized PnL (down; to the
// nearest unit for mutPnlRoundHalf).
func (m mutant) roundPnl(u *apd.Decimal) *apd.Decimal {
	if m == mutPnlRoundHalf {
		return down(exact(add(u, apd.New(5, -9))))
	}
	return down(exact(u))
}

// maxRemovableMargin is POOL-6 (with the loss ignored for
// mutRemovableIgnoresLoss).
func (m mutant) maxRemovableMargin(margin, u *apd.Decimal, im ratio) *apd.Decimal {
	if m == mutRemovableIgnoresLoss {
		u = dec(0)
	}
	return maxRemovableMargin(margin, u, im)
}

// marginRatio is POOL-4 (rounded down for mutRatioRoundDown).
func (m mutant) marginRatio(pl pool) *apd.Decimal {
	r, ok := marginRatio(pl)
	if m == mutRatioRoundDown && ok {
		r = down(pl.mm.over(pl.e))
	}
	return r
}

// liquidatable is POOL-5 (E <= MM for mutTriggerLE).
func (m mutant) liquidatable(pl pool) bool {
	if m == mutTriggerLE {
		return cmpRatio(exact(pl.e), pl.mm) <= 0
	}
	return liquidatable(pl)
}

// liquidationK is LIQ-1's K (the wallet alone for a cross position under
// mutCrossLPIgnoresOthers).
func (m mutant) liquidationK(pl pool, i int, qs []quantities) ratio {
	if m == mutCrossLPIgnoresOthers && pl.mode == spec.Cross {
		return exact(pl.base)
	}
	return liquidationK(pl, i, qs)
}

// isolatedPool adds the wallet to an isolated pool under mutIsolatedUsesWallet.
func (m mutant) isolatedPool(pl pool, wallet *apd.Decimal) pool {
	if m == mutIsolatedUsesWallet {
		pl.base = add(pl.base, wallet)
		pl.e = add(pl.e, wallet)
	}
	return pl
}

// quantities applies the per-position mutations to QTY-3 and QTY-5.
func (m mutant) quantities(p *position, r *quantities) {
	tiers := p.mkt.tiers
	nb := mmBasisNotional(p.mkt.basis, p.q, p.mp, p.qep)
	switch m {
	case mutMMOnEntry:
		r.mm, r.tier = maintenanceMargin(tiers, p.qep)
	case mutTierAtEntry:
		r.tier = tierOf(tiers, p.qep)
		r.mm = mmOnTier(tiers[r.tier], nb)
	case mutPrevTierAtBoundary:
		if r.tier > 0 && nb.Cmp(tiers[r.tier].min) == 0 {
			r.tier--
			r.mm = mmOnTier(tiers[r.tier], nb)
		}
		if t := tierOf(tiers, r.n); t > 0 && r.n.Cmp(tiers[t].min) == 0 {
			r.lEff = minDec(p.leverage, tiers[t-1].maxLev)
			r.im = initialMargin(r.n, r.lEff)
		}
	case mutNoTierLeverageCap:
		r.lEff = p.leverage
		r.im = initialMargin(r.n, r.lEff)
	}
}

// wrap replaces every reported value outside [-MAX, MAX] by its two's
// complement wrap into the int64 range of units (mutWrapOverflow).
func (r *result) wrap() {
	for i := range r.positions {
		p := &r.positions[i]
		for _, x := range []**apd.Decimal{&p.notional, &p.unrealizedPnl, &p.initialMargin, &p.maintenanceMargin, &p.isolatedMargin, &p.maxRemovableMargin} {
			*x = wrapUnits(*x)
		}
	}
	for i := range r.pools {
		p := &r.pools[i]
		for _, x := range []**apd.Decimal{&p.equity, &p.initialMargin, &p.maintenanceMargin, &p.avail} {
			*x = wrapUnits(*x)
		}
	}
}

// wrapUnits wraps x (a multiple of 1e-8) into the int64 range of units, as an
// unchecked int64 computation would.
func wrapUnits(x *apd.Decimal) *apd.Decimal {
	if x == nil || inRange(x) {
		return x
	}
	units := toDecimal(x).Shift(8).BigInt()
	mod := new(big.Int).Lsh(big.NewInt(1), 64)
	units.Mod(units, mod)
	if units.Cmp(new(big.Int).Lsh(big.NewInt(1), 63)) >= 0 {
		units.Sub(units, mod)
	}
	if units.Int64() == -1<<63 { // not a Fixed; keep the wrapped value in range
		units.SetInt64(-1<<63 + 1)
	}
	return apd.New(units.Int64(), -8)
}
