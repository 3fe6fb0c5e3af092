package reference

import "github.com/cockroachdb/apd/v3"

// tier is one validated leverage bracket (TIER-1..6), as exact decimals.
type tier struct {
	min    *apd.Decimal // minNotional
	max    *apd.Decimal // maxNotional
	mmr    *apd.Decimal // maintenanceMarginRate, MMR_t
	maxLev *apd.Decimal // maxLeverage
	cum    *apd.Decimal // maintenance amount cum_t, by the recursion of TIER-6
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
// with minNotional_t <= N < maxNotional_t; a notional >= maxNotional of the
// last tier falls in the last tier (its formula extends upward).
func tierOf(tiers []tier, n *apd.Decimal) int {
	last := len(tiers) - 1
	for t := 0; t < last; t++ {
		if tiers[t].min.Cmp(n) <= 0 && n.Cmp(tiers[t].max) < 0 {
			return t
		}
	}
	return last
}

// mmOnTier is the linear piece of TIER-8 for tier t: N * MMR_t - cum_t.
func mmOnTier(tr tier, n *apd.Decimal) *apd.Decimal {
	return sub(mul(n, tr.mmr), tr.cum)
}

// maintenanceMargin is TIER-8: MM(N) = N * MMR_t - cum_t with t = tier(N).
// It returns MM(N) and t (0-based).
func maintenanceMargin(tiers []tier, n *apd.Decimal) (*apd.Decimal, int) {
	t := tierOf(tiers, n)
	return mmOnTier(tiers[t], n), t
}
