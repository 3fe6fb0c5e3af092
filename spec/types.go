package spec

import (
	"github.com/shopspring/decimal"
)

// The types in this file are the conformance boundary of perpcheck: the input a
// scenario describes and the report every implementation (this package's
// fixed-point engine, the apd reference, a third party's engine) must produce.
// They are plain data with JSON tags; decimals are shopspring decimals, which
// marshal as JSON strings and unmarshal from strings or numbers without going
// through float64. SPEC.md gives the meaning, scale and rounding of every field.
//
// A field tagged strict:"required" must be present in a JSON file, neither
// absent nor null (SPEC EVAL-5; "required,unless=F": unless field F is
// given); perpcheck's strict decoder reports its absence as an EVAL-4 error.
// A Go value has no absent field: there the zero value is the value 0 or ""
// and breaks, or not, the rule that constrains it, exactly as the JSON
// literal "0" or "" would.

// Side is the direction of a one-way position (SPEC POS-1).
type Side string

// The two sides of a position.
const (
	Long  Side = "long"
	Short Side = "short"
)

// Sign returns +1 for Long, -1 for Short and 0 for anything else.
func (s Side) Sign() int {
	switch s {
	case Long:
		return 1
	case Short:
		return -1
	}
	return 0
}

// MarginMode says which pool backs a position (SPEC POS-3, MKT-4).
type MarginMode string

// The margin modes a market may allow.
const (
	Cross    MarginMode = "cross"
	Isolated MarginMode = "isolated"
)

// MMBasis says at which price maintenance margin is evaluated (SPEC MKT-3).
type MMBasis string

// The two maintenance-margin bases.
const (
	// BasisMark evaluates MM on the notional at the mark price (Binance, OKX,
	// Hyperliquid); for a liquidation price, at the liquidation price.
	BasisMark MMBasis = "mark"
	// BasisEntry evaluates MM on the notional at the entry price (Bybit classic
	// isolated, and the worked examples of the seed documents).
	BasisEntry MMBasis = "entry"
)

// Scenario is one account and the markets and prices it is evaluated against.
// It is the input of perpcheck eval and of every implementation's Evaluate.
type Scenario struct {
	// Markets maps a market name (e.g. "BTCUSDT") to its definition.
	Markets map[string]Market `json:"markets"`
	// Prices maps a market name to its prices. Every market with a position
	// needs an entry.
	Prices map[string]Price `json:"prices"`
	// Account is the trader's account (required, SPEC EVAL-5).
	Account Account `json:"account" strict:"required"`
}

// Market is a perpetual contract's parameters (SPEC MKT, TIER). When Profile and
// Symbol are set, the market is taken from that dated venue profile and any other
// field given here overrides the profile's value.
type Market struct {
	Profile string `json:"profile,omitempty"`
	Symbol  string `json:"symbol,omitempty"`

	// TickSize is the price increment; liquidation and bankruptcy prices are
	// reported on this grid (SPEC LIQ-6).
	TickSize decimal.Decimal `json:"tickSize" strict:"required,unless=profile"`
	// LotSize is the size increment; a position's size is a multiple of it.
	LotSize decimal.Decimal `json:"lotSize" strict:"required,unless=profile"`
	// MMBasis is "mark" (default) or "entry".
	MMBasis MMBasis `json:"mmBasis,omitempty"`
	// Tiers is the leverage-bracket table, ascending by notional.
	Tiers []Tier `json:"tiers"`
	// MarginModes lists the modes the venue offers for this market; empty
	// means both cross and isolated.
	MarginModes []MarginMode `json:"marginModes,omitempty"`
	// LiquidationFeeRate is the fee on the notional closed by a liquidation
	// (used by the ledger); absent means 0.
	LiquidationFeeRate decimal.NullDecimal `json:"liquidationFeeRate"`
	// FundingIntervalHours is the funding period; absent means 8.
	FundingIntervalHours decimal.NullDecimal `json:"fundingIntervalHours"`
	// MarkPriceBand clamps a computed mark price to index*(1 +/- band)
	// (SPEC MARK-3); absent means no clamp.
	MarkPriceBand decimal.NullDecimal `json:"markPriceBand"`
	// MakerFeeRate and TakerFeeRate are the trading fees on a fill's notional
	// (used by the ledger, SPEC TRD-4); absent means 0.
	MakerFeeRate decimal.NullDecimal `json:"makerFeeRate"`
	TakerFeeRate decimal.NullDecimal `json:"takerFeeRate"`
	// FundingRateCap bounds the absolute funding rate applied (SPEC FND-1);
	// absent means no cap.
	FundingRateCap decimal.NullDecimal `json:"fundingRateCap"`
	// Variants selects the rule variants the market follows where SPEC
	// offers a choice (SPEC VAR); absent means SPEC's default for every
	// choice. A profile market's variants are the venue's.
	Variants *Variants `json:"variants,omitempty"`
	// Underlying groups markets into portfolio-margin risk units (SPEC
	// MKT-6, PM-3); empty means the market's own name.
	Underlying string `json:"underlying,omitempty"`
	// Expiry makes the market a dated linear future with this many years
	// to expiry, > 0 (SPEC MKT-6, PM-6); nil means a perpetual.
	Expiry *decimal.Decimal `json:"expiry,omitempty"`
	// PortfolioMargin holds the portfolio-margin parameters of the
	// market's underlying (SPEC PM-1); nil means the market has none.
	PortfolioMargin *PortfolioParams `json:"portfolioMargin,omitempty"`
}

// Tier is one leverage bracket. It contains the notionals N with
// MinNotional <= N < MaxNotional (the last tier also every N above it).
type Tier struct {
	MinNotional           decimal.Decimal `json:"minNotional" strict:"required"`
	MaxNotional           decimal.Decimal `json:"maxNotional" strict:"required"`
	MaintenanceMarginRate decimal.Decimal `json:"maintenanceMarginRate" strict:"required"`
	MaxLeverage           decimal.Decimal `json:"maxLeverage" strict:"required"`
	// MaintenanceAmount is Binance's "cum"; when absent it is derived by the
	// recursion of SPEC TIER-6, when given it must equal it exactly.
	MaintenanceAmount decimal.NullDecimal `json:"maintenanceAmount"`
	// InitialMarginRate is the tier's explicit minimum initial margin rate
	// IMR_t (OKX's "IMR"; SPEC TIER-5, QTY-4): the position's IM rate is then
	// max(1/leverage, IMR_t). nil means absent; every tier of a table gives
	// it or none does (SPEC TIER-1).
	InitialMarginRate *decimal.Decimal `json:"initialMarginRate,omitempty"`
}

// Price holds a market's prices. Mark drives every margin quantity; when Mark
// is absent it is computed from the other fields by SPEC MARK-1..4.
type Price struct {
	Mark  decimal.NullDecimal `json:"mark"`
	Index decimal.NullDecimal `json:"index"`
	Last  decimal.NullDecimal `json:"last"`
	// FundingRate is the last funding rate (for the mark's funding-basis term).
	FundingRate decimal.NullDecimal `json:"fundingRate"`
	// SecondsToFunding is the time until the next funding, in seconds.
	SecondsToFunding decimal.NullDecimal `json:"secondsToFunding"`
	// BasisAverage is the moving average of (mid price - index).
	BasisAverage decimal.NullDecimal `json:"basisAverage"`
}

// Account is a trader's account: a cross wallet and one-way positions.
type Account struct {
	// WalletBalance is the cross wallet: collateral not allocated to any
	// isolated position (SPEC ACC-1).
	WalletBalance decimal.Decimal `json:"walletBalance" strict:"required"`
	Positions     []Position      `json:"positions"`
	// Settings holds the leverage and margin mode chosen per market, also for
	// markets without a position (used by the ledger, SPEC LED-2).
	Settings map[string]AccountSettings `json:"settings,omitempty"`
}

// Position is one one-way position (SPEC POS).
type Position struct {
	Market string          `json:"market" strict:"required"`
	Side   Side            `json:"side" strict:"required"`
	Size   decimal.Decimal `json:"size" strict:"required"`
	// EntryPrice is the average entry price. Exactly one of EntryPrice and
	// EntryValue is given (SPEC POS-2); zero means absent.
	EntryPrice decimal.Decimal `json:"entryPrice" strict:"required,unless=entryValue"`
	// EntryValue is size * entry price, the position's cost basis; the ledger
	// writes it because an average entry price is not always a multiple of 1e-8.
	EntryValue decimal.NullDecimal `json:"entryValue"`
	MarginMode MarginMode          `json:"marginMode" strict:"required"`
	// Leverage is the chosen leverage; absent means min(20, the market's
	// maximum) (SPEC POS-4).
	Leverage decimal.NullDecimal `json:"leverage"`
	// IsolatedMargin is the margin allocated to an isolated position; absent
	// means the initial margin at entry (SPEC POS-5). Cross positions must not
	// set it.
	IsolatedMargin decimal.NullDecimal `json:"isolatedMargin"`
}

// Report is the result of evaluating a Scenario (SPEC RPT).
type Report struct {
	// Prices are the prices used, with computed marks filled in.
	Prices map[string]PriceReport `json:"prices"`
	// Positions are in the order of the scenario's positions.
	Positions []PositionReport `json:"positions"`
	// Pools are the cross pool first, then one pool per isolated position in
	// the order of the positions.
	Pools []PoolReport `json:"pools"`
	// Portfolio is the portfolio pool, present only when the account has a
	// portfolio position (SPEC PM-13).
	Portfolio *PortfolioReport `json:"portfolio,omitempty"`
}

// PriceReport is the mark price a market was evaluated at.
type PriceReport struct {
	Mark decimal.Decimal `json:"mark"`
	// Computed is true when the mark was derived by SPEC MARK rules.
	Computed bool `json:"computed"`
}

// PositionReport holds the per-position quantities of SPEC QTY, LIQ and BKR.
type PositionReport struct {
	Market            string          `json:"market"`
	Side              Side            `json:"side"`
	MarginMode        MarginMode      `json:"marginMode"`
	Notional          decimal.Decimal `json:"notional"`
	UnrealizedPnl     decimal.Decimal `json:"unrealizedPnl"`
	Leverage          decimal.Decimal `json:"leverage"`
	InitialMargin     decimal.Decimal `json:"initialMargin"`
	MaintenanceMargin decimal.Decimal `json:"maintenanceMargin"`
	// Tier is the 1-based tier of the notional at which MM is evaluated.
	Tier int `json:"tier"`
	// LiquidationPrice is on the tick grid, or null with a reason.
	LiquidationPrice decimal.NullDecimal `json:"liquidationPrice"`
	// LiquidationPriceExact is the exact root rounded on the 1e-8 grid in the
	// same direction as LiquidationPrice.
	LiquidationPriceExact  decimal.NullDecimal `json:"liquidationPriceExact"`
	LiquidationPriceReason string              `json:"liquidationPriceReason,omitempty"`
	BankruptcyPrice        decimal.NullDecimal `json:"bankruptcyPrice"`
	BankruptcyPriceReason  string              `json:"bankruptcyPriceReason,omitempty"`
	// IsolatedMargin and MaxRemovableMargin are set for isolated positions only.
	IsolatedMargin     decimal.NullDecimal `json:"isolatedMargin"`
	MaxRemovableMargin decimal.NullDecimal `json:"maxRemovableMargin"`
}

// PoolReport holds the quantities of one margin pool (SPEC POOL).
type PoolReport struct {
	// Pool is "cross" or "isolated".
	Pool MarginMode `json:"pool"`
	// Position is the index of the isolated position, or -1 for cross.
	Position          int             `json:"position"`
	Equity            decimal.Decimal `json:"equity"`
	InitialMargin     decimal.Decimal `json:"initialMargin"`
	MaintenanceMargin decimal.Decimal `json:"maintenanceMargin"`
	Available         decimal.Decimal `json:"available"`
	// MarginRatio is MM / equity, null when equity <= 0 or out of range.
	MarginRatio  decimal.NullDecimal `json:"marginRatio"`
	Liquidatable bool                `json:"liquidatable"`
}

// Error is the error every implementation returns for input that breaks a
// rule of SPEC.md, or for a result that does not fit the fixed-point range.
type Error struct {
	// Path is the JSON path of the offending field, e.g.
	// "account.positions[1].size" or "markets.BTCUSDT.tiers[2].maintenanceAmount".
	Path string `json:"path"`
	// Rule is the SPEC.md rule id, e.g. "POS-2".
	Rule string `json:"rule"`
	// Msg says what is wrong, in words.
	Msg string `json:"msg"`
}

func (e *Error) Error() string { return e.Path + ": " + e.Rule + ": " + e.Msg }
