// Package wire encodes perpcheck's contract types (package spec) as JSON
// without reflection, for the hot paths of the perpcheck/1 protocol.
//
// Every Append function writes exactly the bytes json.Marshal writes for the
// same value: the same field names and order, the same omitempty behaviour,
// map keys sorted, strings escaped as encoding/json escapes them (HTML-safe:
// <, > and & as \u003c, \u003e, \u0026, U+2028 and U+2029 as \u2028 and
// \u2029, invalid UTF-8 as \ufffd), decimals as shopspring's MarshalJSON
// writes them (a quoted Decimal.String(); null for an invalid NullDecimal).
// The differential tests and the fuzz target of this package hold it to
// that; a change to a contract type's fields must be made here too (the
// tests fail until it is).
package wire

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/perpcheck/perpcheck/spec"
	"github.com/shopspring/decimal"
)

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped exactly as encoding/json
// escapes strings (with HTML escaping, its default).
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendDecimal appends d as shopspring's Decimal.MarshalJSON writes it: its
// String() in quotes (without them when decimal.MarshalJSONWithoutQuotes is
// set).
func AppendDecimal(b []byte, d decimal.Decimal) []byte {
	if decimal.MarshalJSONWithoutQuotes {
		return appendDecimalText(b, d)
	}
	b = append(b, '"')
	b = appendDecimalText(b, d)
	return append(b, '"')
}

// AppendNullDecimal appends d as shopspring's NullDecimal.MarshalJSON writes
// it: null when d is not valid, else as AppendDecimal.
func AppendNullDecimal(b []byte, d decimal.NullDecimal) []byte {
	if !d.Valid {
		return append(b, "null"...)
	}
	return AppendDecimal(b, d.Decimal)
}

// maxFastExp bounds the exponents appendDecimalText formats itself; beyond
// it (never on SPEC's grids) Decimal.String does the work.
const maxFastExp = 64

// appendDecimalText appends d.String() without building the string when
// the coefficient fits in an int64 and the package's formatting options
// are at their defaults; otherwise it appends d.String() itself.
func appendDecimalText(b []byte, d decimal.Decimal) []byte {
	exp := d.Exponent()
	if !decimal.TrimTrailingZeros || decimal.UseScientificNotation ||
		exp > maxFastExp || exp < -maxFastExp || d.NumDigits() > 18 {
		return append(b, d.String()...)
	}
	c := d.CoefficientInt64() // |c| < 1e18: NumDigits <= 18
	switch {
	case exp == 0:
		return strconv.AppendInt(b, c, 10)
	case exp > 0:
		b = strconv.AppendInt(b, c, 10)
		if c == 0 {
			return b
		}
		for range exp {
			b = append(b, '0')
		}
		return b
	}
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	var buf [20]byte
	digits := strconv.AppendUint(buf[:0], uint64(c), 10)
	scale := int(-exp)
	var intPart, frac []byte
	leading := 0
	if len(digits) > scale {
		intPart, frac = digits[:len(digits)-scale], digits[len(digits)-scale:]
	} else {
		intPart, frac = []byte{'0'}, digits
		leading = scale - len(digits)
	}
	for len(frac) > 0 && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	b = append(b, intPart...)
	if len(frac) == 0 {
		return b
	}
	b = append(b, '.')
	for range leading {
		b = append(b, '0')
	}
	return append(b, frac...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// sortedKeys returns m's keys in encoding/json's order (byte-wise).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendMap appends m as encoding/json does: null when nil, else an object
// with sorted keys.
func appendMap[V any](b []byte, m map[string]V, value func([]byte, *V) []byte) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		v := m[k]
		b = value(b, &v)
	}
	return append(b, '}')
}

// appendSlice appends s as encoding/json does: null when nil, else an array.
func appendSlice[V any](b []byte, s []V, value func([]byte, *V) []byte) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = value(b, &s[i])
	}
	return append(b, ']')
}

// appendOmitString appends ,"name":"s" unless s is empty (omitempty); name
// is given with its leading comma, quotes and colon.
func appendOmitString(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, name...)
	return AppendString(b, s)
}

// AppendScenario appends s as json.Marshal(s) writes it (null for nil).
func AppendScenario(b []byte, s *spec.Scenario) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"markets":`...)
	b = appendMap(b, s.Markets, appendMarket)
	b = append(b, `,"prices":`...)
	b = appendMap(b, s.Prices, appendPrice)
	b = append(b, `,"account":`...)
	b = appendAccount(b, &s.Account)
	return append(b, '}')
}

func appendMarket(b []byte, m *spec.Market) []byte {
	b = append(b, '{')
	if m.Profile != "" {
		b = append(b, `"profile":`...)
		b = AppendString(b, m.Profile)
		b = append(b, ',')
	}
	if m.Symbol != "" {
		b = append(b, `"symbol":`...)
		b = AppendString(b, m.Symbol)
		b = append(b, ',')
	}
	b = append(b, `"tickSize":`...)
	b = AppendDecimal(b, m.TickSize)
	b = append(b, `,"lotSize":`...)
	b = AppendDecimal(b, m.LotSize)
	b = appendOmitString(b, `,"mmBasis":`, string(m.MMBasis))
	b = append(b, `,"tiers":`...)
	b = appendSlice(b, m.Tiers, appendTier)
	if len(m.MarginModes) > 0 {
		b = append(b, `,"marginModes":[`...)
		for i, mode := range m.MarginModes {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendString(b, string(mode))
		}
		b = append(b, ']')
	}
	b = append(b, `,"liquidationFeeRate":`...)
	b = AppendNullDecimal(b, m.LiquidationFeeRate)
	b = append(b, `,"fundingIntervalHours":`...)
	b = AppendNullDecimal(b, m.FundingIntervalHours)
	b = append(b, `,"markPriceBand":`...)
	b = AppendNullDecimal(b, m.MarkPriceBand)
	b = append(b, `,"makerFeeRate":`...)
	b = AppendNullDecimal(b, m.MakerFeeRate)
	b = append(b, `,"takerFeeRate":`...)
	b = AppendNullDecimal(b, m.TakerFeeRate)
	b = append(b, `,"fundingRateCap":`...)
	b = AppendNullDecimal(b, m.FundingRateCap)
	if m.Variants != nil {
		b = append(b, `,"variants":`...)
		b = appendVariants(b, m.Variants)
	}
	b = appendOmitString(b, `,"underlying":`, m.Underlying)
	if m.Expiry != nil {
		b = append(b, `,"expiry":`...)
		b = AppendDecimal(b, *m.Expiry)
	}
	if m.PortfolioMargin != nil {
		b = append(b, `,"portfolioMargin":`...)
		b = appendPortfolioParams(b, m.PortfolioMargin)
	}
	return append(b, '}')
}

func appendPortfolioParams(b []byte, p *spec.PortfolioParams) []byte {
	b = append(b, `{"shocks":`...)
	b = appendSlice(b, p.Shocks, func(b []byte, d *decimal.Decimal) []byte { return AppendDecimal(b, *d) })
	b = append(b, `,"extremeMove":`...)
	b = AppendNullDecimal(b, p.ExtremeMove)
	b = append(b, `,"extremeFraction":`...)
	b = AppendNullDecimal(b, p.ExtremeFraction)
	b = append(b, `,"basisRate":`...)
	b = AppendNullDecimal(b, p.BasisRate)
	b = append(b, `,"contingencyRate":`...)
	b = AppendNullDecimal(b, p.ContingencyRate)
	b = append(b, `,"minimumChargeRate":`...)
	b = AppendNullDecimal(b, p.MinimumChargeRate)
	if len(p.MinimumChargeTiers) > 0 {
		b = append(b, `,"minimumChargeTiers":`...)
		b = appendSlice(b, p.MinimumChargeTiers, func(b []byte, t *spec.ChargeTier) []byte {
			b = append(b, `{"minCharge":`...)
			b = AppendDecimal(b, t.MinCharge)
			b = append(b, `,"maxCharge":`...)
			b = AppendDecimal(b, t.MaxCharge)
			b = append(b, `,"multiplier":`...)
			b = AppendDecimal(b, t.Multiplier)
			return append(b, '}')
		})
	}
	b = append(b, `,"initialMarginFactor":`...)
	b = AppendNullDecimal(b, p.InitialMarginFactor)
	return append(b, '}')
}

func appendVariants(b []byte, v *spec.Variants) []byte {
	b = append(b, '{')
	n := len(b)
	b = appendOmitString(b, `,"trigger":`, v.Trigger)
	b = appendOmitString(b, `,"tierBound":`, v.TierBound)
	b = appendOmitString(b, `,"tierSchedule":`, v.TierSchedule)
	b = appendOmitString(b, `,"maintenanceRate":`, v.MaintenanceRate)
	b = appendOmitString(b, `,"closeFee":`, v.CloseFee)
	b = appendOmitString(b, `,"isolatedLeftover":`, v.IsolatedLeftover)
	b = append(b, `,"liquidatorShare":`...)
	b = AppendNullDecimal(b, v.LiquidatorShare)
	b = appendOmitString(b, `,"isolatedFeePayer":`, v.IsolatedFeePayer)
	b = appendOmitString(b, `,"adlRanking":`, v.ADLRanking)
	b = appendOmitString(b, `,"fundingCap":`, v.FundingCap)
	b = append(b, `,"fundingCapFactor":`...)
	b = AppendNullDecimal(b, v.FundingCapFactor)
	b = appendOmitString(b, `,"setLeverage":`, v.SetLeverage)
	// Drop the comma after '{' (every field above writes a leading one).
	copy(b[n:], b[n+1:])
	return append(b[:len(b)-1], '}')
}

func appendTier(b []byte, t *spec.Tier) []byte {
	b = append(b, `{"minNotional":`...)
	b = AppendDecimal(b, t.MinNotional)
	b = append(b, `,"maxNotional":`...)
	b = AppendDecimal(b, t.MaxNotional)
	b = append(b, `,"maintenanceMarginRate":`...)
	b = AppendDecimal(b, t.MaintenanceMarginRate)
	b = append(b, `,"maxLeverage":`...)
	b = AppendDecimal(b, t.MaxLeverage)
	b = append(b, `,"maintenanceAmount":`...)
	b = AppendNullDecimal(b, t.MaintenanceAmount)
	if t.InitialMarginRate != nil {
		b = append(b, `,"initialMarginRate":`...)
		b = AppendDecimal(b, *t.InitialMarginRate)
	}
	return append(b, '}')
}

func appendPrice(b []byte, p *spec.Price) []byte {
	b = append(b, `{"mark":`...)
	b = AppendNullDecimal(b, p.Mark)
	b = append(b, `,"index":`...)
	b = AppendNullDecimal(b, p.Index)
	b = append(b, `,"last":`...)
	b = AppendNullDecimal(b, p.Last)
	b = append(b, `,"fundingRate":`...)
	b = AppendNullDecimal(b, p.FundingRate)
	b = append(b, `,"secondsToFunding":`...)
	b = AppendNullDecimal(b, p.SecondsToFunding)
	b = append(b, `,"basisAverage":`...)
	b = AppendNullDecimal(b, p.BasisAverage)
	return append(b, '}')
}

func appendAccount(b []byte, a *spec.Account) []byte {
	b = append(b, `{"walletBalance":`...)
	b = AppendDecimal(b, a.WalletBalance)
	b = append(b, `,"positions":`...)
	b = appendSlice(b, a.Positions, appendPosition)
	if len(a.Settings) > 0 {
		b = append(b, `,"settings":`...)
		b = appendMap(b, a.Settings, appendSettings)
	}
	return append(b, '}')
}

func appendPosition(b []byte, p *spec.Position) []byte {
	b = append(b, `{"market":`...)
	b = AppendString(b, p.Market)
	b = append(b, `,"side":`...)
	b = AppendString(b, string(p.Side))
	b = append(b, `,"size":`...)
	b = AppendDecimal(b, p.Size)
	b = append(b, `,"entryPrice":`...)
	b = AppendDecimal(b, p.EntryPrice)
	b = append(b, `,"entryValue":`...)
	b = AppendNullDecimal(b, p.EntryValue)
	b = append(b, `,"marginMode":`...)
	b = AppendString(b, string(p.MarginMode))
	b = append(b, `,"leverage":`...)
	b = AppendNullDecimal(b, p.Leverage)
	b = append(b, `,"isolatedMargin":`...)
	b = AppendNullDecimal(b, p.IsolatedMargin)
	return append(b, '}')
}

func appendSettings(b []byte, s *spec.AccountSettings) []byte {
	b = append(b, `{"leverage":`...)
	b = AppendNullDecimal(b, s.Leverage)
	b = appendOmitString(b, `,"marginMode":`, string(s.MarginMode))
	return append(b, '}')
}

// AppendReport appends r as json.Marshal(r) writes it (null for nil).
func AppendReport(b []byte, r *spec.Report) []byte {
	if r == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"prices":`...)
	b = appendMap(b, r.Prices, appendPriceReport)
	b = append(b, `,"positions":`...)
	b = appendSlice(b, r.Positions, appendPositionReport)
	b = append(b, `,"pools":`...)
	b = appendSlice(b, r.Pools, appendPoolReport)
	if r.Portfolio != nil {
		b = append(b, `,"portfolio":`...)
		b = appendPortfolioReport(b, r.Portfolio)
	}
	return append(b, '}')
}

func appendPortfolioReport(b []byte, p *spec.PortfolioReport) []byte {
	b = append(b, `{"equity":`...)
	b = AppendDecimal(b, p.Equity)
	b = append(b, `,"initialMargin":`...)
	b = AppendDecimal(b, p.InitialMargin)
	b = append(b, `,"maintenanceMargin":`...)
	b = AppendDecimal(b, p.MaintenanceMargin)
	b = append(b, `,"available":`...)
	b = AppendDecimal(b, p.Available)
	b = append(b, `,"marginRatio":`...)
	b = AppendNullDecimal(b, p.MarginRatio)
	b = append(b, `,"liquidatable":`...)
	b = appendBool(b, p.Liquidatable)
	b = append(b, `,"units":`...)
	b = appendSlice(b, p.Units, appendUnitReport)
	return append(b, '}')
}

func appendUnitReport(b []byte, u *spec.UnitReport) []byte {
	b = append(b, `{"underlying":`...)
	b = AppendString(b, u.Underlying)
	b = append(b, `,"positions":`...)
	b = appendSlice(b, u.Positions, func(b []byte, i *int) []byte { return strconv.AppendInt(b, int64(*i), 10) })
	b = append(b, `,"scenarios":`...)
	b = appendSlice(b, u.Scenarios, func(b []byte, s *spec.ScenarioPnl) []byte {
		b = append(b, `{"move":`...)
		b = AppendDecimal(b, s.Move)
		b = append(b, `,"pnl":`...)
		b = AppendDecimal(b, s.Pnl)
		return append(b, '}')
	})
	b = append(b, `,"worstScenario":`...)
	b = strconv.AppendInt(b, int64(u.WorstScenario), 10)
	for _, f := range [...]struct {
		name string
		v    decimal.Decimal
	}{
		{`,"scanRisk":`, u.ScanRisk}, {`,"extremeRisk":`, u.ExtremeRisk}, {`,"basisRisk":`, u.BasisRisk},
		{`,"contingency":`, u.Contingency}, {`,"minimumChargeRaw":`, u.MinimumChargeRaw},
		{`,"minimumCharge":`, u.MinimumCharge}, {`,"maintenanceMargin":`, u.MaintenanceMargin},
		{`,"initialMargin":`, u.InitialMargin},
	} {
		b = append(b, f.name...)
		b = AppendDecimal(b, f.v)
	}
	b = append(b, `,"criticalMoveUp":`...)
	b = AppendNullDecimal(b, u.CriticalMoveUp)
	b = appendOmitString(b, `,"criticalMoveUpReason":`, u.CriticalMoveUpReason)
	b = append(b, `,"criticalMoveDown":`...)
	b = AppendNullDecimal(b, u.CriticalMoveDown)
	b = appendOmitString(b, `,"criticalMoveDownReason":`, u.CriticalMoveDownReason)
	return append(b, '}')
}

func appendPriceReport(b []byte, p *spec.PriceReport) []byte {
	b = append(b, `{"mark":`...)
	b = AppendDecimal(b, p.Mark)
	b = append(b, `,"computed":`...)
	b = appendBool(b, p.Computed)
	return append(b, '}')
}

func appendPositionReport(b []byte, p *spec.PositionReport) []byte {
	b = append(b, `{"market":`...)
	b = AppendString(b, p.Market)
	b = append(b, `,"side":`...)
	b = AppendString(b, string(p.Side))
	b = append(b, `,"marginMode":`...)
	b = AppendString(b, string(p.MarginMode))
	b = append(b, `,"notional":`...)
	b = AppendDecimal(b, p.Notional)
	b = append(b, `,"unrealizedPnl":`...)
	b = AppendDecimal(b, p.UnrealizedPnl)
	b = append(b, `,"leverage":`...)
	b = AppendDecimal(b, p.Leverage)
	b = append(b, `,"initialMargin":`...)
	b = AppendDecimal(b, p.InitialMargin)
	b = append(b, `,"maintenanceMargin":`...)
	b = AppendDecimal(b, p.MaintenanceMargin)
	b = append(b, `,"tier":`...)
	b = strconv.AppendInt(b, int64(p.Tier), 10)
	b = append(b, `,"liquidationPrice":`...)
	b = AppendNullDecimal(b, p.LiquidationPrice)
	b = append(b, `,"liquidationPriceExact":`...)
	b = AppendNullDecimal(b, p.LiquidationPriceExact)
	b = appendOmitString(b, `,"liquidationPriceReason":`, p.LiquidationPriceReason)
	b = append(b, `,"bankruptcyPrice":`...)
	b = AppendNullDecimal(b, p.BankruptcyPrice)
	b = appendOmitString(b, `,"bankruptcyPriceReason":`, p.BankruptcyPriceReason)
	b = append(b, `,"isolatedMargin":`...)
	b = AppendNullDecimal(b, p.IsolatedMargin)
	b = append(b, `,"maxRemovableMargin":`...)
	b = AppendNullDecimal(b, p.MaxRemovableMargin)
	return append(b, '}')
}

func appendPoolReport(b []byte, p *spec.PoolReport) []byte {
	b = append(b, `{"pool":`...)
	b = AppendString(b, string(p.Pool))
	b = append(b, `,"position":`...)
	b = strconv.AppendInt(b, int64(p.Position), 10)
	b = append(b, `,"equity":`...)
	b = AppendDecimal(b, p.Equity)
	b = append(b, `,"initialMargin":`...)
	b = AppendDecimal(b, p.InitialMargin)
	b = append(b, `,"maintenanceMargin":`...)
	b = AppendDecimal(b, p.MaintenanceMargin)
	b = append(b, `,"available":`...)
	b = AppendDecimal(b, p.Available)
	b = append(b, `,"marginRatio":`...)
	b = AppendNullDecimal(b, p.MarginRatio)
	b = append(b, `,"liquidatable":`...)
	b = appendBool(b, p.Liquidatable)
	return append(b, '}')
}

// AppendState appends st as json.Marshal(st) writes it (null for nil).
func AppendState(b []byte, st *spec.State) []byte {
	if st == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"markets":`...)
	b = appendMap(b, st.Markets, appendMarket)
	b = append(b, `,"prices":`...)
	b = appendMap(b, st.Prices, appendPrice)
	b = append(b, `,"accounts":`...)
	b = appendMap(b, st.Accounts, appendAccount)
	b = append(b, `,"insuranceFund":`...)
	b = appendAccount(b, &st.InsuranceFund)
	b = append(b, `,"feePool":`...)
	b = AppendDecimal(b, st.FeePool)
	b = append(b, `,"dust":`...)
	b = AppendDecimal(b, st.Dust)
	b = append(b, `,"settlement":`...)
	b = AppendNullDecimal(b, st.Settlement)
	return append(b, '}')
}

// AppendEvent appends ev as json.Marshal(ev) writes it.
func AppendEvent(b []byte, ev *spec.Event) []byte {
	b = append(b, `{"type":`...)
	b = AppendString(b, string(ev.Type))
	b = appendOmitString(b, `,"account":`, ev.Account)
	b = appendOmitString(b, `,"market":`, ev.Market)
	b = append(b, `,"amount":`...)
	b = AppendNullDecimal(b, ev.Amount)
	b = appendOmitString(b, `,"buyer":`, ev.Buyer)
	b = appendOmitString(b, `,"seller":`, ev.Seller)
	b = append(b, `,"size":`...)
	b = AppendNullDecimal(b, ev.Size)
	b = append(b, `,"price":`...)
	b = AppendNullDecimal(b, ev.Price)
	b = appendOmitString(b, `,"maker":`, ev.Maker)
	b = append(b, `,"mark":`...)
	b = AppendNullDecimal(b, ev.Mark)
	b = append(b, `,"index":`...)
	b = AppendNullDecimal(b, ev.Index)
	b = append(b, `,"last":`...)
	b = AppendNullDecimal(b, ev.Last)
	b = append(b, `,"fundingRate":`...)
	b = AppendNullDecimal(b, ev.FundingRate)
	b = append(b, `,"secondsToFunding":`...)
	b = AppendNullDecimal(b, ev.SecondsToFunding)
	b = append(b, `,"basisAverage":`...)
	b = AppendNullDecimal(b, ev.BasisAverage)
	b = append(b, `,"rate":`...)
	b = AppendNullDecimal(b, ev.Rate)
	b = append(b, `,"leverage":`...)
	b = AppendNullDecimal(b, ev.Leverage)
	b = appendOmitString(b, `,"marginMode":`, string(ev.MarginMode))
	return append(b, '}')
}

// AppendEffects appends effects as json.Marshal(effects) writes them (null
// for a nil slice, [] for an empty one).
func AppendEffects(b []byte, effects []spec.Effect) []byte {
	return appendSlice(b, effects, appendEffect)
}

func appendEffect(b []byte, e *spec.Effect) []byte {
	b = append(b, `{"event":`...)
	b = strconv.AppendInt(b, int64(e.Event), 10)
	b = append(b, `,"type":`...)
	b = AppendString(b, string(e.Type))
	b = appendOmitString(b, `,"from":`, e.From)
	b = appendOmitString(b, `,"to":`, e.To)
	b = append(b, `,"amount":`...)
	b = AppendNullDecimal(b, e.Amount)
	b = appendOmitString(b, `,"reason":`, e.Reason)
	b = appendOmitString(b, `,"account":`, e.Account)
	b = appendOmitString(b, `,"market":`, e.Market)
	b = appendOmitString(b, `,"side":`, string(e.Side))
	b = append(b, `,"size":`...)
	b = AppendNullDecimal(b, e.Size)
	b = append(b, `,"price":`...)
	b = AppendNullDecimal(b, e.Price)
	b = appendOmitString(b, `,"counterparty":`, e.Counterparty)
	b = appendOmitString(b, `,"kind":`, e.Kind)
	b = appendOmitString(b, `,"pool":`, string(e.Pool))
	return append(b, '}')
}

// AppendError appends e as json.Marshal(e) writes it (null for nil).
func AppendError(b []byte, e *spec.Error) []byte {
	if e == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"path":`...)
	b = AppendString(b, e.Path)
	b = append(b, `,"rule":`...)
	b = AppendString(b, e.Rule)
	b = append(b, `,"msg":`...)
	b = AppendString(b, e.Msg)
	return append(b, '}')
}
