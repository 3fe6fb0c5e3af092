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

// loadVariants reads the ledger variants of every market (in market order)
// from the names and parameters the market loader resolved and checked
// (market.vars: VAR-1 in variants.go, which every market of a state passes
// first, defaults filled in), so nothing is checked twice. The parameters'
// conversion cannot fail after that check; its error is returned anyway.
func (l *Ledger) loadVariants() *spec.Error {
	l.lv = make([]lvar, len(l.markets))
	for mi := range l.markets {
		mk := &l.markets[mi]
		vs, v := &mk.vars, &l.lv[mi]
		pre := "markets." + spec.PathKey(mk.name) + ".variants."
		v.leftover = vs.IsolatedLeftover
		v.feePosition = vs.IsolatedFeePayer == spec.FeePayerPosition
		v.adlAccount = vs.ADLRanking == spec.ADLRankingAccount
		v.capLinked = vs.FundingCap == spec.FundingCapMarginLinked
		v.levUnchecked = vs.SetLeverage == spec.SetLeverageUnchecked
		var err *spec.Error
		if v.share, _, err = numOpt(vs.LiquidatorShare, pre+"liquidatorShare"); err != nil {
			return err
		}
		if v.capK, _, err = numOpt(vs.FundingCapFactor, pre+"fundingCapFactor"); err != nil {
			return err
		}
		if mk.flags.half {
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
