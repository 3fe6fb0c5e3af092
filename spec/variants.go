package spec

import "github.com/shopspring/decimal"

// Variants selects, for one market, the rule variants it follows where SPEC
// offers a choice (SPEC VAR). Real venues differ from SPEC's default rulebook
// in documented, legitimate ways (OKX liquidates at E = MM, Bybit's tier
// bounds are inclusive above, Binance gives an isolated position's leftover
// margin to its insurance fund, ...); a variant names such a difference so
// that a venue profile can select it and an engine can declare it.
//
// The zero value of every field is SPEC's default variant, so a market that
// sets nothing follows the default rulebook. VariantChoices lists every
// choice with its rule id and its variant names (the first is the default).
type Variants struct {
	// Trigger (POOL-5): "strict" (E < MM, default) or "at-equality"
	// (E <= MM; OKX). The liquidation price's tick rule follows (LIQ-6).
	Trigger string `json:"trigger,omitempty"`
	// TierBound (TIER-7): "lower-inclusive" (min <= N < max, default) or
	// "upper-inclusive" (min < N <= max; Bybit, OKX).
	TierBound string `json:"tierBound,omitempty"`
	// TierSchedule (TIER-8): "progressive" (MM = N*MMR_t - cum_t, default)
	// or "flat" (the whole notional at its tier's rate, no deduction; OKX
	// isolated).
	TierSchedule string `json:"tierSchedule,omitempty"`
	// MaintenanceRate (TIER-3): "given" (each tier's maintenanceMarginRate,
	// default) or "half-initial" (MMR_t = 1/(2*maxLeverage_t) exactly, a
	// rate that need not lie on the 1e-8 grid; Hyperliquid).
	MaintenanceRate string `json:"maintenanceRate,omitempty"`
	// CloseFee (QTY-5): "none" (default) or "taker" (maintenance margin also
	// reserves the taker fee to close at the mark; OKX, Bybit unified).
	CloseFee string `json:"closeFee,omitempty"`
	// IsolatedLeftover (LQ-4): where an isolated liquidation's leftover
	// margin goes: "trader" (default), "insurance" (Binance; the seed
	// documents) or "liquidator-split" (a LiquidatorShare of it to the
	// fund, the rest to the trader; Injective).
	IsolatedLeftover string `json:"isolatedLeftover,omitempty"`
	// LiquidatorShare is the share of the leftover under "liquidator-split",
	// in [0, 1]; required by that variant and forbidden otherwise.
	LiquidatorShare decimal.NullDecimal `json:"liquidatorShare"`
	// IsolatedFeePayer (TRD-4): who pays an isolated position's trading fee:
	// "wallet" (the cross wallet, default) or "position" (the position's own
	// margin; the seed documents).
	IsolatedFeePayer string `json:"isolatedFeePayer,omitempty"`
	// ADLRanking (ADL-2): "position" (PnL% x effective leverage, default) or
	// "account" (Binance's account-level max(0,UPnL)/max(1,WB) x MM/(WB+UPnL)).
	ADLRanking string `json:"adlRanking,omitempty"`
	// FundingCap (FND-1): "fixed" (fundingRateCap, default) or
	// "margin-linked" (|rate| <= FundingCapFactor x (IMR_1 - MMR_1); dYdX).
	FundingCap string `json:"fundingCap,omitempty"`
	// FundingCapFactor is k of "margin-linked", > 0; required by that
	// variant and forbidden otherwise.
	FundingCapFactor decimal.NullDecimal `json:"fundingCapFactor"`
	// SetLeverage (LED-9): "checked" (a leverage change the pool cannot
	// margin is rejected, default) or "unchecked" (accepted; perpcheck's
	// behaviour before SPEC revision 3, kept only where a venue documents it).
	SetLeverage string `json:"setLeverage,omitempty"`
}

// VariantChoice is one place where SPEC offers a choice: the rule that
// offers it, the JSON key of the Variants field that selects it, and the
// variant names, the default first.
type VariantChoice struct {
	Rule  string
	Key   string
	Names []string
}

// The variant names, by choice. The first of each group is the default.
const (
	TriggerStrict     = "strict"
	TriggerAtEquality = "at-equality"

	TierBoundLower = "lower-inclusive"
	TierBoundUpper = "upper-inclusive"

	TierScheduleProgressive = "progressive"
	TierScheduleFlat        = "flat"

	MaintenanceRateGiven       = "given"
	MaintenanceRateHalfInitial = "half-initial"

	CloseFeeNone  = "none"
	CloseFeeTaker = "taker"

	LeftoverTrader          = "trader"
	LeftoverInsurance       = "insurance"
	LeftoverLiquidatorSplit = "liquidator-split"

	FeePayerWallet   = "wallet"
	FeePayerPosition = "position"

	ADLRankingPosition = "position"
	ADLRankingAccount  = "account"

	FundingCapFixed        = "fixed"
	FundingCapMarginLinked = "margin-linked"

	SetLeverageChecked   = "checked"
	SetLeverageUnchecked = "unchecked"
)

var variantChoices = []VariantChoice{
	{"POOL-5", "trigger", []string{TriggerStrict, TriggerAtEquality}},
	{"TIER-7", "tierBound", []string{TierBoundLower, TierBoundUpper}},
	{"TIER-8", "tierSchedule", []string{TierScheduleProgressive, TierScheduleFlat}},
	{"TIER-3", "maintenanceRate", []string{MaintenanceRateGiven, MaintenanceRateHalfInitial}},
	{"QTY-5", "closeFee", []string{CloseFeeNone, CloseFeeTaker}},
	{"LQ-4", "isolatedLeftover", []string{LeftoverTrader, LeftoverInsurance, LeftoverLiquidatorSplit}},
	{"TRD-4", "isolatedFeePayer", []string{FeePayerWallet, FeePayerPosition}},
	{"ADL-2", "adlRanking", []string{ADLRankingPosition, ADLRankingAccount}},
	{"FND-1", "fundingCap", []string{FundingCapFixed, FundingCapMarginLinked}},
	{"LED-9", "setLeverage", []string{SetLeverageChecked, SetLeverageUnchecked}},
}

// VariantChoices returns every choice SPEC offers, in SPEC order of the
// VAR section. The caller may modify the returned slice.
func VariantChoices() []VariantChoice {
	out := make([]VariantChoice, len(variantChoices))
	for i, c := range variantChoices {
		out[i] = VariantChoice{c.Rule, c.Key, append([]string(nil), c.Names...)}
	}
	return out
}

// field returns a pointer to the string field of v that key names, or nil.
func (v *Variants) field(key string) *string {
	switch key {
	case "trigger":
		return &v.Trigger
	case "tierBound":
		return &v.TierBound
	case "tierSchedule":
		return &v.TierSchedule
	case "maintenanceRate":
		return &v.MaintenanceRate
	case "closeFee":
		return &v.CloseFee
	case "isolatedLeftover":
		return &v.IsolatedLeftover
	case "isolatedFeePayer":
		return &v.IsolatedFeePayer
	case "adlRanking":
		return &v.ADLRanking
	case "fundingCap":
		return &v.FundingCap
	case "setLeverage":
		return &v.SetLeverage
	}
	return nil
}

// Get returns the variant v selects for the choice with JSON key key: the
// field's value, or the choice's default when the field is empty. It
// returns "" for an unknown key.
func (v Variants) Get(key string) string {
	p := v.field(key)
	if p == nil {
		return ""
	}
	if *p != "" {
		return *p
	}
	for _, c := range variantChoices {
		if c.Key == key {
			return c.Names[0]
		}
	}
	return ""
}

// Has reports whether v sets the choice with JSON key key (a non-empty
// field; an empty one selects the default).
func (v Variants) Has(key string) bool {
	p := v.field(key)
	return p != nil && *p != ""
}

// Set sets the choice with JSON key key to name and reports whether key is
// a known choice. It does not check that name is one of the choice's names.
func (v *Variants) Set(key, name string) bool {
	p := v.field(key)
	if p == nil {
		return false
	}
	*p = name
	return true
}
