package venue

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// maxDecimal is the largest magnitude a decimal may have in a scenario or a
// report (SPEC NUM-2): the int64 range at scale 1e-8.
var maxDecimal = decimal.RequireFromString("92233720368.54775807")

// noCapSentinels are the values exchanges use for "this last tier has no
// upper bound": Binance sends int64 max (9223372036854775807) as notionalCap,
// and CCXT's unified maxNotional carries it through a float64, which prints as
// 9.223372036854776E+18 (= 9223372036854776000); 2^63 is the float64 value
// itself. They are accepted only as the maxNotional of the last tier of a CCXT
// table, and loaded as maxDecimal (in loadList).
var noCapSentinels = []decimal.Decimal{
	decimal.RequireFromString("9223372036854775807"),
	decimal.RequireFromString("9223372036854775808"),
	decimal.RequireFromString("9223372036854776000"),
}

func isNoCapSentinel(d decimal.Decimal) bool {
	for _, s := range noCapSentinels {
		if d.Equal(s) {
			return true
		}
	}
	return false
}

// errAt builds the *spec.Error every function of this package returns.
func errAt(path, rule, format string, args ...any) *spec.Error {
	return spec.Errorf(path, rule, format, args...)
}

// checkNum applies SPEC NUM-1 (a multiple of 1e-8) and NUM-2 (within
// [-maxDecimal, maxDecimal]) to one decimal, NUM-1 first (EVAL-2).
//
// It never rescales by a huge power of ten, so a hostile decimal such as
// 1e2000000000 (which shopspring parses into a tiny value with a huge
// exponent) costs nothing: a non-zero value with exponent > 100 is out of
// range outright, and one whose exponent is so negative that its coefficient
// cannot have enough digits to be a multiple of 1e-8 breaks NUM-1 outright.
func checkNum(path string, d decimal.Decimal) *spec.Error {
	if d.IsZero() {
		return nil
	}
	if exp := d.Exponent(); exp > 100 {
		return errAt(path, "NUM-2", "%se%d is outside [-%s, %s]", d.Coefficient().String(), exp, maxDecimal.String(), maxDecimal.String())
	} else if exp < -100 {
		// A multiple of 1e-8 needs its coefficient divisible by 10^(-exp-8),
		// so at least -exp-8 decimal digits (bitLen*log10(2) bounds them).
		if digits := int64(d.Coefficient().BitLen())*30103/100000 + 1; digits < int64(-exp)-8 {
			return errAt(path, "NUM-1", "a value with exponent %d has a non-zero digit beyond the 8th fractional digit", exp)
		}
	}
	if d.Exponent() < -8 && !d.Truncate(8).Equal(d) {
		return errAt(path, "NUM-1", "%s has a non-zero digit beyond the 8th fractional digit", d.String())
	}
	if d.Abs().Cmp(maxDecimal) > 0 {
		return errAt(path, "NUM-2", "%s is outside [-%s, %s]", d.String(), maxDecimal.String(), maxDecimal.String())
	}
	return nil
}

// onGrid reports whether d is a multiple of 1e-8 within the NUM-2 range, i.e.
// whether it can be written in a scenario or a report.
func onGrid(d decimal.Decimal) bool {
	return checkNum("", d) == nil
}

// rawTier is one tier as read from some source, before validation.
type rawTier struct {
	min, max, mmr, lev decimal.Decimal
	// cum is the maintenance amount the source gives, if any.
	cum      decimal.Decimal
	hasCum   bool
	cumField string // the field cum was read from when not the style's (Bybit's info.mmDeduction)
	label    string // how to name the tier in a message, e.g. "tier 4"
	noCapMax bool   // max was a no-cap sentinel, loaded as maxDecimal
}

// cumFieldOr is the field r's maintenance amount came from.
func (r *rawTier) cumFieldOr(st tableStyle) string {
	if r.cumField != "" {
		return r.cumField
	}
	return st.cumField
}

// tableStyle says how validateTable names fields and rules: a model tier
// table ("maintenanceAmount", TIER-6) or a CCXT list ("info.cum", CCXT-2).
type tableStyle struct {
	cumField string
	cumRule  string
}

var (
	modelStyle = tableStyle{cumField: "maintenanceAmount", cumRule: "TIER-6"}
	ccxtStyle  = tableStyle{cumField: "info.cum", cumRule: "CCXT-2"}
)

// validateTable checks a tier table against SPEC TIER-1..6 in the order of
// EVAL-2 (TIER-1; then per tier the NUM checks of minNotional, maxNotional,
// maintenanceMarginRate, maxLeverage and the maintenance amount, then TIER-2,
// TIER-3, TIER-4, TIER-5 and TIER-6) and returns the table with
// MaintenanceAmount set to the value of the TIER-6 recursion. The derived
// amount is left null (Valid=false) when it cannot be written on the 1e-8 grid
// within NUM-2 range (possible only for tables whose floors have more than
// 8 decimals' worth of product with the rate steps); engines derive it anyway.
// prefix names the table in error paths: "<prefix>[<t>].<field>", t 0-based.
func validateTable(prefix string, rows []rawTier, st tableStyle) ([]spec.Tier, error) {
	p := func(t int, field string) string { return fmt.Sprintf("%s[%d].%s", prefix, t, field) }
	if len(rows) == 0 {
		return nil, errAt(prefix, "TIER-1", "a tier table needs at least one tier")
	}
	if !rows[0].min.IsZero() {
		return nil, errAt(p(0, "minNotional"), "TIER-1", "the first tier's minNotional must be 0, not %s", rows[0].min.String())
	}
	out := make([]spec.Tier, len(rows))
	cum := decimal.Zero
	for t, r := range rows {
		for _, f := range []struct {
			name string
			v    decimal.Decimal
			skip bool
		}{
			{"minNotional", r.min, false},
			{"maxNotional", r.max, r.noCapMax},
			{"maintenanceMarginRate", r.mmr, false},
			{"maxLeverage", r.lev, false},
			{r.cumFieldOr(st), r.cum, !r.hasCum},
		} {
			if f.skip {
				continue
			}
			if err := checkNum(p(t, f.name), f.v); err != nil {
				return nil, err
			}
		}
		// TIER-2: non-empty and contiguous.
		if t > 0 && !r.min.Equal(rows[t-1].max) {
			return nil, errAt(p(t, "minNotional"), "TIER-2", "%s: minNotional %s must equal the previous tier's maxNotional %s",
				r.label, r.min.String(), rows[t-1].max.String())
		}
		if r.min.Cmp(r.max) >= 0 {
			return nil, errAt(p(t, "maxNotional"), "TIER-2", "%s: maxNotional %s must be greater than minNotional %s",
				r.label, r.max.String(), r.min.String())
		}
		// TIER-3: 0 <= MMR < 1, non-decreasing.
		if r.mmr.Sign() < 0 || r.mmr.Cmp(decimal.NewFromInt(1)) >= 0 {
			return nil, errAt(p(t, "maintenanceMarginRate"), "TIER-3", "%s: maintenanceMarginRate %s must be in [0, 1)", r.label, r.mmr.String())
		}
		if t > 0 && r.mmr.Cmp(rows[t-1].mmr) < 0 {
			return nil, errAt(p(t, "maintenanceMarginRate"), "TIER-3", "%s: maintenanceMarginRate %s is below the previous tier's %s",
				r.label, r.mmr.String(), rows[t-1].mmr.String())
		}
		// TIER-4: maxLeverage >= 1, non-increasing.
		if r.lev.Cmp(decimal.NewFromInt(1)) < 0 {
			return nil, errAt(p(t, "maxLeverage"), "TIER-4", "%s: maxLeverage %s must be at least 1", r.label, r.lev.String())
		}
		if t > 0 && r.lev.Cmp(rows[t-1].lev) > 0 {
			return nil, errAt(p(t, "maxLeverage"), "TIER-4", "%s: maxLeverage %s is above the previous tier's %s",
				r.label, r.lev.String(), rows[t-1].lev.String())
		}
		// TIER-5: IM covers MM at every allowed leverage.
		if r.mmr.Mul(r.lev).Cmp(decimal.NewFromInt(1)) > 0 {
			return nil, errAt(p(t, "maxLeverage"), "TIER-5", "%s: maintenanceMarginRate %s * maxLeverage %s = %s exceeds 1",
				r.label, r.mmr.String(), r.lev.String(), r.mmr.Mul(r.lev).String())
		}
		// TIER-6: the maintenance amount recursion.
		if t > 0 {
			cum = cum.Add(r.min.Mul(r.mmr.Sub(rows[t-1].mmr)))
		}
		if r.hasCum && !r.cum.Equal(cum) {
			return nil, errAt(p(t, r.cumFieldOr(st)), st.cumRule, "%s: maintenance amount %s differs from the TIER-6 recursion %s",
				r.label, r.cum.String(), cum.String())
		}
		out[t] = spec.Tier{
			MinNotional:           r.min,
			MaxNotional:           r.max,
			MaintenanceMarginRate: r.mmr,
			MaxLeverage:           r.lev,
			MaintenanceAmount:     decimal.NullDecimal{Decimal: cum, Valid: onGrid(cum)},
		}
	}
	return out, nil
}

// ValidateTiers checks a tier table against SPEC TIER-1..6 (with the NUM
// checks of its fields) and returns a copy in which every MaintenanceAmount is
// set to the value of the TIER-6 recursion. A MaintenanceAmount given in the
// input must equal the recursion exactly (rule TIER-6). path names the table in
// error paths, e.g. "markets.BTCUSDT.tiers" gives
// "markets.BTCUSDT.tiers[2].maxLeverage". Errors are *spec.Error.
func ValidateTiers(path string, tiers []spec.Tier) ([]spec.Tier, error) {
	rows := make([]rawTier, len(tiers))
	for i, t := range tiers {
		rows[i] = rawTier{
			min: t.MinNotional, max: t.MaxNotional, mmr: t.MaintenanceMarginRate, lev: t.MaxLeverage,
			cum: t.MaintenanceAmount.Decimal, hasCum: t.MaintenanceAmount.Valid,
			label: fmt.Sprintf("tier %d", i+1),
		}
	}
	return validateTable(path, rows, modelStyle)
}
