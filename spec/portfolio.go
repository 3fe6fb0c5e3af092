package spec

import "github.com/shopspring/decimal"

// Portfolio is the margin mode of SPEC PM: the positions of one underlying
// are margined together on their net risk (POS-3, MKT-4, PM-2).
const Portfolio MarginMode = "portfolio"

// ReasonPortfolio is the reason a portfolio position has no liquidation or
// bankruptcy price (SPEC PM-12); ReasonAlreadyLiquidatable the reason a
// portfolio account that is liquidatable at the current marks has no
// critical move (PM-11).
const (
	ReasonPortfolio           = "portfolio"
	ReasonAlreadyLiquidatable = "already-liquidatable"
)

// PortfolioParams are the portfolio-margin parameters of a market's
// underlying (SPEC PM-1). Absent optional fields take the defaults of PM-1.
type PortfolioParams struct {
	// Shocks are the price moves of the MR1 scan grid, signed fractions of
	// the mark in (-1, 1), e.g. -0.12 .. 0.12 (PM-4).
	Shocks []decimal.Decimal `json:"shocks" strict:"required"`
	// ExtremeMove is MR6's move E in [0, 1) (PM-5); absent: 0.
	ExtremeMove decimal.NullDecimal `json:"extremeMove"`
	// ExtremeFraction is the part f in [0, 1] of the extreme loss counted
	// (PM-5; SPAN counts 0.35); absent: 1.
	ExtremeFraction decimal.NullDecimal `json:"extremeFraction"`
	// BasisRate is MR4's annualized basis move b in [0, 1) (PM-6); absent: 0.
	BasisRate decimal.NullDecimal `json:"basisRate"`
	// ContingencyRate is the charge c in [0, 1) on offsetting positions
	// (PM-7; Deribit 0.01); absent: 0.
	ContingencyRate decimal.NullDecimal `json:"contingencyRate"`
	// MinimumChargeRate is MR7's raw rate m in [0, 1) on the gross notional
	// (PM-8); absent: 0.
	MinimumChargeRate decimal.NullDecimal `json:"minimumChargeRate"`
	// MinimumChargeTiers scale the raw minimum charge progressively (PM-8);
	// absent or empty: one tier [0, inf) with multiplier 1.
	MinimumChargeTiers []ChargeTier `json:"minimumChargeTiers,omitempty"`
	// InitialMarginFactor is k >= 1 in IM = k * MM (PM-9); absent: 1.
	InitialMarginFactor decimal.NullDecimal `json:"initialMarginFactor"`
}

// ChargeTier is one band of the progressive minimum charge (SPEC PM-8): the
// raw charges R with MinCharge <= R < MaxCharge (the last band also every R
// above) are scaled by Multiplier, continuously across bands.
type ChargeTier struct {
	MinCharge  decimal.Decimal `json:"minCharge" strict:"required"`
	MaxCharge  decimal.Decimal `json:"maxCharge" strict:"required"`
	Multiplier decimal.Decimal `json:"multiplier" strict:"required"`
}

// Clone returns a deep copy of p; nil gives nil.
func (p *PortfolioParams) Clone() *PortfolioParams {
	if p == nil {
		return nil
	}
	c := *p
	c.Shocks = cloneSlice(p.Shocks)
	c.MinimumChargeTiers = cloneSlice(p.MinimumChargeTiers)
	return &c
}

// PortfolioReport is the portfolio pool of an account with portfolio
// positions (SPEC PM-10, PM-13). Values are rounded like a pool's: Equity
// and Available down, margins and MarginRatio up.
type PortfolioReport struct {
	Equity            decimal.Decimal     `json:"equity"`
	InitialMargin     decimal.Decimal     `json:"initialMargin"`
	MaintenanceMargin decimal.Decimal     `json:"maintenanceMargin"`
	Available         decimal.Decimal     `json:"available"`
	MarginRatio       decimal.NullDecimal `json:"marginRatio"`
	Liquidatable      bool                `json:"liquidatable"`
	// Units are the risk units, in ascending byte order of underlying.
	Units []UnitReport `json:"units"`
}

// UnitReport is one risk unit (SPEC PM-3..9, PM-11).
type UnitReport struct {
	Underlying string `json:"underlying"`
	// Positions are the indices of the unit's positions, in order.
	Positions []int `json:"positions"`
	// Scenarios are the scan grid's P&Ls, in grid order (PM-4).
	Scenarios []ScenarioPnl `json:"scenarios"`
	// WorstScenario is the 0-based index of the first smallest P&L.
	WorstScenario int `json:"worstScenario"`
	// ScanRisk (MR1), ExtremeRisk (MR6), BasisRisk (MR4), Contingency,
	// MinimumChargeRaw and MinimumCharge (MR7) are the terms of PM-4..8.
	ScanRisk          decimal.Decimal `json:"scanRisk"`
	ExtremeRisk       decimal.Decimal `json:"extremeRisk"`
	BasisRisk         decimal.Decimal `json:"basisRisk"`
	Contingency       decimal.Decimal `json:"contingency"`
	MinimumChargeRaw  decimal.Decimal `json:"minimumChargeRaw"`
	MinimumCharge     decimal.Decimal `json:"minimumCharge"`
	MaintenanceMargin decimal.Decimal `json:"maintenanceMargin"`
	InitialMargin     decimal.Decimal `json:"initialMargin"`
	// CriticalMoveUp and CriticalMoveDown are the moves of the unit's marks
	// (fractions) at which the account becomes liquidatable (PM-11), or null
	// with a reason.
	CriticalMoveUp         decimal.NullDecimal `json:"criticalMoveUp"`
	CriticalMoveUpReason   string              `json:"criticalMoveUpReason,omitempty"`
	CriticalMoveDown       decimal.NullDecimal `json:"criticalMoveDown"`
	CriticalMoveDownReason string              `json:"criticalMoveDownReason,omitempty"`
}

// ScenarioPnl is one scan scenario: the move of the unit's marks and the
// unit's P&L under it, rounded down (PM-4).
type ScenarioPnl struct {
	Move decimal.Decimal `json:"move"`
	Pnl  decimal.Decimal `json:"pnl"`
}

// Clone returns a deep copy of r; nil gives nil.
func (r *PortfolioReport) Clone() *PortfolioReport {
	if r == nil {
		return nil
	}
	c := *r
	c.Units = cloneSlice(r.Units)
	for i := range c.Units {
		c.Units[i].Positions = cloneSlice(c.Units[i].Positions)
		c.Units[i].Scenarios = cloneSlice(c.Units[i].Scenarios)
	}
	return &c
}
