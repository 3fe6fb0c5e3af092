package venue

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// Resolve returns a deep copy of s in which every market with Profile set is
// replaced by the profile's market for its Symbol, with the fields given beside
// the profile overriding the profile's values (SPEC PROF-1): a non-zero
// TickSize or LotSize, a non-empty MMBasis, Tiers or MarginModes, and any
// non-null switch (LiquidationFeeRate, FundingIntervalHours, MarkPriceBand,
// MakerFeeRate, TakerFeeRate, FundingRateCap, and any added later). Profile
// and Symbol are empty in the copy. Markets without Profile are copied as
// they are. s is never modified, and the copy shares no slice or map with s
// or with the profile registry.
//
// Markets are resolved in ascending byte order of name (EVAL-2), so the error
// is the first violation in that order. Errors are *spec.Error with Rule
// "PROF-1" and Path "markets.<name>.profile" (an unknown profile, or a Symbol
// given without a Profile) or "markets.<name>.symbol" (a missing symbol, or
// one the profile does not list).
//
// Resolve checks nothing else: overriding values and positions are left to
// the engine, so that the first error of the whole evaluation still follows
// EVAL-2. In particular an isolated position on a cross-only venue (PROF-3) is
// reported by the engine's POS-3 check; AnnotateError adds the venue's name to
// that error, and CheckMarginModes finds such positions up front.
func Resolve(s *spec.Scenario) (*spec.Scenario, error) {
	if s == nil {
		return nil, errAt("", "EVAL-1", "nil scenario")
	}
	out := s.Clone()
	for _, name := range slices.Sorted(maps.Keys(s.Markets)) {
		m := s.Markets[name]
		if m.Profile == "" {
			if m.Symbol != "" {
				return nil, errAt("markets."+spec.PathKey(name)+".profile", "PROF-1",
					"symbol %q is given without a profile (one of binance, bybit, okx, kucoin, bitstamp, coinbase, or a dated id)", m.Symbol)
			}
			continue
		}
		base, err := resolveMarket(name, m)
		if err != nil {
			return nil, err
		}
		out.Markets[name] = base
	}
	return out, nil
}

// resolveMarket returns the profile market named by m with m's non-zero fields
// overriding it.
func resolveMarket(name string, m spec.Market) (spec.Market, error) {
	p, err := findProfile(m.Profile)
	if err != nil {
		var me *spec.Error
		errors.As(err, &me)
		return spec.Market{}, errAt("markets."+spec.PathKey(name)+".profile", "PROF-1", "%s", me.Msg)
	}
	if m.Symbol == "" {
		return spec.Market{}, errAt("markets."+spec.PathKey(name)+".symbol", "PROF-1", "profile %s needs a symbol (%s)", p.ID, symbolHint(p))
	}
	pm, ok := p.Markets[m.Symbol]
	if !ok {
		return spec.Market{}, errAt("markets."+spec.PathKey(name)+".symbol", "PROF-1", "profile %s does not list symbol %q (%s)", p.ID, m.Symbol, symbolHint(p))
	}
	r := pm.Clone()
	overrideMarket(&r, m)
	r.Profile, r.Symbol = "", ""
	return r, nil
}

// CheckMarginModes reports the first position (in position order) that uses a
// margin mode ("cross" or "isolated") its profile market does not offer, as a
// *spec.Error with Path "account.positions[<i>].marginMode", Rule "POS-3"
// and a message naming the venue and the modes it offers (SPEC MKT-4,
// PROF-3). Only markets of s with Profile set are considered, with their
// MarginModes override if given; positions on unknown markets or profiles,
// and other modes, are left to Resolve and the engine. It returns nil when
// there is no such position.
//
// It is an up-front check for tools: in a full evaluation the engine reports
// POS-3 at its place in the EVAL-2 order (use AnnotateError on its error).
func CheckMarginModes(s *spec.Scenario) error {
	if s == nil {
		return nil
	}
	for i, pos := range s.Account.Positions {
		if pos.MarginMode != spec.Cross && pos.MarginMode != spec.Isolated {
			continue
		}
		m, ok := s.Markets[pos.Market]
		if !ok || m.Profile == "" {
			continue
		}
		r, err := resolveMarket(pos.Market, m)
		if err != nil {
			continue
		}
		if !offers(r.MarginModes, pos.MarginMode) {
			return errAt(fmt.Sprintf("account.positions[%d].marginMode", i), "POS-3", "%s", marginModeMsg(pos, m, r.MarginModes))
		}
	}
	return nil
}

// AnnotateError adds the venue to an engine's POS-3 error about a position on
// a profile market (SPEC MKT-4: "the message names the mode and, for a profile
// market, the venue"). s is the scenario as given, before Resolve. If err is
// a *spec.Error with Rule "POS-3" and Path "account.positions[<i>].marginMode"
// for a position whose market in s has a known Profile, AnnotateError returns
// a new *spec.Error with the same Path and Rule and a message naming the
// venue, the profile and the modes it offers; otherwise it returns err as is.
func AnnotateError(s *spec.Scenario, err error) error {
	var me *spec.Error
	if s == nil || !errors.As(err, &me) || me.Rule != "POS-3" {
		return err
	}
	const pre, post = "account.positions[", "].marginMode"
	if !strings.HasPrefix(me.Path, pre) || !strings.HasSuffix(me.Path, post) {
		return err
	}
	i, convErr := strconv.Atoi(me.Path[len(pre) : len(me.Path)-len(post)])
	if convErr != nil || i < 0 || i >= len(s.Account.Positions) {
		return err
	}
	pos := s.Account.Positions[i]
	m, ok := s.Markets[pos.Market]
	if !ok || m.Profile == "" {
		return err
	}
	r, rerr := resolveMarket(pos.Market, m)
	if rerr != nil {
		return err
	}
	return &spec.Error{Path: me.Path, Rule: me.Rule, Msg: me.Msg + " (" + marginModeMsg(pos, m, r.MarginModes) + ")"}
}

// marginModeMsg says which venue does not offer a position's margin mode.
func marginModeMsg(pos spec.Position, m spec.Market, modes []spec.MarginMode) string {
	venue, id := m.Profile, m.Profile
	if p, err := findProfile(m.Profile); err == nil {
		venue, id = venueDisplayName(p.Venue), p.ID
	}
	names := make([]string, len(modes))
	for i, md := range modes {
		names[i] = string(md)
	}
	offered := strings.Join(names, " and ")
	if len(modes) == 0 {
		offered = "cross and isolated"
	}
	return fmt.Sprintf("%s margin is not offered by %s (profile %s) on %s, which offers only %s margin",
		pos.MarginMode, venue, id, m.Symbol, offered)
}

// offers reports whether a market's marginModes allow mode (empty = both).
func offers(modes []spec.MarginMode, mode spec.MarginMode) bool {
	if len(modes) == 0 {
		return true
	}
	for _, m := range modes {
		if m == mode {
			return true
		}
	}
	return false
}

var (
	decimalType     = reflect.TypeOf(decimal.Decimal{})
	nullDecimalType = reflect.TypeOf(decimal.NullDecimal{})
)

// overrideMarket copies into r every field of m that PROF-1 counts as given:
// a non-zero decimal (tickSize, lotSize), a non-empty string (mmBasis) or
// list (tiers, marginModes), a non-null NullDecimal (every switch), and for
// any other type a non-zero value. Profile and Symbol are not copied. It goes
// over the fields by reflection so that switches added to spec.Market later
// are overridden too. The fields copied share no slice or map with m.
var variantsType = reflect.TypeOf(&spec.Variants{})

// mergeVariants returns a copy of base (a profile's variants, may be nil)
// with every non-empty key of over set.
func mergeVariants(base, over *spec.Variants) *spec.Variants {
	var out spec.Variants
	if base != nil {
		out = *base
	}
	for _, c := range spec.VariantChoices() {
		if over.Has(c.Key) {
			out.Set(c.Key, over.Get(c.Key))
		}
	}
	if over.LiquidatorShare.Valid {
		out.LiquidatorShare = over.LiquidatorShare
	}
	if over.FundingCapFactor.Valid {
		out.FundingCapFactor = over.FundingCapFactor
	}
	return &out
}

func overrideMarket(r *spec.Market, m spec.Market) {
	rv, mv := reflect.ValueOf(r).Elem(), reflect.ValueOf(m.Clone())
	for i := 0; i < mv.NumField(); i++ {
		name := mv.Type().Field(i).Name
		f := mv.Field(i)
		if name == "Profile" || name == "Symbol" || !rv.Field(i).CanSet() {
			continue
		}
		var given bool
		switch {
		case f.Type() == variantsType:
			// Each key given beside the profile overrides the profile's
			// (PROF-1); the others keep the profile's variants.
			if v := f.Interface().(*spec.Variants); v != nil {
				rv.Field(i).Set(reflect.ValueOf(mergeVariants(rv.Field(i).Interface().(*spec.Variants), v)))
			}
			continue
		case f.Type() == decimalType:
			given = !f.Interface().(decimal.Decimal).IsZero()
		case f.Type() == nullDecimalType:
			given = f.Interface().(decimal.NullDecimal).Valid
		case f.Kind() == reflect.Slice || f.Kind() == reflect.Map || f.Kind() == reflect.String:
			given = f.Len() > 0
		default:
			given = !f.IsZero()
		}
		if given {
			rv.Field(i).Set(f)
		}
	}
}
