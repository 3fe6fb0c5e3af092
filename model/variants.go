package model

import (
	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// variantFlags are the query variants of SPEC VAR a market selects, as
// flags (the zero value is SPEC's default rulebook).
type variantFlags struct {
	atEquality bool // POOL-5:at-equality (E <= MM is liquidatable)
	upper      bool // TIER-7:upper-inclusive (min < N <= max)
	flat       bool // TIER-8:flat (MM = N * MMR_t, no deduction)
	taker      bool // QTY-5:taker (MM also reserves takerFeeRate * Nb)
	half       bool // TIER-3:half-initial (MMR_t = 1/(2 maxLeverage_t), halfinitial.go)
}

// variantChoices is SPEC VAR's catalogue, read once: spec.VariantChoices
// returns a fresh copy on every call, which loading a market must not pay
// for (the model is read-only on it).
var variantChoices = spec.VariantChoices()

// loadVariants is VAR-1 for the variants object of one market, at its place
// in EVAL-2 step 1 (after fundingRateCap, before the tiers): each key in the
// order of SPEC's VAR table, liquidatorShare right after isolatedLeftover and
// fundingCapFactor right after fundingCap. It keeps the resolved names in
// mk.vars (defaults filled in) for the ledger.
func (mk *market) loadVariants(v *spec.Variants, pre string) *spec.Error {
	mk.vars = spec.Variants{}
	for _, c := range variantChoices {
		mk.vars.Set(c.Key, c.Names[0])
	}
	if v == nil {
		return nil
	}
	pre += ".variants"
	for _, c := range variantChoices {
		name := v.Get(c.Key) // the field, or the default when it is ""
		known := false
		for _, n := range c.Names {
			known = known || n == name
		}
		if !known {
			return errf(pre+"."+c.Key, "VAR-1", c.Rule+" variant must be one of "+quoteNames(c.Names)+", got "+spec.Quote(name))
		}
		mk.vars.Set(c.Key, name)
		switch c.Key {
		case "isolatedLeftover":
			share, has, err := numOpt(v.LiquidatorShare, pre+".liquidatorShare")
			if err != nil {
				return err
			}
			switch {
			case name == spec.LeftoverLiquidatorSplit && !has:
				return errf(pre+".liquidatorShare", "VAR-1", "isolatedLeftover \"liquidator-split\" requires liquidatorShare")
			case name != spec.LeftoverLiquidatorSplit && has:
				return errf(pre+".liquidatorShare", "VAR-1", "liquidatorShare is only allowed with isolatedLeftover \"liquidator-split\"")
			case has && (share < 0 || share > one):
				return errf(pre+".liquidatorShare", "VAR-1", "liquidatorShare must be in [0, 1], got "+fx(share))
			}
			mk.vars.LiquidatorShare = v.LiquidatorShare
		case "fundingCap":
			k, has, err := numOpt(v.FundingCapFactor, pre+".fundingCapFactor")
			if err != nil {
				return err
			}
			switch {
			case name == spec.FundingCapMarginLinked && !has:
				return errf(pre+".fundingCapFactor", "VAR-1", "fundingCap \"margin-linked\" requires fundingCapFactor")
			case name != spec.FundingCapMarginLinked && has:
				return errf(pre+".fundingCapFactor", "VAR-1", "fundingCapFactor is only allowed with fundingCap \"margin-linked\"")
			case has && k <= 0:
				return errf(pre+".fundingCapFactor", "VAR-1", "fundingCapFactor must be > 0, got "+fx(k))
			}
			mk.vars.FundingCapFactor = v.FundingCapFactor
		}
	}
	mk.flags = variantFlags{
		atEquality: mk.vars.Trigger == spec.TriggerAtEquality,
		upper:      mk.vars.TierBound == spec.TierBoundUpper,
		flat:       mk.vars.TierSchedule == spec.TierScheduleFlat,
		taker:      mk.vars.CloseFee == spec.CloseFeeTaker,
		half:       mk.vars.MaintenanceRate == spec.MaintenanceRateHalfInitial,
	}
	return nil
}

func quoteNames(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += "\"" + n + "\""
	}
	return s
}

// liquidatableUnder is POOL-5 at scale 1e-24: E < MM; under
// POOL-5:at-equality also E = MM, except E = MM = 0 (a pool that needs no
// margin and has none, e.g. an empty cross pool, is never liquidatable).
func liquidatableUnder(atEquality bool, e16, mm24 wide.Int) bool {
	return triggered24(atEquality, e16.Mul(u8), mm24)
}

// triggered24 is liquidatableUnder with E at scale 1e-24.
func triggered24(atEquality bool, e24, mm24 wide.Int) bool {
	if c := e24.Cmp(mm24); c != 0 || !atEquality {
		return c < 0
	}
	return !e24.IsZero()
}
