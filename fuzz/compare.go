package fuzz

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// compareErrors checks the error contract shared by both implementations
// (SPEC EVAL-1, EVAL-2): both fail or neither does, and failures are
// *model.Error values with the same Path and Rule (messages may differ).
func compareErrors(got, want error) error {
	if got == nil && want == nil {
		return nil
	}
	if (got == nil) != (want == nil) {
		return fmt.Errorf("model error %v, reference error %v", got, want)
	}
	var ge, we *spec.Error
	if !errors.As(got, &ge) {
		return fmt.Errorf("model returned a non-*model.Error: %v", got)
	}
	if !errors.As(want, &we) {
		return fmt.Errorf("reference returned a non-*model.Error (internal error?): %v", want)
	}
	if ge.Path != we.Path || ge.Rule != we.Rule {
		return fmt.Errorf("model error %s %s (%s), reference error %s %s (%s)",
			ge.Path, ge.Rule, ge.Msg, we.Path, we.Rule, we.Msg)
	}
	return nil
}

// compareReports compares two reports with spec.Diff: decimals by value
// (SPEC NUM-6), optional decimals on presence and then by value,
// everything else exactly. It returns nil when they agree, else an error
// listing the differing fields as JSON paths, model's value first.
func compareReports(got, want *spec.Report) error {
	if d := spec.Diff(got, want); d != nil {
		return fmt.Errorf("report (model vs reference): %s", strings.Join(d, "; "))
	}
	return nil
}

func nullString(d decimal.NullDecimal) string {
	if !d.Valid {
		return "null"
	}
	return d.Decimal.String()
}

// comparePortfolio checks every query of p (Position, LiquidationPrice,
// BankruptcyPrice, Cross, Isolated, Report) against want, the reference's
// report of the same scenario at the same marks.
func comparePortfolio(p *model.Portfolio, want *spec.Report) error {
	if p.NumPositions() != len(want.Positions) {
		return fmt.Errorf("NumPositions %d, reference reports %d positions", p.NumPositions(), len(want.Positions))
	}
	for i, wp := range want.Positions {
		m, err := p.Position(i)
		if err != nil {
			return fmt.Errorf("Position(%d): %v, but the reference has a report", i, err)
		}
		if d := diffFixed(fmt.Sprintf("Position(%d)", i),
			[]model.Fixed{m.Notional, m.UnrealizedPnl, m.Leverage, m.InitialMargin, m.MaintenanceMargin},
			[]decimal.Decimal{wp.Notional, wp.UnrealizedPnl, wp.Leverage, wp.InitialMargin, wp.MaintenanceMargin},
			"notional", "unrealizedPnl", "leverage", "initialMargin", "maintenanceMargin"); d != "" {
			return errors.New(d)
		}
		if m.Tier != wp.Tier {
			return fmt.Errorf("Position(%d).tier: model %d, reference %d", i, m.Tier, wp.Tier)
		}
		lp, err := p.LiquidationPrice(i)
		if err != nil {
			return fmt.Errorf("LiquidationPrice(%d): %v", i, err)
		}
		if d := diffPrice(fmt.Sprintf("LiquidationPrice(%d)", i), lp, wp.LiquidationPrice, wp.LiquidationPriceReason, true, wp.LiquidationPriceExact); d != "" {
			return errors.New(d)
		}
		bp, err := p.BankruptcyPrice(i)
		if err != nil {
			return fmt.Errorf("BankruptcyPrice(%d): %v", i, err)
		}
		if d := diffPrice(fmt.Sprintf("BankruptcyPrice(%d)", i), bp, wp.BankruptcyPrice, wp.BankruptcyPriceReason, false, decimal.NullDecimal{}); d != "" {
			return errors.New(d)
		}
	}
	for k, pool := range want.Pools {
		var h model.PoolHealth
		var err error
		name := "Cross()"
		if pool.Position < 0 {
			h, err = p.Cross()
		} else {
			name = fmt.Sprintf("Isolated(%d)", pool.Position)
			h, err = p.Isolated(pool.Position)
		}
		if err != nil {
			return fmt.Errorf("%s: %v, but the reference reports pools[%d]", name, err, k)
		}
		if d := diffFixed(name,
			[]model.Fixed{h.Equity, h.InitialMargin, h.MaintenanceMargin, h.Available},
			[]decimal.Decimal{pool.Equity, pool.InitialMargin, pool.MaintenanceMargin, pool.Available},
			"equity", "initialMargin", "maintenanceMargin", "available"); d != "" {
			return errors.New(d)
		}
		if h.MarginRatioOK != pool.MarginRatio.Valid ||
			(h.MarginRatioOK && !h.MarginRatio.Decimal().Equal(pool.MarginRatio.Decimal)) {
			return fmt.Errorf("%s.marginRatio: model %s (ok %v), reference %s", name, h.MarginRatio, h.MarginRatioOK, nullString(pool.MarginRatio))
		}
		if h.Liquidatable != pool.Liquidatable {
			return fmt.Errorf("%s.liquidatable: model %v, reference %v", name, h.Liquidatable, pool.Liquidatable)
		}
	}
	for i, wp := range want.Positions {
		if wp.MarginMode == spec.Cross {
			if _, err := p.Isolated(i); !errors.Is(err, model.ErrNotIsolated) {
				return fmt.Errorf("Isolated(%d) of a cross position: %v, want ErrNotIsolated", i, err)
			}
		}
	}
	got, err := p.Report()
	if err != nil {
		return fmt.Errorf("Report(): %v, but the reference has a report", err)
	}
	return compareReports(got, want)
}

// comparePortfolioError checks p against a reference that failed with werr
// on a reported value (EVAL-2 steps 4 and 5): Report must fail the same way,
// and so must the query that computes the offending value.
func comparePortfolioError(p *model.Portfolio, werr error) error {
	var we *spec.Error
	if !errors.As(werr, &we) {
		return fmt.Errorf("reference returned a non-*model.Error (internal error?): %v", werr)
	}
	_, err := p.Report()
	if e := compareErrors(err, werr); e != nil {
		return fmt.Errorf("Report(): %w", e)
	}
	var kind string
	var idx int
	var field string
	if n, _ := fmt.Sscanf(strings.NewReplacer("[", " ", "].", " ").Replace(we.Path), "%s %d %s", &kind, &idx, &field); n != 3 {
		return nil
	}
	switch {
	case kind == "positions" && field == "isolatedMargin":
		_, err = p.Isolated(idx)
	case kind == "positions" && field != "maxRemovableMargin":
		_, err = p.Position(idx)
	case kind == "pools" && idx == 0:
		_, err = p.Cross()
	case kind == "pools":
		// Pool k > 0 is the k-th isolated position.
		pos, k := -1, 0
		for i := range p.NumPositions() {
			if _, e := p.Isolated(i); errors.Is(e, model.ErrNotIsolated) {
				continue
			}
			if k++; k == idx {
				pos = i
				break
			}
		}
		if pos < 0 {
			return fmt.Errorf("reference error at %s, but the model has no such pool", we.Path)
		}
		_, err = p.Isolated(pos)
	default:
		return nil
	}
	if e := compareErrors(err, werr); e != nil {
		return fmt.Errorf("query for %s: %w", we.Path, e)
	}
	return nil
}

func diffFixed(name string, got []model.Fixed, want []decimal.Decimal, fields ...string) string {
	for i := range got {
		if !got[i].Decimal().Equal(want[i]) {
			return fmt.Sprintf("%s.%s: model %s, reference %s", name, fields[i], got[i], want[i])
		}
	}
	return ""
}

func diffPrice(name string, got model.PriceResult, want decimal.NullDecimal, reason string, exact bool, wantExact decimal.NullDecimal) string {
	if got.OK != want.Valid {
		return fmt.Sprintf("%s: model ok %v (%s %q), reference %s %q", name, got.OK, got.Price, got.Reason, nullString(want), reason)
	}
	if !got.OK {
		if got.Reason != reason {
			return fmt.Sprintf("%s: model reason %q, reference %q", name, got.Reason, reason)
		}
		return ""
	}
	if !got.Price.Decimal().Equal(want.Decimal) {
		return fmt.Sprintf("%s: model %s, reference %s", name, got.Price, want.Decimal)
	}
	if exact && (!wantExact.Valid || !got.Exact.Decimal().Equal(wantExact.Decimal)) {
		return fmt.Sprintf("%s.Exact: model %s, reference %s", name, got.Exact, nullString(wantExact))
	}
	return ""
}
