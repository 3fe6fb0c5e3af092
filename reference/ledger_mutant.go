package reference

import (
	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/mutation"
	"github.com/perpcheck/perpcheck/spec"
)

// The ledger bugs (internal/mutation documents each).
const (
	mutFundingSign             = mutant(mutation.FundingSign)
	mutDustLost                = mutant(mutation.DustLost)
	mutLiqFeeUncapped          = mutant(mutation.LiqFeeUncapped)
	mutIsolatedLossUncapped    = mutant(mutation.IsolatedLossUncapped)
	mutADLWrongSide            = mutant(mutation.ADLWrongSide)
	mutADLRankByPnl            = mutant(mutation.ADLRankByPnl)
	mutNoADL                   = mutant(mutation.NoADL)
	mutSweepBeforeFunding      = mutant(mutation.SweepBeforeFunding)
	mutTradeFeeRoundDown       = mutant(mutation.TradeFeeRoundDown)
	mutBasisRoundDown          = mutant(mutation.BasisRoundDown)
	mutIsolatedMarginNoTierCap = mutant(mutation.IsolatedMarginNoTierCap)
	mutNoIMCheck               = mutant(mutation.NoIMCheck)
	mutWithdrawProfit          = mutant(mutation.WithdrawProfit)
	mutHalfApplied             = mutant(mutation.HalfApplied)
	mutLedgerMutatesInput      = mutant(mutation.LedgerMutatesInput)
	mutLedgerTriggerLE         = mutant(mutation.LedgerTriggerLE)
	mutFundCoversStrict        = mutant(mutation.FundCoversStrict)
	mutWithdrawPlusUnit        = mutant(mutation.WithdrawPlusUnit)
	mutRemoveMarginPlusUnit    = mutant(mutation.RemoveMarginPlusUnit)
	mutADLTieReverseID         = mutant(mutation.ADLTieReverseID)
	mutLiqOrderTieReverse      = mutant(mutation.LiqOrderTieReverse)
	mutLedgerAliasesInput      = mutant(mutation.LedgerAliasesInput)

	mutLeftoverToTrader         = mutant(mutation.LeftoverToTrader)
	mutSplitAllToFund           = mutant(mutation.SplitAllToFund)
	mutFeeFromWallet            = mutant(mutation.FeeFromWallet)
	mutADLAccountAsPosition     = mutant(mutation.ADLAccountAsPosition)
	mutFundingCapLinkedIgnored  = mutant(mutation.FundingCapLinkedIgnored)
	mutSetLeverageNoCheck       = mutant(mutation.SetLeverageNoCheck)
	mutSetLeverageAlwaysChecked = mutant(mutation.SetLeverageAlwaysChecked)
	mutAddMarginPlusUnit        = mutant(mutation.AddMarginPlusUnit)
	mutFundingUnclamped         = mutant(mutation.FundingUnclamped)
	mutCrossCloseAll            = mutant(mutation.CrossCloseAll)
	mutZeroBasisKept            = mutant(mutation.ZeroBasisKept)
	mutPMSweepOrder             = mutant(mutation.PMSweepOrder)
	mutPMIMCross                = mutant(mutation.PMIMCross)
	mutDrainedIncreaseAccepted  = mutant(mutation.DrainedIncreaseAccepted)
	mutLedgerHalfInitialGiven   = mutant(mutation.LedgerHalfInitialGiven)
	mutLedgerIMRIgnored         = mutant(mutation.LedgerIMRIgnored)
)

// variantsOf returns market m's ledger variants as the ledger applies them:
// with the wrong variant of the ledger's variant mutants.
func (l *Ledger) variantsOf(m string) ledgerVariants {
	v := *l.variants[m]
	switch l.mut {
	case mutLeftoverToTrader:
		v.leftover = spec.LeftoverTrader
	case mutSplitAllToFund:
		if v.leftover == spec.LeftoverLiquidatorSplit {
			v.leftover = spec.LeftoverInsurance
		}
	case mutFeeFromWallet:
		v.feePayer = spec.FeePayerWallet
	case mutADLAccountAsPosition:
		v.adlRanking = spec.ADLRankingPosition
	case mutFundingCapLinkedIgnored:
		if v.fundingCap == spec.FundingCapMarginLinked {
			v.fundingCap = "none"
		}
	case mutSetLeverageNoCheck:
		v.setLeverage = spec.SetLeverageUnchecked
	case mutSetLeverageAlwaysChecked:
		v.setLeverage = spec.SetLeverageChecked
	case mutLedgerHalfInitialGiven:
		v.halfInitial = false // FND-1's MMR_1: the given rate
	}
	return v
}

// newLedgerWith is NewLedger with the bug m injected into the ledger it
// returns (mutation.NewLedger).
func newLedgerWith(st *spec.State, m mutant) (*Ledger, error) {
	l, err := NewLedger(st)
	if err != nil {
		return nil, err
	}
	l.mut = m
	switch m {
	case mutLedgerHalfInitialGiven:
		// The bug: the given rates and deductions in every tier of the
		// ledger's half-initial markets (the query mutant's rewrite).
		mutHalfInitialIgnored.wrongVariant(&input{markets: l.markets})
	case mutLedgerIMRIgnored:
		mutIMRIgnored.wrongVariant(&input{markets: l.markets})
	}
	if m == mutLedgerAliasesInput {
		l.aliased = st // the bug: the caller's state kept, written later (aliasInput)
	}
	if m == mutLedgerMutatesInput {
		// The bug: derived values written into the caller's state. The
		// Positions slices share their arrays with the caller's.
		for id, acc := range st.Accounts {
			for i := range acc.Positions {
				p := &acc.Positions[i]
				if !p.EntryValue.Valid {
					p.EntryValue = decimal.NewNullDecimal(p.Size.Mul(p.EntryPrice))
				}
			}
			st.Accounts[id] = acc
		}
		if !st.Settlement.Valid {
			st.Settlement = decimal.NewNullDecimal(toDecimal(l.settlement))
		}
	}
	return l, nil
}

// halfApply is mutHalfApplied's bug, called with the error of a failed event:
// a trade rejected by TRD-5 keeps both sides' trading fees.
func (l *Ledger) halfApply(ev spec.Event, verr *spec.Error) {
	if l.mut != mutHalfApplied || ev.Type != spec.EventTrade || verr.Rule != "TRD-5" {
		return
	}
	defer func() { recover() }() // a bug that cannot apply leaves the state alone
	size, _ := numNull(ev.Size, "size")
	price, _ := numNull(ev.Price, "price")
	buyer, seller := l.accounts[ev.Buyer], l.accounts[ev.Seller]
	if size == nil || price == nil || buyer == nil || seller == nil {
		return
	}
	l.payFee(buyer, ev.Market, size, price, ev.Maker == "buyer")
	l.payFee(seller, ev.Market, size, price, ev.Maker != "buyer")
	l.effects = nil
}

// aliasInput is mutLedgerAliasesInput's bug, called after a successful
// price event: the new mark is written into the caller's initial state.
func (l *Ledger) aliasInput(ev spec.Event) {
	if l.mut != mutLedgerAliasesInput || l.aliased == nil || ev.Type != spec.EventPrice || !ev.Mark.Valid {
		return
	}
	if l.aliased.Prices == nil {
		l.aliased.Prices = map[string]spec.Price{}
	}
	l.aliased.Prices[ev.Market] = spec.Price{Mark: ev.Mark}
}

// triggered is the sweep's POOL-5 (E <= MM for a pool with a position under
// mutLedgerTriggerLE).
func (l *Ledger) triggered(pl pool) bool {
	if l.mut == mutLedgerTriggerLE && len(pl.members) > 0 {
		return cmpRatio(exact(pl.e), pl.mm) <= 0
	}
	return liquidatable(pl)
}

// stopsClosing is LQ-4's loop test before closing the next position of a
// solvent cross pool: it stops once the pool is not liquidatable (never,
// after the first close, under mutCrossCloseAll).
func (l *Ledger) stopsClosing(pl pool, first bool) bool {
	if len(pl.members) == 0 {
		return true
	}
	if l.mut == mutCrossCloseAll && !first {
		return false
	}
	return !l.triggered(pl)
}

// zeroBasisRejected is LED-1's check of a position left with size > 0 and
// V = 0 (skipped under mutZeroBasisKept).
func (l *Ledger) zeroBasisRejected(q, v *apd.Decimal) bool {
	return l.mut != mutZeroBasisKept && q.Sign() > 0 && v.Sign() == 0
}

// plusUnit is max, plus one unit under the mutant m when l has it (the
// off-by-one limits of mutWithdrawPlusUnit and mutRemoveMarginPlusUnit).
func (l *Ledger) plusUnit(m mutant, max *apd.Decimal) *apd.Decimal {
	if l.mut == m {
		return add(max, unit)
	}
	return max
}
