package reference

import (
	"github.com/cockroachdb/apd/v3"

	"github.com/perpcheck/perpcheck/spec"
)

// tier is one validated leverage bracket (TIER-1..6), as exact decimals.
type tier struct {
	min    *apd.Decimal // minNotional
	max    *apd.Decimal // maxNotional
	mmr    *apd.Decimal // maintenanceMarginRate, MMR_t
	maxLev *apd.Decimal // maxLeverage
	cum    *apd.Decimal // maintenance amount cum_t, by the recursion of TIER-6 (0 under TIER-8:flat)
	rate   *apd.Decimal // the rate of MM's linear piece: MMR_t, + takerFeeRate under QTY-5:taker
	upper  bool         // TIER-7:upper-inclusive (min < N <= max)
}

// schedule is what a market's variants change in its tier table.
type schedule struct {
	upper bool         // TIER-7:upper-inclusive
	flat  bool         // TIER-8:flat
	fee   *apd.Decimal // QTY-5: takerFeeRate under "taker", else 0
}

// schedule returns the table-shaping variants of m (validated).
func (m *market) schedule() schedule {
	sc := schedule{
		upper: m.variants.TierBound == spec.TierBoundUpper,
		flat:  m.variants.TierSchedule == spec.TierScheduleFlat,
		fee:   dec(0),
	}
	if m.variants.CloseFee == spec.CloseFeeTaker {
		sc.fee = m.takerFee
	}
	return sc
}

// maintenanceAmounts is TIER-6:
//
//	cum_1 = 0
//	cum_t = cum_(t-1) + minNotional_t * (MMR_t - MMR_(t-1))
//
// It returns cum_t for every tier t of the table, in order (0-based here,
// 1-based in SPEC). It makes MM continuous at every tier boundary.
func maintenanceAmounts(tiers []tier) []*apd.Decimal {
	cums := make([]*apd.Decimal, len(tiers))
	for t := range tiers {
		if t == 0 {
			cums[t] = dec(0)
			continue
		}
		cums[t] = add(cums[t-1], mul(tiers[t].min, sub(tiers[t].mmr, tiers[t-1].mmr)))
	}
	return cums
}

// tierOf is TIER-7: the index (0-based) of the tier t of a notional N >= 0
// with minNotional_t <= N < maxNotional_t (TIER-7:upper-inclusive:
// minNotional_t < N <= maxNotional_t, so tier 1 also holds N = 0); a notional
// beyond maxNotional of the last tier falls in the last tier (its formula
// extends upward).
func tierOf(tiers []tier, n *apd.Decimal) int {
	last := len(tiers) - 1
	for t := 0; t < last; t++ {
		if tiers[t].upper {
			if n.Cmp(tiers[t].max) <= 0 { // N > min_t: tier t-1 did not take it
				return t
			}
			continue
		}
		if tiers[t].min.Cmp(n) <= 0 && n.Cmp(tiers[t].max) < 0 {
			return t
		}
	}
	return last
}

// mmOnTier is the linear piece of TIER-8 for tier t: N * MMR_t - cum_t
// (QTY-5:taker: N * (MMR_t + takerFeeRate) - cum_t; TIER-8:flat: cum_t = 0).
func mmOnTier(tr tier, n *apd.Decimal) *apd.Decimal {
	return sub(mul(n, tr.rate), tr.cum)
}

// maintenanceMargin is TIER-8: MM(N) = N * MMR_t - cum_t with t = tier(N)
// (with the market's variants, see mmOnTier).
// It returns MM(N) and t (0-based).
func maintenanceMargin(tiers []tier, n *apd.Decimal) (*apd.Decimal, int) {
	t := tierOf(tiers, n)
	return mmOnTier(tiers[t], n), t
}
