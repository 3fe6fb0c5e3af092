package reference

import (
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
)

// newLedgerWith is NewLedger with the bug m injected into the ledger it
// returns (mutation.NewLedger).
func newLedgerWith(st *spec.State, m mutant) (*Ledger, error) {
	l, err := NewLedger(st)
	if err != nil {
		return nil, err
	}
	l.mut = m
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
