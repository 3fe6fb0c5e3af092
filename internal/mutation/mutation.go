// Package mutation is the catalogue of perpcheck's mutants: deliberate bugs
// injected into the exact reference (package reference) to show that the
// conformance suite (package properties) catches them. Every mutation is a
// real, plausible bug of a margin engine and breaks one SPEC rule, named in
// its comment. The package is internal: only the suite's own tests and the
// perpcheck command use it. Package reference registers its mutated entry
// points here (Register) when it is initialized, so a program that uses
// Evaluate or NewLedger must import reference (package properties does).
package mutation

import (
	"fmt"

	"github.com/perpcheck/perpcheck/spec"
)

// Mutation names one deliberate bug.
type Mutation string

// The query mutations, injected by Evaluate. Each breaks exactly one SPEC
// rule, named in its comment.
const (
	// IMRoundDown rounds initial margins down instead of up (NUM-4, QTY-4, POOL-1).
	IMRoundDown Mutation = "im-round-down"
	// MMRoundDown rounds maintenance margins down instead of up (NUM-4, QTY-5, POOL-1).
	MMRoundDown Mutation = "mm-round-down"
	// MMOnEntry evaluates maintenance margin on the entry notional under
	// the mark basis (MKT-3, QTY-5).
	MMOnEntry Mutation = "mm-on-entry"
	// TriggerLE liquidates a pool when equity <= MM instead of < (POOL-5).
	TriggerLE Mutation = "trigger-le"
	// TierAtEntry looks the maintenance tier up at the entry notional and
	// applies its rate to the mark notional (TIER-7, TIER-8).
	TierAtEntry Mutation = "tier-at-entry"
	// PrevTierAtBoundary puts a notional exactly at a tier boundary in the
	// tier below it (TIER-7, QTY-3).
	PrevTierAtBoundary Mutation = "prev-tier-at-boundary"
	// LPTowardMark rounds liquidation prices toward the mark: a long's
	// down, a short's up (LIQ-5, LIQ-6).
	LPTowardMark Mutation = "lp-toward-mark"
	// CrossLPIgnoresOthers solves a cross liquidation price with K = the
	// wallet alone, ignoring the other cross positions (LIQ-1, LIQ-8).
	CrossLPIgnoresOthers Mutation = "cross-lp-ignores-others"
	// IsolatedUsesWallet adds the cross wallet to every isolated pool
	// (POOL-2).
	IsolatedUsesWallet Mutation = "isolated-uses-wallet"
	// WrapOverflow does not check the reported range: a value beyond MAX
	// wraps around the int64 range instead of being a NUM-2 error (NUM-2).
	WrapOverflow Mutation = "wrap-overflow"
	// MutatesInput writes the defaults it fills in (leverage, isolated
	// margin) back into the caller's scenario (EVAL-1).
	MutatesInput Mutation = "mutates-input"
	// NoTierLeverageCap does not cap leverage by the tier's maximum
	// leverage (QTY-3).
	NoTierLeverageCap Mutation = "no-tier-leverage-cap"
	// MarkFromLast computes the mark as the last trade price (MARK-3, MARK-5).
	MarkFromLast Mutation = "mark-from-last"
	// BandIgnored does not clamp a computed mark to the mark price band
	// (MARK-3).
	BandIgnored Mutation = "band-ignored"
	// PnlRoundHalf rounds unrealized PnL to the nearest unit (half up)
	// instead of down (NUM-4, QTY-2).
	PnlRoundHalf Mutation = "pnl-round-half"
	// RemovableIgnoresLoss lets an isolated position withdraw margin that
	// covers its unrealized loss (POOL-6).
	RemovableIgnoresLoss Mutation = "removable-ignores-loss"
	// RatioRoundDown rounds the margin ratio down instead of up (POOL-4).
	RatioRoundDown Mutation = "ratio-round-down"

	// The wrong-variant mutations: the engine ignores a market's rule
	// variant (SPEC VAR) and applies the default instead.

	// AtEqualityIgnored keeps the strict trigger E < MM under
	// POOL-5:at-equality (POOL-5, LIQ-5, LIQ-6).
	AtEqualityIgnored Mutation = "at-equality-ignored"
	// UpperBoundIgnored looks tiers up lower-inclusive under
	// TIER-7:upper-inclusive (TIER-7, QTY-3).
	UpperBoundIgnored Mutation = "upper-bound-ignored"
	// FlatIgnored keeps the progressive deduction under TIER-8:flat
	// (TIER-8, TIER-6).
	FlatIgnored Mutation = "flat-ignored"
	// CloseFeeIgnored leaves the taker fee out of MM under QTY-5:taker (QTY-5).
	CloseFeeIgnored Mutation = "close-fee-ignored"
	// HalfInitialIgnored takes each tier's given maintenanceMarginRate
	// under TIER-3:half-initial instead of 1/(2 maxLeverage_t) (TIER-3,
	// TIER-6, TIER-8, QTY-5, LIQ-4).
	HalfInitialIgnored Mutation = "half-initial-ignored"
	// IMRIgnored drops the tiers' explicit initial margin rates: IM =
	// N / min(L, maxLeverage_t) instead of N * max(1/L, IMR_t) (QTY-4,
	// TIER-5).
	IMRIgnored Mutation = "imr-ignored"

	// The portfolio-margin mutations (issue 14, SPEC PM).

	// PMGridPointSkipped leaves the last move of the shock grid out of the
	// scan risk and the worst scenario, still reporting its P&L (PM-4).
	PMGridPointSkipped Mutation = "pm-grid-point-skipped"
	// PMOffsetAcrossUnderlyings puts every portfolio position into one risk
	// unit, named after the first one's underlying, so that a BTC long
	// offsets an ETH short (PM-3).
	PMOffsetAcrossUnderlyings Mutation = "pm-offset-across-underlyings"
	// PMNoMinimumCharge takes a unit's MM as max(MR1, MR6) + MR4 + C without
	// the minimum charge MR7, still reporting MR7 (PM-8, PM-9).
	PMNoMinimumCharge Mutation = "pm-no-minimum-charge"
	// PMNoContingency leaves the contingency C out of a unit's MM, still
	// reporting it (PM-7, PM-9).
	PMNoContingency Mutation = "pm-no-contingency"
	// PMTriggerLE takes the portfolio pool as liquidatable at E <= MM
	// instead of PM-10's strict E < MM, in the report's liquidatable and in
	// PM-11's already-liquidatable.
	PMTriggerLE Mutation = "pm-trigger-le"
	// PMDownMoveAtMinusOne reports a critical move down of exactly -1 (all
	// the unit's marks at 0) where the loss line reaches 0 only there,
	// instead of none (PM-11: r > -1).
	PMDownMoveAtMinusOne Mutation = "pm-down-move-at-minus-one"
)

// The ledger mutations, injected by NewLedger. Each breaks one SPEC rule,
// named in its comment, in a way real engines have (the research notes' bug
// classes: sign errors, rounding in the trader's favour, uncapped losses,
// half-applied events, lost remainders).
const (
	// FundingSign makes shorts pay when the rate is positive (FND-2).
	FundingSign Mutation = "funding-sign"
	// DustLost drops the funding remainder instead of posting it to dust,
	// so money disappears (FND-3, LED-4).
	DustLost Mutation = "dust-lost"
	// LiqFeeUncapped charges the whole liquidation fee even beyond the
	// pool's remaining equity; an isolated pool's excess comes from the
	// wallet (LQ-4, LQ-8).
	LiqFeeUncapped Mutation = "liq-fee-uncapped"
	// IsolatedLossUncapped covers a bankrupt isolated pool's deficit from
	// the trader's wallet instead of the insurance fund when the wallet can
	// pay it (LQ-5, LQ-8).
	IsolatedLossUncapped Mutation = "isolated-loss-uncapped"
	// ADLWrongSide takes ADL counterparties from the liquidated
	// position's own side (ADL-1).
	ADLWrongSide Mutation = "adl-wrong-side"
	// ADLRankByPnl ranks ADL candidates by their PnL% alone, without
	// the effective leverage (ADL-2).
	ADLRankByPnl Mutation = "adl-rank-by-pnl"
	// NoADL has the insurance fund cover every bankrupt pool (LQ-5), also
	// when it cannot pay the deficit, instead of auto-deleveraging (LQ-3,
	// LQ-6): the fund's balance goes negative.
	NoADL Mutation = "no-adl"
	// SweepBeforeFunding runs the liquidation sweep of a funding event
	// before the payments instead of after them, leaving the pools that the
	// payments made liquidatable (FND-4, LQ-1).
	SweepBeforeFunding Mutation = "sweep-before-funding"
	// TradeFeeRoundDown rounds trading fees down instead of up (TRD-4).
	TradeFeeRoundDown Mutation = "trade-fee-round-down"
	// BasisRoundDown rounds the basis a long removes on a reduce down
	// instead of up, in the trader's favour (TRD-2).
	BasisRoundDown Mutation = "basis-round-down"
	// IsolatedMarginNoTierCap moves T = up(q * price / leverage) into an
	// isolated margin on an open, without capping the leverage by the tier
	// of the new notional (TRD-3).
	IsolatedMarginNoTierCap Mutation = "isolated-margin-no-tier-cap"
	// NoIMCheck accepts risk-increasing trades without the initial
	// margin check (TRD-5).
	NoIMCheck Mutation = "no-im-check"
	// WithdrawProfit lets a trader withdraw unrealized profit: the
	// withdrawal limit counts U instead of min(U, 0) (LED-9).
	WithdrawProfit Mutation = "withdraw-profit"
	// HalfApplied charges both sides' trading fees of a trade that TRD-5
	// then rejects: the event fails but changes the state (LED-7).
	HalfApplied Mutation = "half-applied"
	// LedgerMutatesInput writes the entry values and the settlement it
	// derives back into the caller's state (LED-7).
	LedgerMutatesInput Mutation = "ledger-mutates-input"

	// The boundary, tie-break and aliasing classes (issue 16): each changes
	// one exact comparison of SPEC, one tie rule or one copy.

	// LedgerTriggerLE liquidates, in the ledger's sweep, a pool (with a
	// position) whose equity equals its maintenance margin: E <= MM instead
	// of E < MM (POOL-5, LQ-1).
	LedgerTriggerLE Mutation = "ledger-trigger-le"
	// FundCoversStrict has the insurance fund cover a deficit only when its
	// balance exceeds it (wallet:@insurance > d instead of >= d), so a pool
	// whose deficit equals the fund is auto-deleveraged (LQ-5, LQ-6).
	FundCoversStrict Mutation = "fund-covers-strict"
	// WithdrawPlusUnit accepts a withdrawal of one unit (1e-8) more than
	// LED-9's maximum (LED-9, POOL-6).
	WithdrawPlusUnit Mutation = "withdraw-plus-unit"
	// RemoveMarginPlusUnit accepts a removeMargin of one unit more than
	// maxRemovableMargin (LED-9, POOL-6).
	RemoveMarginPlusUnit Mutation = "remove-margin-plus-unit"
	// ADLTieReverseID takes ADL candidates with equal scores in descending
	// account id instead of ascending (ADL-2).
	ADLTieReverseID Mutation = "adl-tie-reverse-id"
	// LiqOrderTieReverse closes a cross pool's positions with equal losses
	// in descending market order instead of ascending (LQ-4).
	LiqOrderTieReverse Mutation = "liq-order-tie-reverse"
	// LedgerAliasesInput keeps the caller's initial state (no copy) and
	// writes every later mark into its prices (LED-7: the input state is
	// never modified, also after NewLedger).
	LedgerAliasesInput Mutation = "ledger-aliases-input"
	// AddMarginPlusUnit accepts an addMargin of one unit more than the
	// wallet, which goes negative (LED-9, ACC-1).
	AddMarginPlusUnit Mutation = "add-margin-plus-unit"
	// FundingUnclamped pays funding at the event's rate without clamping
	// it to the market's fundingRateCap (FND-1).
	FundingUnclamped Mutation = "funding-unclamped"
	// CrossCloseAll closes every position of a solvent cross pool that the
	// sweep liquidates, instead of stopping as soon as the pool is no longer
	// liquidatable (LQ-4).
	CrossCloseAll Mutation = "cross-close-all"
	// ZeroBasisKept keeps a position with size > 0 and cost basis V = 0
	// (the fund's long taken over at execution price 0, LQ-2) instead of
	// failing the event with POS-2 (LED-1).
	ZeroBasisKept Mutation = "zero-basis-kept"
	// PMSweepOrder liquidates a portfolio pool's risk units smallest MR1
	// first instead of largest (PM-17).
	PMSweepOrder Mutation = "pm-sweep-order"
	// PMIMCross checks TRD-5 for a portfolio side against the portfolio
	// positions' standalone cross initial margins (sum N_i / L_i) instead of
	// the portfolio pool's IM (PM-15).
	PMIMCross Mutation = "pm-im-cross"
	// DrainedIncreaseAccepted accepts a trade that increases an isolated
	// position whose margin funding drained below 0 (FND-5) and that the
	// trade's margin T does not bring back to 0: TRD-3's rejection is
	// applied to reduces only.
	DrainedIncreaseAccepted Mutation = "drained-increase-accepted"
)

// The ledger variant mutations (SPEC VAR): the engine applies the wrong
// variant of a ledger choice. Each names the variant it ignores.
const (
	// LeftoverToTrader returns an isolated liquidation's leftover to the
	// trader under LQ-4:insurance and LQ-4:liquidator-split (LQ-4's choice).
	LeftoverToTrader Mutation = "leftover-to-trader"
	// SplitAllToFund gives the whole leftover to the fund under
	// LQ-4:liquidator-split, as LQ-4:insurance would.
	SplitAllToFund Mutation = "split-all-to-fund"
	// FeeFromWallet pays an isolated position's fee from the wallet under
	// TRD-4:position (TRD-4's choice).
	FeeFromWallet Mutation = "fee-from-wallet"
	// ADLAccountAsPosition ranks ADL candidates by ADL-2:position's score
	// under ADL-2:account.
	ADLAccountAsPosition Mutation = "adl-account-as-position"
	// FundingCapLinkedIgnored applies FND-1:fixed's cap (fundingRateCap, often
	// absent) under FND-1:margin-linked.
	FundingCapLinkedIgnored Mutation = "funding-cap-linked-ignored"
	// SetLeverageNoCheck accepts every leverage change under LED-9:checked,
	// as LED-9:unchecked does.
	SetLeverageNoCheck Mutation = "set-leverage-no-check"
	// SetLeverageAlwaysChecked rejects a lowered leverage the pool cannot
	// margin under LED-9:unchecked, as LED-9:checked does.
	SetLeverageAlwaysChecked Mutation = "set-leverage-always-checked"
	// LedgerHalfInitialGiven has the ledger take each tier's given
	// maintenanceMarginRate (and its TIER-6 deduction) under
	// TIER-3:half-initial instead of 1/(2 maxLeverage_t): the trigger of
	// the sweep (POOL-5, LQ-1), ADL-2:account's MM and FND-1:margin-linked's
	// MMR_1 (TIER-3).
	LedgerHalfInitialGiven Mutation = "ledger-half-initial-given"
	// LedgerIMRIgnored has the ledger drop the tiers' explicit initial
	// margin rates: IM = N / min(L, maxLeverage_t) instead of N * max(1/L,
	// IMR_t) in TRD-3's transfer, TRD-5, LED-9, POOL-6 and FND-1's IMR_1
	// (TIER-5, QTY-4).
	LedgerIMRIgnored Mutation = "ledger-imr-ignored"
)

// Query returns every query mutation (Evaluate's), in a fixed order.
func Query() []Mutation {
	return []Mutation{
		IMRoundDown, MMRoundDown, MMOnEntry, TriggerLE, TierAtEntry, PrevTierAtBoundary, LPTowardMark, CrossLPIgnoresOthers, IsolatedUsesWallet, WrapOverflow, MutatesInput, NoTierLeverageCap, MarkFromLast, BandIgnored, PnlRoundHalf, RemovableIgnoresLoss, RatioRoundDown,
		AtEqualityIgnored, UpperBoundIgnored, FlatIgnored, CloseFeeIgnored, HalfInitialIgnored, IMRIgnored,
		PMGridPointSkipped, PMOffsetAcrossUnderlyings, PMNoMinimumCharge, PMNoContingency, PMTriggerLE, PMDownMoveAtMinusOne,
	}
}

// Ledger returns every ledger mutation (NewLedger's), in a fixed order. A
// ledger mutation changes only the ledger.
func Ledger() []Mutation {
	return []Mutation{
		FundingSign, DustLost, LiqFeeUncapped, IsolatedLossUncapped, ADLWrongSide, ADLRankByPnl, NoADL, SweepBeforeFunding, TradeFeeRoundDown, BasisRoundDown, IsolatedMarginNoTierCap, NoIMCheck, WithdrawProfit, HalfApplied, LedgerMutatesInput,
		LedgerTriggerLE, WithdrawPlusUnit, RemoveMarginPlusUnit, ADLTieReverseID, LiqOrderTieReverse, LedgerAliasesInput, FundCoversStrict,
		LeftoverToTrader, SplitAllToFund, FeeFromWallet, ADLAccountAsPosition, FundingCapLinkedIgnored, SetLeverageNoCheck, SetLeverageAlwaysChecked,
		AddMarginPlusUnit, FundingUnclamped, CrossCloseAll, ZeroBasisKept,
		PMSweepOrder, PMIMCross, DrainedIncreaseAccepted,
		LedgerHalfInitialGiven, LedgerIMRIgnored,
	}
}

// IsLedger says whether m is a ledger mutation.
func IsLedger(m Mutation) bool {
	for _, k := range Ledger() {
		if k == m {
			return true
		}
	}
	return false
}

// LedgerSession is what NewLedger returns: a ledger's method set, as
// *reference.Ledger has it.
type LedgerSession interface {
	Apply(ev spec.Event) ([]spec.Effect, error)
	State() *spec.State
}

var (
	evaluate  func(*spec.Scenario, Mutation) (*spec.Report, error)
	newLedger func(*spec.State, Mutation) (LedgerSession, error)
)

// Register installs the reference's mutated entry points. Package reference
// calls it from its init function; nothing else should.
func Register(evaluateWith func(*spec.Scenario, Mutation) (*spec.Report, error), newLedgerWith func(*spec.State, Mutation) (LedgerSession, error)) {
	evaluate, newLedger = evaluateWith, newLedgerWith
}

// Evaluate is reference.Evaluate with the query bug m injected. It exists to
// test test suites: never use it to evaluate anything. An unknown mutation is
// an error.
func Evaluate(s *spec.Scenario, m Mutation) (*spec.Report, error) {
	if evaluate == nil {
		panic("mutation: package reference is not linked in (import it)")
	}
	for _, k := range Query() {
		if k == m {
			return evaluate(s, m)
		}
	}
	return nil, fmt.Errorf("mutation: unknown query mutation %q", m)
}

// NewLedger is reference.NewLedger with the ledger bug m injected into the
// ledger it returns. It exists to test test suites: never use it to move
// money. An unknown mutation is an error. The ledger is nil exactly when the
// error is not.
func NewLedger(st *spec.State, m Mutation) (LedgerSession, error) {
	if newLedger == nil {
		panic("mutation: package reference is not linked in (import it)")
	}
	if !IsLedger(m) {
		return nil, fmt.Errorf("mutation: unknown ledger mutation %q", m)
	}
	return newLedger(st, m)
}
