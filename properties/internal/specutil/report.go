package specutil

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// ReportedValue returns the reported value at a report path: an EVAL-2
// step 4/5 path of a position's or pool's value (positions[i].notional,
// pools[k].equity, ...), a position's liquidationPrice, or the portfolio's
// equity, marginRatio and a unit's criticalMoveUp
// (portfolio.units[k].criticalMoveUp); false for any other path or an
// index the report does not have.
func ReportedValue(rep *spec.Report, path string) (decimal.NullDecimal, bool) {
	nd := func(d decimal.Decimal) decimal.NullDecimal { return decimal.NullDecimal{Decimal: d, Valid: true} }
	var i int
	var field string
	if _, err := fmt.Sscanf(path, "positions[%d].%s", &i, &field); err == nil && i < len(rep.Positions) {
		p := rep.Positions[i]
		switch field {
		case "notional":
			return nd(p.Notional), true
		case "unrealizedPnl":
			return nd(p.UnrealizedPnl), true
		case "initialMargin":
			return nd(p.InitialMargin), true
		case "maintenanceMargin":
			return nd(p.MaintenanceMargin), true
		case "isolatedMargin":
			return p.IsolatedMargin, true
		case "maxRemovableMargin":
			return p.MaxRemovableMargin, true
		case "liquidationPrice":
			return p.LiquidationPrice, true
		}
	}
	if _, err := fmt.Sscanf(path, "pools[%d].%s", &i, &field); err == nil && i < len(rep.Pools) {
		p := rep.Pools[i]
		switch field {
		case "equity":
			return nd(p.Equity), true
		case "initialMargin":
			return nd(p.InitialMargin), true
		case "maintenanceMargin":
			return nd(p.MaintenanceMargin), true
		case "available":
			return nd(p.Available), true
		}
	}
	if pf := rep.Portfolio; pf != nil {
		switch path {
		case "portfolio.equity":
			return nd(pf.Equity), true
		case "portfolio.marginRatio":
			return pf.MarginRatio, true
		}
		if _, err := fmt.Sscanf(path, "portfolio.units[%d].%s", &i, &field); err == nil && i < len(pf.Units) && field == "criticalMoveUp" {
			return pf.Units[i].CriticalMoveUp, true
		}
	}
	return decimal.NullDecimal{}, false
}
