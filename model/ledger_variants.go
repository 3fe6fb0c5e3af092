package model

import (
	"math/big"
	"slices"

	"github.com/perpcheck/perpcheck/spec"
)

// The ledger's rule variants (SPEC VAR): LQ-4 isolatedLeftover, TRD-4
// isolatedFeePayer, ADL-2 adlRanking, FND-1 fundingCap and LED-9
// setLeverage, read from each market's variants object. The query variants
// (trigger, tiers, closeFee) are the query engine's (load.go).

// lvar is one market's ledger variants.
type lvar struct {
	leftover     string // spec.Leftover*
	share        int64  // liquidatorShare in units, [0, 1e8]
	feePosition  bool   // TRD-4:position
	adlAccount   bool   // ADL-2:account
	capLinked    bool   // FND-1:margin-linked
	capK         int64  // fundingCapFactor in units, > 0
	levUnchecked bool   // LED-9:unchecked
}

// ledgerVariantKeys are the choices the ledger reads, in the order of SPEC's
// VAR table.
var ledgerVariantKeys = []string{"isolatedLeftover", "isolatedFeePayer", "adlRanking", "fundingCap", "setLeverage"}

// loadVariants reads the ledger variants of every market (in market order)
// and checks their names and parameters (VAR-1, at
// markets.<name>.variants.<key>): each name is one of its choice's;
// liquidatorShare in [0, 1] is required by liquidator-split and forbidden
// otherwise; fundingCapFactor > 0 is required by margin-linked and
// forbidden otherwise.
func (l *Ledger) loadVariants(src map[string]spec.Market) *spec.Error {
	l.lv = make([]lvar, len(l.markets))
	names := map[string][]string{}
	for _, c := range variantChoices {
		names[c.Key] = c.Names
	}
	for mi := range l.markets {
		name := l.markets[mi].name
		m := src[name]
		v := &l.lv[mi]
		v.leftover = spec.LeftoverTrader
		if m.Variants == nil {
			continue
		}
		vs := *m.Variants
		pre := "markets." + spec.PathKey(name) + ".variants."
		for _, key := range ledgerVariantKeys {
			got := vs.Get(key)
			if !slices.Contains(names[key], got) {
				rule := ""
				for _, c := range variantChoices {
					if c.Key == key {
						rule = c.Rule
					}
				}
				return errf(pre+key, "VAR-1", "unknown "+rule+" variant "+spec.Quote(got))
			}
		}
		v.leftover = vs.Get("isolatedLeftover")
		v.feePosition = vs.Get("isolatedFeePayer") == spec.FeePayerPosition
		v.adlAccount = vs.Get("adlRanking") == spec.ADLRankingAccount
		v.capLinked = vs.Get("fundingCap") == spec.FundingCapMarginLinked
		v.levUnchecked = vs.Get("setLeverage") == spec.SetLeverageUnchecked
		share, hasShare, err := numOpt(vs.LiquidatorShare, pre+"liquidatorShare")
		if err != nil {
			return err
		}
		switch {
		case v.leftover == spec.LeftoverLiquidatorSplit && !hasShare:
			return errf(pre+"liquidatorShare", "VAR-1", "liquidatorShare is required by LQ-4:liquidator-split")
		case v.leftover != spec.LeftoverLiquidatorSplit && hasShare:
			return errf(pre+"liquidatorShare", "VAR-1", "liquidatorShare is only allowed with LQ-4:liquidator-split")
		case hasShare && (share < 0 || share > one):
			return errf(pre+"liquidatorShare", "VAR-1", "liquidatorShare must be in [0, 1], got "+fx(share))
		}
		v.share = share
		k, hasK, err := numOpt(vs.FundingCapFactor, pre+"fundingCapFactor")
		if err != nil {
			return err
		}
		switch {
		case v.capLinked && !hasK:
			return errf(pre+"fundingCapFactor", "VAR-1", "fundingCapFactor is required by FND-1:margin-linked")
		case !v.capLinked && hasK:
			return errf(pre+"fundingCapFactor", "VAR-1", "fundingCapFactor is only allowed with FND-1:margin-linked")
		case hasK && k <= 0:
			return errf(pre+"fundingCapFactor", "VAR-1", "fundingCapFactor must be > 0, got "+fx(k))
		}
		v.capK = k
		if m.Variants.Get("maintenanceRate") == spec.MaintenanceRateHalfInitial {
			l.halfInitial = append(l.halfInitial, mi)
		}
	}
	return nil
}

// linkedCap is FND-1:margin-linked's cap k x (IMR_1 - MMR_1) of market mi,
// exact (IMR_1 = the tier-1 initialMarginRate when the table gives explicit
// rates, else 1/maxLeverage_1; MMR_1 the given tier-1 rate, without
// QTY-5:taker's fee, and 1/(2 maxLeverage_1) under TIER-3:half-initial).
func (l *Ledger) linkedCap(mi int) *big.Rat {
	mk := &l.markets[mi]
	k := new(big.Rat).SetFrac64(l.lv[mi].capK, int64(u8))
	imr := new(big.Rat).SetFrac64(int64(u8), mk.tiers[0].maxLev)
	if mk.explicitIMR {
		imr.SetFrac64(mk.tiers[0].imr, int64(u8))
	}
	var mmr *big.Rat
	if slices.Contains(l.halfInitial, mi) {
		mmr = new(big.Rat).SetFrac64(int64(u8), 2*mk.tiers[0].maxLev)
	} else {
		mmr = new(big.Rat).SetFrac64(mk.tiers[0].mmrGiven, int64(u8))
	}
	return k.Mul(k, imr.Sub(imr, mmr))
}
