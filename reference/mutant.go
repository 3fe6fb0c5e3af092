package reference

import (
	"fmt"
	"math/big"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// Mutation names a deliberate bug that EvaluateWith injects into the
// reference model. Mutants are the teeth test of the conformance suite
// (package properties): every mutation is a real, plausible bug of a margin
// engine (most are in the bug classes of the research notes), and the suite
// must catch each one. Evaluate never applies a mutation.
type Mutation string

// noMutation is Evaluate: the reference as specified.
const noMutation Mutation = ""

// The mutations. Each breaks exactly one SPEC rule, named in its comment.
const (
	// MutIMRoundDown rounds initial margins down instead of up (NUM-4, QTY-4, POOL-1).
	MutIMRoundDown Mutation = "im-round-down"
	// MutMMRoundDown rounds maintenance margins down instead of up (NUM-4, QTY-5, POOL-1).
	MutMMRoundDown Mutation = "mm-round-down"
	// MutMMOnEntry evaluates maintenance margin on the entry notional under
	// the mark basis (MKT-3, QTY-5).
	MutMMOnEntry Mutation = "mm-on-entry"
	// MutTriggerLE liquidates a pool when equity <= MM instead of < (POOL-5).
	MutTriggerLE Mutation = "trigger-le"
	// MutTierAtEntry looks the maintenance tier up at the entry notional and
	// applies its rate to the mark notional (TIER-7, TIER-8).
	MutTierAtEntry Mutation = "tier-at-entry"
	// MutPrevTierAtBoundary puts a notional exactly at a tier boundary in the
	// tier below it (TIER-7, QTY-3).
	MutPrevTierAtBoundary Mutation = "prev-tier-at-boundary"
	// MutLPTowardMark rounds liquidation prices toward the mark: a long's
	// down, a short's up (LIQ-5, LIQ-6).
	MutLPTowardMark Mutation = "lp-toward-mark"
	// MutCrossLPIgnoresOthers solves a cross liquidation price with K = the
	// wallet alone, ignoring the other cross positions (LIQ-1, LIQ-8).
	MutCrossLPIgnoresOthers Mutation = "cross-lp-ignores-others"
	// MutIsolatedUsesWallet adds the cross wallet to every isolated pool
	// (POOL-2).
	MutIsolatedUsesWallet Mutation = "isolated-uses-wallet"
	// MutWrapOverflow does not check the reported range: a value beyond MAX
	// wraps around the int64 range instead of being a NUM-2 error (NUM-2).
	MutWrapOverflow Mutation = "wrap-overflow"
	// MutMutatesInput writes the defaults it fills in (leverage, isolated
	// margin) back into the caller's scenario (EVAL-1).
	MutMutatesInput Mutation = "mutates-input"
	// MutNoTierLeverageCap does not cap leverage by the tier's maximum
	// leverage (QTY-3).
	MutNoTierLeverageCap Mutation = "no-tier-leverage-cap"
	// MutMarkFromLast computes the mark as the last trade price (MARK-3, MARK-5).
	MutMarkFromLast Mutation = "mark-from-last"
	// MutBandIgnored does not clamp a computed mark to the mark price band
	// (MARK-3).
	MutBandIgnored Mutation = "band-ignored"
	// MutPnlRoundHalf rounds unrealized PnL to the nearest unit (half up)
	// instead of down (NUM-4, QTY-2).
	MutPnlRoundHalf Mutation = "pnl-round-half"
	// MutRemovableIgnoresLoss lets an isolated position withdraw margin that
	// covers its unrealized loss (POOL-6).
	MutRemovableIgnoresLoss Mutation = "removable-ignores-loss"
	// MutRatioRoundDown rounds the margin ratio down instead of up (POOL-4).
	MutRatioRoundDown Mutation = "ratio-round-down"
)

// Mutations returns every mutation, in a fixed order.
func Mutations() []Mutation {
	return []Mutation{
		MutIMRoundDown, MutMMRoundDown, MutMMOnEntry, MutTriggerLE,
		MutTierAtEntry, MutPrevTierAtBoundary, MutLPTowardMark,
		MutCrossLPIgnoresOthers, MutIsolatedUsesWallet, MutWrapOverflow,
		MutMutatesInput, MutNoTierLeverageCap, MutMarkFromLast,
		MutBandIgnored, MutPnlRoundHalf, MutRemovableIgnoresLoss, MutRatioRoundDown,
	}
}

// EvaluateWith is Evaluate with the bug m injected. It exists to test test
// suites: never use it to evaluate anything. An unknown mutation is an error.
func EvaluateWith(s *spec.Scenario, m Mutation) (*spec.Report, error) {
	known := false
	for _, k := range Mutations() {
		known = known || k == m
	}
	if !known {
		return nil, fmt.Errorf("reference: unknown mutation %q", m)
	}
	rep, err := evaluate(s, m)
	if m == MutMutatesInput && err == nil {
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
// MutIMRoundDown).
func (m Mutation) roundIM(x ratio) *apd.Decimal {
	if m == MutIMRoundDown {
		return down(x)
	}
	return up(x)
}

// roundMM is the reported rounding of a maintenance margin (up; down for
// MutMMRoundDown).
func (m Mutation) roundMM(x ratio) *apd.Decimal {
	if m == MutMMRoundDown {
		return down(x)
	}
	return up(x)
}

// roundPnl is the reported rounding of an unrealized PnL (down; to the
// nearest unit for MutPnlRoundHalf).
func (m Mutation) roundPnl(u *apd.Decimal) *apd.Decimal {
	if m == MutPnlRoundHalf {
		return down(exact(add(u, apd.New(5, -9))))
	}
	return down(exact(u))
}

// maxRemovableMargin is POOL-6 (with the loss ignored for
// MutRemovableIgnoresLoss).
func (m Mutation) maxRemovableMargin(margin, u *apd.Decimal, im ratio) *apd.Decimal {
	if m == MutRemovableIgnoresLoss {
		u = dec(0)
	}
	return maxRemovableMargin(margin, u, im)
}

// marginRatio is POOL-4 (rounded down for MutRatioRoundDown).
func (m Mutation) marginRatio(pl pool) *apd.Decimal {
	r, ok := marginRatio(pl)
	if m == MutRatioRoundDown && ok {
		r = down(quo(pl.mm, pl.e))
	}
	return r
}

// liquidatable is POOL-5 (E <= MM for MutTriggerLE).
func (m Mutation) liquidatable(pl pool) bool {
	if m == MutTriggerLE {
		return pl.e.Cmp(pl.mm) <= 0
	}
	return liquidatable(pl)
}

// liquidationK is LIQ-1's K (the wallet alone for a cross position under
// MutCrossLPIgnoresOthers).
func (m Mutation) liquidationK(pl pool, i int, qs []quantities) *apd.Decimal {
	if m == MutCrossLPIgnoresOthers && pl.mode == spec.Cross {
		return pl.base
	}
	return liquidationK(pl, i, qs)
}

// isolatedPool adds the wallet to an isolated pool under MutIsolatedUsesWallet.
func (m Mutation) isolatedPool(pl pool, wallet *apd.Decimal) pool {
	if m == MutIsolatedUsesWallet {
		pl.base = add(pl.base, wallet)
		pl.e = add(pl.e, wallet)
	}
	return pl
}

// quantities applies the per-position mutations to QTY-3 and QTY-5.
func (m Mutation) quantities(p *position, r *quantities) {
	tiers := p.mkt.tiers
	nb := mmBasisNotional(p.mkt.basis, p.q, p.mp, p.qep)
	switch m {
	case MutMMOnEntry:
		r.mm, r.tier = maintenanceMargin(tiers, p.qep)
	case MutTierAtEntry:
		r.tier = tierOf(tiers, p.qep)
		r.mm = mmOnTier(tiers[r.tier], nb)
	case MutPrevTierAtBoundary:
		if r.tier > 0 && nb.Cmp(tiers[r.tier].min) == 0 {
			r.tier--
			r.mm = mmOnTier(tiers[r.tier], nb)
		}
		if t := tierOf(tiers, r.n); t > 0 && r.n.Cmp(tiers[t].min) == 0 {
			r.lEff = minDec(p.leverage, tiers[t-1].maxLev)
			r.im = initialMargin(r.n, r.lEff)
		}
	case MutNoTierLeverageCap:
		r.lEff = p.leverage
		r.im = initialMargin(r.n, r.lEff)
	}
}

// wrap replaces every reported value outside [-MAX, MAX] by its two's
// complement wrap into the int64 range of units (MutWrapOverflow).
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
