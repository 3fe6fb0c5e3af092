package reference

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// The ledger mutations: deliberate bugs that NewLedgerWith injects into the
// reference ledger, the teeth test of the ledger layer of the conformance
// suite. Each breaks one SPEC rule, named in its comment, in a way real
// engines have (the research notes' bug classes: sign errors, rounding in the
// trader's favour, uncapped losses, half-applied events, lost remainders).
const (
	// MutFundingSign makes shorts pay when the rate is positive (FND-2).
	MutFundingSign Mutation = "funding-sign"
	// MutDustLost drops the funding remainder instead of posting it to dust,
	// so money disappears (FND-3, LED-4).
	MutDustLost Mutation = "dust-lost"
	// MutLiqFeeUncapped charges the whole liquidation fee even beyond the
	// pool's remaining equity; an isolated pool's excess comes from the
	// wallet (LQ-4, LQ-8).
	MutLiqFeeUncapped Mutation = "liq-fee-uncapped"
	// MutIsolatedLossUncapped covers a bankrupt isolated pool's deficit from
	// the trader's wallet instead of the insurance fund when the wallet can
	// pay it (LQ-5, LQ-8).
	MutIsolatedLossUncapped Mutation = "isolated-loss-uncapped"
	// MutADLWrongSide takes ADL counterparties from the liquidated
	// position's own side (ADL-1).
	MutADLWrongSide Mutation = "adl-wrong-side"
	// MutADLRankByPnl ranks ADL candidates by their PnL% alone, without
	// the effective leverage (ADL-2).
	MutADLRankByPnl Mutation = "adl-rank-by-pnl"
	// MutNoADL has the insurance fund cover every bankrupt pool (LQ-5), also
	// when it cannot pay the deficit, instead of auto-deleveraging (LQ-3,
	// LQ-6): the fund's balance goes negative.
	MutNoADL Mutation = "no-adl"
	// MutSweepBeforeFunding runs the liquidation sweep of a funding event
	// before the payments instead of after them, leaving the pools that the
	// payments made liquidatable (FND-4, LQ-1).
	MutSweepBeforeFunding Mutation = "sweep-before-funding"
	// MutTradeFeeRoundDown rounds trading fees down instead of up (TRD-4).
	MutTradeFeeRoundDown Mutation = "trade-fee-round-down"
	// MutBasisRoundDown rounds the basis a long removes on a reduce down
	// instead of up, in the trader's favour (TRD-2).
	MutBasisRoundDown Mutation = "basis-round-down"
	// MutIsolatedMarginNoTierCap moves T = up(q * price / leverage) into an
	// isolated margin on an open, without capping the leverage by the tier
	// of the new notional (TRD-3).
	MutIsolatedMarginNoTierCap Mutation = "isolated-margin-no-tier-cap"
	// MutNoIMCheck accepts risk-increasing trades without the initial
	// margin check (TRD-5).
	MutNoIMCheck Mutation = "no-im-check"
	// MutWithdrawProfit lets a trader withdraw unrealized profit: the
	// withdrawal limit counts U instead of min(U, 0) (LED-9).
	MutWithdrawProfit Mutation = "withdraw-profit"
	// MutHalfApplied charges both sides' trading fees of a trade that TRD-5
	// then rejects: the event fails but changes the state (LED-7).
	MutHalfApplied Mutation = "half-applied"
	// MutLedgerMutatesInput writes the entry values and the settlement it
	// derives back into the caller's state (LED-7).
	MutLedgerMutatesInput Mutation = "ledger-mutates-input"
)

// LedgerMutations returns every ledger mutation, in a fixed order. They are
// distinct from Mutations (EvaluateWith's): a ledger mutation changes only
// the ledger, and NewLedgerWith accepts only these.
func LedgerMutations() []Mutation {
	return []Mutation{
		MutFundingSign, MutDustLost, MutLiqFeeUncapped, MutIsolatedLossUncapped,
		MutADLWrongSide, MutADLRankByPnl, MutNoADL, MutSweepBeforeFunding, MutTradeFeeRoundDown, MutBasisRoundDown, MutIsolatedMarginNoTierCap, MutNoIMCheck, MutWithdrawProfit,
		MutHalfApplied, MutLedgerMutatesInput,
	}
}

// NewLedgerWith is NewLedger with the bug m injected into the ledger it
// returns. It exists to test test suites: never use it to move money. An
// unknown mutation is an error.
func NewLedgerWith(st *spec.State, m Mutation) (*Ledger, error) {
	known := false
	for _, k := range LedgerMutations() {
		known = known || k == m
	}
	if !known {
		return nil, fmt.Errorf("reference: unknown ledger mutation %q", m)
	}
	l, err := NewLedger(st)
	if err != nil {
		return nil, err
	}
	l.mut = m
	if m == MutLedgerMutatesInput {
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

// halfApply is MutHalfApplied's bug, called with the error of a failed event:
// a trade rejected by TRD-5 keeps both sides' trading fees.
func (l *Ledger) halfApply(ev spec.Event, verr *spec.Error) {
	if l.mut != MutHalfApplied || ev.Type != spec.EventTrade || verr.Rule != "TRD-5" {
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
