package reference

import (
	"maps"
	"slices"

	"github.com/cockroachdb/apd/v3"

	"github.com/perpcheck/perpcheck/spec"
)

// This file is the ledger's side of SPEC VAR: the variants of LQ-4
// (isolatedLeftover), TRD-4 (isolatedFeePayer), ADL-2 (adlRanking), FND-1
// (fundingCap) and LED-9 (setLeverage), read from each market's variants
// object, with the checks of VAR-1 on them.

// ledgerVariants are one market's ledger variants.
type ledgerVariants struct {
	leftover         string       // LQ-4: spec.Leftover*
	liquidatorShare  *apd.Decimal // LQ-4:liquidator-split's share, in [0, 1]
	feePayer         string       // TRD-4: spec.FeePayer*
	adlRanking       string       // ADL-2: spec.ADLRanking*
	fundingCap       string       // FND-1: spec.FundingCap*
	fundingCapFactor *apd.Decimal // FND-1:margin-linked's k, > 0
	setLeverage      string       // LED-9: spec.SetLeverage*
	halfInitial      bool         // TIER-3:half-initial (FND-1's MMR_1)
}

// ledgerChoices are the keys of the ledger's choices, in the order of SPEC's
// VAR table.
var ledgerChoices = []string{"isolatedLeftover", "isolatedFeePayer", "adlRanking", "fundingCap", "setLeverage"}

// readVariants is VAR-1 for the ledger's choices of every market, in
// ascending market order: each selected name is one of its choice's
// (rule VAR-1 at markets.<name>.variants.<key>); liquidatorShare (NUM, in
// [0, 1]) is required by liquidator-split and forbidden otherwise;
// fundingCapFactor (NUM, > 0) is required by margin-linked and forbidden
// otherwise. Absent variants select the defaults.
func readVariants(markets map[string]spec.Market) (map[string]*ledgerVariants, *spec.Error) {
	out := map[string]*ledgerVariants{}
	choices := map[string]spec.VariantChoice{}
	for _, c := range spec.VariantChoices() {
		choices[c.Key] = c
	}
	for _, name := range slices.Sorted(maps.Keys(markets)) {
		var vs spec.Variants
		if markets[name].Variants != nil {
			vs = *markets[name].Variants
		}
		prefix := "markets." + spec.PathKey(name) + ".variants."
		for _, key := range ledgerChoices {
			if c := choices[key]; !slices.Contains(c.Names, vs.Get(key)) {
				return nil, fail(prefix+key, "VAR-1", "%s is not a %s variant (one of %v)", vs.Get(key), c.Rule, c.Names)
			}
		}
		v := &ledgerVariants{
			leftover: vs.Get("isolatedLeftover"), feePayer: vs.Get("isolatedFeePayer"),
			adlRanking: vs.Get("adlRanking"), fundingCap: vs.Get("fundingCap"), setLeverage: vs.Get("setLeverage"),
			halfInitial: vs.Get("maintenanceRate") == spec.MaintenanceRateHalfInitial,
		}
		share, verr := numNull(vs.LiquidatorShare, prefix+"liquidatorShare")
		if verr != nil {
			return nil, verr
		}
		split := v.leftover == spec.LeftoverLiquidatorSplit
		switch {
		case split && share == nil:
			return nil, fail(prefix+"liquidatorShare", "VAR-1", "LQ-4:liquidator-split requires liquidatorShare")
		case !split && share != nil:
			return nil, fail(prefix+"liquidatorShare", "VAR-1", "liquidatorShare belongs to LQ-4:liquidator-split only")
		case share != nil && (share.Sign() < 0 || share.Cmp(dec(1)) > 0):
			return nil, fail(prefix+"liquidatorShare", "VAR-1", "liquidatorShare must be in [0, 1], got %s", str(share))
		}
		v.liquidatorShare = share
		k, verr := numNull(vs.FundingCapFactor, prefix+"fundingCapFactor")
		if verr != nil {
			return nil, verr
		}
		linked := v.fundingCap == spec.FundingCapMarginLinked
		switch {
		case linked && k == nil:
			return nil, fail(prefix+"fundingCapFactor", "VAR-1", "FND-1:margin-linked requires fundingCapFactor")
		case !linked && k != nil:
			return nil, fail(prefix+"fundingCapFactor", "VAR-1", "fundingCapFactor belongs to FND-1:margin-linked only")
		case k != nil && k.Sign() <= 0:
			return nil, fail(prefix+"fundingCapFactor", "VAR-1", "fundingCapFactor must be > 0, got %s", str(k))
		}
		v.fundingCapFactor = k
		out[name] = v
	}
	return out, nil
}

// marginLinkedCap is FND-1:margin-linked's cap k x (IMR_1 - MMR_1):
// IMR_1 = tier 1's initialMarginRate when the table gives explicit rates
// (TIER-5), else 1/maxLeverage_1, and MMR_1 the rate of tier 1 (1/(2
// maxLeverage_1) under TIER-3:half-initial), exact.
func marginLinkedCap(mkt *market, v *ledgerVariants) ratio {
	l1 := mkt.maxLeverage1()
	imr := quo(dec(1), l1)
	if mkt.tiers[0].imr != nil {
		imr = exact(mkt.tiers[0].imr)
	}
	mmr := exact(mkt.tiers[0].mmr)
	if v.halfInitial {
		mmr = quo(dec(1), mul(dec(2), l1))
	}
	return exact(v.fundingCapFactor).times(imr.minus(mmr))
}

// accountLeveragePnl is ADL-2:account, Binance's LeveragePnl of account a:
// with WB its cross wallet plus its isolated margins, UP the sum of the
// exact unrealized PnLs of all its positions at their marks and MMa the sum
// of their exact maintenance margins (QTY-5),
//
//	score = max(0, UP) / max(1, WB) x MMa / (WB + UP)    when WB + UP > 0
//	score = 0                                          when WB + UP <= 0
//
// an exact ratio, compared exactly.
func (l *Ledger) accountLeveragePnl(a *ledgerAccount) ratio {
	wb := a.wallet
	for _, m := range slices.Sorted(maps.Keys(a.isolated)) {
		wb = add(wb, a.isolated[m])
	}
	up, mm := dec(0), exact(dec(0))
	for _, m := range slices.Sorted(maps.Keys(a.positions)) {
		q := positionQuantities(l.view(a, m))
		up = add(up, q.u)
		mm = mm.plus(q.mm)
	}
	e := add(wb, up)
	if e.Sign() <= 0 || up.Sign() <= 0 {
		return exact(dec(0))
	}
	return quo(maxDec(dec(0), up), maxDec(dec(1), wb)).times(mm.over(e))
}
