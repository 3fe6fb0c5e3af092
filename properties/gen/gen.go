package gen

import (
	"maps"
	"slices"
	"sync"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// Config says which features generated inputs may use, and which oracle
// the generators consult. The zero value generates cross positions on
// mark-basis markets with given marks only, ledger runs without funding
// events and with deep insurance funds, and consults the reference
// (package reference).
type Config struct {
	Isolated     bool // isolated positions
	EntryBasis   bool // mmBasis "entry" markets
	ComputedMark bool // prices without a mark
	Funding      bool // funding events in ledger runs
	ADL          bool // insurance funds small enough for auto-deleveraging
	Portfolio    bool // portfolio-margin markets and settings in ledger states and runs (SPEC PM-14..18)

	// Variants lists, for each choice of SPEC VAR (by its key in
	// spec.Variants, e.g. "trigger"), the variant names a generated market
	// may select. A choice that is absent or empty keeps its default.
	Variants map[string][]string

	// ExplicitIMR lets generated tier tables give explicit initial margin
	// rates (initialMarginRate, SPEC TIER-5, QTY-4) one time in four.
	ExplicitIMR bool

	// LedgerExplicitIMR lets generated ledger markets give explicit
	// initial margin rates one time in two (LedgerState, SPEC TIER-5 in
	// the ledger: TRD-3, TRD-5, LED-9, POOL-6, FND-1).
	LedgerExplicitIMR bool

	// SizeGrid and PriceGrid, when positive, are the steps of the sizes and
	// prices an engine represents exactly (PROTOCOL.md PR-5's grid):
	// generated markets have lot sizes that are multiples of SizeGrid and
	// tick sizes that are multiples of PriceGrid, so that every size and
	// price drawn on them is on the engine's grid.
	SizeGrid, PriceGrid decimal.Decimal

	// MinPositions is the least number of positions of a generated scenario
	// (at most one per market, so at most three).
	MinPositions int
	// Mode, when set, is the margin mode of every generated position.
	Mode spec.MarginMode

	// Evaluate is the oracle's query, which NearLiquidation and the
	// near-liquidation price events consult for liquidation and bankruptcy
	// prices (nil: reference.Evaluate). Generators never call the engine
	// under test.
	Evaluate func(*spec.Scenario) (*spec.Report, error)
	// NewLedger is the oracle's ledger, with which LedgerRun tracks the
	// state its events meet (nil: reference.NewLedger).
	NewLedger func(*spec.State) (LedgerSession, error)
}

// LedgerSession is a session of the oracle's ledger (the method set of
// *reference.Ledger and of properties.LedgerSession): Apply applies one
// event, State returns a copy of the state.
type LedgerSession interface {
	Apply(ev spec.Event) ([]spec.Effect, error)
	State() *spec.State
}

// evaluate is c's oracle query.
func (c Config) evaluate(s *spec.Scenario) (*spec.Report, error) {
	if c.Evaluate != nil {
		return c.Evaluate(s)
	}
	return reference.Evaluate(s)
}

// newLedger is c's oracle ledger.
func (c Config) newLedger(st *spec.State) (LedgerSession, error) {
	if c.NewLedger != nil {
		return c.NewLedger(st)
	}
	l, err := reference.NewLedger(st)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// maxUnits is MAX of SPEC NUM-2 in units of 1e-8.
const maxUnits = int64(1<<63 - 1)

// units returns the decimal v * 1e-8.
func units(v int64) decimal.Decimal { return decimal.New(v, -8) }

// dec returns the decimal v * 10^exp.
func dec(v int64, exp int32) decimal.Decimal { return decimal.New(v, exp) }

// nd wraps a decimal as a present optional decimal.
func nd(x decimal.Decimal) decimal.NullDecimal { return decimal.NullDecimal{Decimal: x, Valid: true} }

// maxDecimal is MAX as a decimal.
var maxDecimal = units(maxUnits)

// edgeUnits generates fixed-point values (in units of 1e-8) at the edges of the NUM-2 range:
// 0, +-1 unit, +-MAX and near it, powers of two around 2^63 / 1e8 scale
// boundaries, and values whose products with small factors overflow int64.
func edgeUnits() *rapid.Generator[int64] {
	return rapid.Custom(func(t *rapid.T) int64 {
		base := rapid.SampledFrom([]int64{
			0, 1, 2, 99_999_999, 100_000_000, 100_000_001,
			maxUnits, maxUnits - 1, maxUnits / 2, maxUnits/2 + 1, maxUnits / 3,
			1 << 32, 1<<32 + 1, 3037000499, 3037000500, // sqrt(2^63) neighbourhood
			maxUnits / 100_000_000, maxUnits/100_000_000 + 1,
		}).Draw(t, "edge")
		delta := rapid.Int64Range(-3, 3).Draw(t, "delta")
		v := base + delta
		if v < 0 || v > maxUnits {
			v = base
		}
		if rapid.Bool().Draw(t, "negative") {
			v = -v
		}
		return v
	})
}

// TierTable generates a random valid tier table (SPEC TIER-1..6): one to five
// tiers with boundaries at a random magnitude, non-decreasing rates (zero
// allowed), non-increasing maximum leverage with MMR * maxLeverage <= 1, and
// now and then the maintenance amount given (equal to the recursion).
func TierTable() *rapid.Generator[[]spec.Tier] {
	return rapid.Custom(func(t *rapid.T) []spec.Tier {
		n := rapid.IntRange(1, 5).Draw(t, "tiers")
		exp := int32(rapid.IntRange(-2, 8).Draw(t, "boundaryExp"))
		lev := rapid.SampledFrom([]decimal.Decimal{
			dec(20, 0), dec(1, 0), dec(2, 0), dec(5, 0), dec(10, 0), dec(25, 0), dec(50, 0),
			dec(75, 0), dec(100, 0), dec(125, 0), dec(125, -1), dec(3333, -2),
		}).Draw(t, "maxLeverage1")
		mmr := units(rapid.SampledFrom([]int64{500_000, 0, 100_000, 400_000, 1_000_000, 2_500_000, 123_457}).Draw(t, "mmr1"))
		giveCum := rapid.IntRange(0, 2).Draw(t, "giveCum") == 0
		ts := make([]spec.Tier, n)
		min := decimal.Zero
		b := dec(rapid.Int64Range(1, 99).Draw(t, "firstBoundary"), exp)
		cum, prevMMR := decimal.Zero, decimal.Zero
		one := dec(1, 0)
		for i := range ts {
			if i > 0 {
				mmr = mmr.Add(units(rapid.SampledFrom([]int64{500_000, 0, 250_000, 1_000_000, 5_000_000, 12_345}).Draw(t, "mmrStep")))
				if mmr.GreaterThanOrEqual(dec(5, -1)) {
					mmr = dec(5, -1)
				}
				cum = cum.Add(min.Mul(mmr.Sub(prevMMR)))
				if rapid.Bool().Draw(t, "lowerLeverage") {
					lev = lev.Mul(dec(rapid.Int64Range(30, 99).Draw(t, "levFactor"), -2)).Truncate(int32(rapid.IntRange(0, 2).Draw(t, "levDigits")))
				}
			}
			if mmr.Sign() > 0 && lev.Mul(mmr).GreaterThan(one) {
				lev = one.Div(mmr).Truncate(0)
			}
			if lev.LessThan(one) {
				lev = one
			}
			max := b
			if i > 0 {
				max = min.Mul(dec(rapid.Int64Range(2, 10).Draw(t, "boundaryFactor"), 0))
			}
			if max.GreaterThan(maxDecimal) {
				max = maxDecimal
			}
			if !max.GreaterThan(min) { // the table hit MAX: stop here
				ts = ts[:i]
				break
			}
			ts[i] = spec.Tier{MinNotional: min, MaxNotional: max, MaintenanceMarginRate: mmr, MaxLeverage: lev}
			if giveCum && cum.Shift(8).IsInteger() {
				ts[i].MaintenanceAmount = nd(cum)
			}
			prevMMR = mmr
			min = max
		}
		return ts
	})
}

var (
	venueTablesOnce sync.Once
	venueTables     [][]spec.Tier
)

// shippedTables returns the distinct tier tables of the shipped venue
// profiles' markets that follow SPEC's default rulebook (a table read under
// another tier bound or schedule than its venue's is not the venue's), in a
// fixed order (by profile, then symbol).
func shippedTables() [][]spec.Tier {
	venueTablesOnce.Do(func() {
		seen := map[string]bool{}
		for _, p := range venue.Profiles() {
			for _, s := range slices.Sorted(maps.Keys(p.Markets)) {
				if !defaultRulebook(p.Markets[s].Variants) {
					continue
				}
				if p.Markets[s].PortfolioMargin != nil {
					continue // the PM profiles' markets: PMScenario's (SPEC PM)
				}
				ts := p.Markets[s].Tiers
				key := ""
				for _, x := range ts {
					key += x.MinNotional.String() + "/" + x.MaxNotional.String() + "/" + x.MaintenanceMarginRate.String() + "/" + x.MaxLeverage.String() + ";"
				}
				if !seen[key] && len(ts) > 0 {
					seen[key] = true
					venueTables = append(venueTables, ts)
				}
			}
		}
	})
	return venueTables
}

// VenueTierTable generates one of the real tier tables shipped in the venue
// profiles (all of Binance's October 2024 USDⓈ-M tables, KuCoin's and the
// seed-only ones), as a copy.
func VenueTierTable() *rapid.Generator[[]spec.Tier] {
	return rapid.Custom(func(t *rapid.T) []spec.Tier {
		tables := shippedTables()
		ts := tables[rapid.IntRange(0, len(tables)-1).Draw(t, "venueTable")]
		return append([]spec.Tier(nil), ts...)
	})
}

// AnyTierTable is TierTable or VenueTierTable.
func AnyTierTable() *rapid.Generator[[]spec.Tier] {
	return rapid.OneOf(TierTable(), TierTable(), VenueTierTable())
}

// HalfInitialTierTable is AnyTierTable made to fit TIER-3:half-initial
// (fitTiers): integer leverages from halfLeverages (so D divides 6000) and
// no given maintenanceAmount; one time in four the leverages are instead
// those of boundHalfLeverages, whose D is exactly 10^6, the largest SPEC
// allows.
func HalfInitialTierTable() *rapid.Generator[[]spec.Tier] {
	return rapid.Custom(func(t *rapid.T) []spec.Tier {
		m := spec.Market{Tiers: AnyTierTable().Draw(t, "tiers"), Variants: &spec.Variants{MaintenanceRate: spec.MaintenanceRateHalfInitial}}
		fitTiers(&m)
		if rapid.IntRange(0, 3).Draw(t, "boundD") == 0 {
			boundHalfLeverages(m.Tiers)
		}
		return m.Tiers
	})
}

// boundHalfLeverages gives tiers (fitted: no given maintenanceAmount)
// non-increasing integer leverages whose D = lcm(2 * maxLeverage) is exactly
// 10^6 = 2^6 * 5^6, SPEC TIER-3:half-initial's bound: one tier 500,000;
// several 15625 (2 * 5^6) first, 32 (2^6) last and 125 (2 * 5^3) between.
func boundHalfLeverages(tiers []spec.Tier) {
	last := len(tiers) - 1
	for i := range tiers {
		l := int64(125)
		switch {
		case last == 0:
			l = 500_000
		case i == 0:
			l = 15625
		case i == last:
			l = 32
		}
		tiers[i].MaxLeverage = dec(l, 0)
	}
}

var (
	venueMarketsOnce    sync.Once
	venueMarkets        []spec.Market
	venueDefaultMarkets []spec.Market // those that follow SPEC's default rulebook
)

// defaultRulebook reports whether v selects the default of every choice of
// SPEC VAR.
func defaultRulebook(v *spec.Variants) bool {
	if v == nil {
		return true
	}
	for _, ch := range spec.VariantChoices() {
		if n := v.Get(ch.Key); n != ch.Names[0] {
			return false
		}
	}
	return true
}

// allowsAll reports whether c allows every variant v selects.
func (c Config) allowsAll(v *spec.Variants) bool {
	if v == nil {
		return c.allowsDefaults()
	}
	for _, ch := range spec.VariantChoices() {
		if !slices.Contains(c.variantNames(ch), v.Get(ch.Key)) {
			return false
		}
	}
	return true
}

// VenueMarket generates one of the real markets of the shipped venue profiles
// (all Binance USDⓈ-M symbols of October 2024 with their tick and lot sizes
// where known, KuCoin, Bybit's BTCUSDT, and the seed-only Bybit, OKX,
// Bitstamp and Coinbase markets), as a copy: only markets whose variants
// (SPEC VAR) c allows. Without c.EntryBasis an entry-basis market (Bybit) is
// given the mark basis.
func VenueMarket(c Config) *rapid.Generator[spec.Market] {
	return rapid.Custom(func(t *rapid.T) spec.Market {
		venueMarketsOnce.Do(func() {
			for _, p := range venue.Profiles() {
				for _, sym := range slices.Sorted(maps.Keys(p.Markets)) {
					if p.Markets[sym].PortfolioMargin != nil {
						continue // the PM profiles' markets need CapPortfolio
					}
					venueMarkets = append(venueMarkets, p.Markets[sym])
					if defaultRulebook(p.Markets[sym].Variants) {
						venueDefaultMarkets = append(venueDefaultMarkets, p.Markets[sym])
					}
				}
			}
		})
		ms := venueDefaultMarkets // without variants: the same list, and stream, as before profiles selected any
		if c.anyVariant() {
			if ms = slices.DeleteFunc(slices.Clone(venueMarkets), func(m spec.Market) bool { return !c.allowsAll(m.Variants) }); len(ms) == 0 {
				ms = venueMarkets // none fits: allowedVariants below replaces what c does not allow
			}
		}
		m := ms[rapid.IntRange(0, len(ms)-1).Draw(t, "venueMarket")]
		m.Tiers = append([]spec.Tier(nil), m.Tiers...)
		m.MarginModes = append([]spec.MarginMode(nil), m.MarginModes...)
		if m.MMBasis == spec.BasisEntry && !c.EntryBasis {
			m.MMBasis = spec.BasisMark
		}
		if m.Variants != nil {
			v := *m.Variants
			m.Variants = &v
		}
		m.Variants = c.allowedVariants(t, m.Variants)
		fitTiers(&m)
		return m
	})
}

// Market generates a valid market (SPEC MKT): tick and lot sizes from 1e-8 up,
// a tier table (random or shipped), the MM basis and margin modes that c
// allows, and now and then a mark price band and a funding interval; one in
// five is a real venue market (VenueMarket).
func Market(c Config) *rapid.Generator[spec.Market] {
	return rapid.Custom(func(t *rapid.T) spec.Market {
		m := drawMarket(t, c)
		m.LotSize, m.TickSize = onGrid(m.LotSize, c.SizeGrid), onGrid(m.TickSize, c.PriceGrid)
		return m
	})
}

// onGrid returns the least positive multiple of step that is at least x
// (x when step is not positive).
func onGrid(x, step decimal.Decimal) decimal.Decimal {
	if step.Sign() <= 0 {
		return x
	}
	return decimal.Max(step, specutil.CeilGrid(x, step))
}

// drawMarket is Market's draw before the grid (no draw of its own, so that
// the draws of every seed stay those they were).
func drawMarket(t *rapid.T, c Config) spec.Market {
	if rapid.IntRange(0, 4).Draw(t, "realMarket") == 0 {
		return VenueMarket(c).Draw(t, "venue")
	}
	m := spec.Market{
		TickSize: dec(rapid.SampledFrom([]int64{1, 5, 25, 1, 2}).Draw(t, "tickDigits"), int32(rapid.IntRange(-8, 1).Draw(t, "tickExp"))),
		LotSize:  dec(rapid.SampledFrom([]int64{1, 1, 2, 5, 10}).Draw(t, "lotDigits"), int32(rapid.IntRange(-8, 1).Draw(t, "lotExp"))),
		Tiers:    AnyTierTable().Draw(t, "tiers"),
	}
	if c.EntryBasis && rapid.IntRange(0, 3).Draw(t, "entryBasis") == 0 {
		m.MMBasis = spec.BasisEntry
	} else if rapid.Bool().Draw(t, "explicitMark") {
		m.MMBasis = spec.BasisMark
	}
	if c.Isolated && rapid.IntRange(0, 5).Draw(t, "restrictModes") == 0 {
		m.MarginModes = []spec.MarginMode{rapid.SampledFrom([]spec.MarginMode{spec.Cross, spec.Isolated}).Draw(t, "onlyMode")}
	} else if !c.Isolated && rapid.IntRange(0, 5).Draw(t, "crossOnly") == 0 {
		m.MarginModes = []spec.MarginMode{spec.Cross}
	}
	if rapid.IntRange(0, 3).Draw(t, "band") == 0 {
		m.MarkPriceBand = nd(units(rapid.SampledFrom([]int64{1_000_000, 100_000, 5_000_000, 50_000_000, 1}).Draw(t, "markPriceBand")))
	}
	if rapid.IntRange(0, 4).Draw(t, "interval") == 0 {
		m.FundingIntervalHours = nd(dec(rapid.SampledFrom([]int64{8, 1, 4, 3}).Draw(t, "fundingIntervalHours"), 0))
	}
	if c.anyVariant() { // no draw at all otherwise: default streams stay as they were
		m.Variants = Variants(c).Draw(t, "variants")
	}
	if m.Variants != nil && m.Variants.CloseFee == spec.CloseFeeTaker {
		// QTY-5:taker uses the taker fee; keep MMR_t + fee < 1.
		m.TakerFeeRate = nd(units(rapid.SampledFrom([]int64{60_000, 0, 50_000, 100_000, 1}).Draw(t, "takerFeeRate")))
	}
	fitTiers(&m)
	if c.ExplicitIMR && rapid.IntRange(0, 3).Draw(t, "explicitIMR") == 0 { // no draw otherwise
		k := rapid.IntRange(0, 4).Draw(t, "imrPosition")
		if m.Variants == nil || m.Variants.MaintenanceRate != spec.MaintenanceRateHalfInitial { // TIER-3
			m.Tiers = WithExplicitIMR(m.Tiers, k)
		}
	}
	if rapid.IntRange(0, 4).Draw(t, "liquidationFee") == 0 {
		// MKT-5's [0, 1) at its included end (0) now and then.
		m.LiquidationFeeRate = nd(units(rapid.SampledFrom([]int64{0, 500_000, 1_250_000}).Draw(t, "liquidationFeeRate")))
	}
	return m
}

// WithExplicitIMR returns a copy of ts whose tiers give explicit initial
// margin rates (SPEC TIER-1, TIER-5) at position k of 0..4 between each
// tier's bounds lo_t = max(MMR_t, IMR_(t-1)) and hi_t = 1/maxLeverage_t
// rounded down to 1e-8 (0: lo_t, 4: hi_t, the rate of the displayed
// leverage; floored to the grid, at least 1e-8): 0 < IMR_t <= 1,
// non-decreasing (hi_t is, by TIER-4), MMR_t <= IMR_t, IMR_t *
// maxLeverage_t <= 1. Under TIER-3:half-initial, or when some hi_t is 0 or
// some maxLeverage_t is not positive, it returns ts unchanged. It draws nothing.
func WithExplicitIMR(ts []spec.Tier, k int) []spec.Tier {
	out := append([]spec.Tier(nil), ts...)
	prev := decimal.Zero
	u := units(1)
	for i := range out {
		tr := &out[i]
		if !tr.MaxLeverage.IsPositive() { // an invalid table (fuzz decodes them): TIER-4's error stays
			return ts
		}
		hi := specutil.FloorGrid(decimal.NewFromInt(1).DivRound(tr.MaxLeverage, 16), u)
		for hi.Mul(tr.MaxLeverage).GreaterThan(decimal.NewFromInt(1)) {
			hi = hi.Sub(u) // DivRound may round up
		}
		lo := decimal.Max(tr.MaintenanceMarginRate, prev, u)
		if hi.LessThan(lo) {
			return ts
		}
		r := specutil.FloorGrid(lo.Add(hi.Sub(lo).Mul(decimal.NewFromInt(int64(k))).Div(decimal.NewFromInt(4))), u)
		r = decimal.Max(lo, decimal.Min(hi, r))
		tr.InitialMarginRate = &r
		prev = r
	}
	return out
}

// Variants generates a market's variants (SPEC VAR) from c.Variants: for
// each choice one of the names c allows, uniformly (so each variant of a
// choice with two names is drawn about every other market), with the
// liquidatorShare and fundingCapFactor the drawn variants need; nil (every
// default) one time in four when c allows every default.
func Variants(c Config) *rapid.Generator[*spec.Variants] {
	return rapid.Custom(func(t *rapid.T) *spec.Variants {
		if !c.anyVariant() {
			return nil // the default rulebook only: draw nothing
		}
		if c.allowsDefaults() && rapid.IntRange(0, 3).Draw(t, "noVariants") == 0 {
			return nil
		}
		v := &spec.Variants{}
		for _, ch := range spec.VariantChoices() {
			names := c.variantNames(ch)
			name := names[rapid.IntRange(0, len(names)-1).Draw(t, ch.Key)]
			if name != ch.Names[0] || rapid.Bool().Draw(t, ch.Key+"Explicit") {
				v.Set(ch.Key, name)
			}
		}
		fillVariantParams(t, v)
		return v
	})
}

// variantNames returns the names of choice ch that c allows (the default
// only when c names none).
func (c Config) variantNames(ch spec.VariantChoice) []string {
	var out []string
	for _, n := range c.Variants[ch.Key] {
		if slices.Contains(ch.Names, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		out = ch.Names[:1]
	}
	return out
}

// anyVariant reports whether c allows a variant other than a default.
func (c Config) anyVariant() bool {
	for _, ch := range spec.VariantChoices() {
		for _, n := range c.variantNames(ch) {
			if n != ch.Names[0] {
				return true
			}
		}
	}
	return false
}

// allowsDefaults reports whether c allows the default of every choice.
func (c Config) allowsDefaults() bool {
	for _, ch := range spec.VariantChoices() {
		if !slices.Contains(c.variantNames(ch), ch.Names[0]) {
			return false
		}
	}
	return true
}

// allowedVariants returns v (a venue profile's variants, owned by the
// caller) with every name c does not allow replaced by one it does.
func (c Config) allowedVariants(t *rapid.T, v *spec.Variants) *spec.Variants {
	if v == nil && c.allowsDefaults() {
		return nil
	}
	if v == nil {
		v = &spec.Variants{}
	}
	for _, ch := range spec.VariantChoices() {
		names := c.variantNames(ch)
		if !slices.Contains(names, v.Get(ch.Key)) {
			v.Set(ch.Key, names[rapid.IntRange(0, len(names)-1).Draw(t, ch.Key+"Allowed")])
		}
	}
	v.LiquidatorShare, v.FundingCapFactor = decimal.NullDecimal{}, decimal.NullDecimal{}
	fillVariantParams(t, v)
	return v
}

// fillVariantParams draws the parameters VAR-1 requires of v's variants.
func fillVariantParams(t *rapid.T, v *spec.Variants) {
	if v.IsolatedLeftover == spec.LeftoverLiquidatorSplit && !v.LiquidatorShare.Valid {
		v.LiquidatorShare = nd(units(rapid.SampledFrom([]int64{50_000_000, 0, 100_000_000, 25_000_000, 1}).Draw(t, "liquidatorShare")))
	}
	if v.FundingCap == spec.FundingCapMarginLinked && !v.FundingCapFactor.Valid {
		v.FundingCapFactor = nd(units(rapid.SampledFrom([]int64{100_000_000, 50_000_000, 300_000_000, 75_000_000}).Draw(t, "fundingCapFactor")))
	}
}

// fitTiers makes m's tier table fit its variants: under TIER-8:flat a
// given maintenanceAmount must be 0 (TIER-6), so given ones become 0; under
// TIER-3:half-initial every maxLeverage becomes the largest of
// halfLeverages not above it (an integer, still non-increasing, and every
// scenario's D = lcm(2 * maxLeverage) divides 6000 <= 10^6), and a given
// maintenanceAmount of the progressive schedule is dropped (the deduction
// c_t/D is rarely on the 1e-8 grid). It draws nothing.
func fitTiers(m *spec.Market) {
	if m.Variants == nil {
		return
	}
	flat := m.Variants.TierSchedule == spec.TierScheduleFlat
	half := m.Variants.MaintenanceRate == spec.MaintenanceRateHalfInitial
	if !flat && !half {
		return
	}
	m.Tiers = append([]spec.Tier(nil), m.Tiers...)
	for i := range m.Tiers {
		tr := &m.Tiers[i]
		if flat && tr.MaintenanceAmount.Valid {
			tr.MaintenanceAmount = nd(decimal.Zero)
		}
		if half {
			tr.MaxLeverage = halfLeverage(tr.MaxLeverage)
			if !flat {
				tr.MaintenanceAmount = decimal.NullDecimal{}
			}
		}
	}
}

// halfLeverages are the maxLeverage values of generated TIER-3:half-initial
// tables (Hyperliquid's 3, 5, 10, 20, 25, 40, 50 among them): lcm of 2L over
// all of them = 2^4 * 3 * 5^3 = 6000.
var halfLeverages = []int64{125, 100, 75, 50, 40, 25, 20, 15, 12, 10, 8, 5, 4, 3, 2, 1}

// halfLeverage is the largest of halfLeverages not above l (l itself when l
// < 1: TIER-4 rejects it).
func halfLeverage(l decimal.Decimal) decimal.Decimal {
	for _, h := range halfLeverages {
		if hd := dec(h, 0); !hd.GreaterThan(l) {
			return hd
		}
	}
	return l
}

// shareTrigger sets the trigger of every market of ms to that of the
// first (ascending byte order of name): VAR-1 wants one trigger per
// scenario.
func shareTrigger(ms map[string]spec.Market) {
	names := slices.Sorted(maps.Keys(ms))
	if len(names) < 2 {
		return
	}
	first := ms[names[0]]
	want := ""
	if first.Variants != nil {
		want = first.Variants.Trigger
	}
	for _, name := range names[1:] {
		m := ms[name]
		if m.Variants == nil && want == "" {
			continue
		}
		var v spec.Variants
		if m.Variants != nil {
			v = *m.Variants
		}
		v.Trigger = want
		m.Variants = &v
		ms[name] = m
	}
}

// Price generates the prices of a market around ref (> 0): a given mark, or
// (when c allows) index, last far from or near the index, a funding rate,
// the time to funding and a basis average, with no mark.
func Price(c Config, ref decimal.Decimal) *rapid.Generator[spec.Price] {
	return rapid.Custom(func(t *rapid.T) spec.Price {
		if k := rapid.IntRange(0, 3).Draw(t, "computed"); !c.ComputedMark || k != 0 {
			return spec.Price{Mark: nd(ref)}
		}
		last := ref.Mul(dec(rapid.SampledFrom([]int64{100, 99, 101, 50, 200, 1, 10_000, 120, 80}).Draw(t, "lastPct"), -2)).Truncate(8)
		if last.Sign() <= 0 {
			last = units(1)
		}
		if last.GreaterThan(maxDecimal) {
			last = maxDecimal
		}
		p := spec.Price{Index: nd(ref), Last: nd(last)}
		if rapid.Bool().Draw(t, "funding") {
			p.FundingRate = nd(units(rapid.Int64Range(-1_000_000, 1_000_000).Draw(t, "fundingRate")))
			p.SecondsToFunding = nd(dec(rapid.Int64Range(0, 28_800).Draw(t, "secondsToFunding"), 0))
		}
		if rapid.Bool().Draw(t, "basis") {
			p.BasisAverage = nd(ref.Mul(dec(rapid.SampledFrom([]int64{20, -20, 1, -1, 200, -200, 0, 3333}).Draw(t, "basisBp"), -4)).Truncate(8))
		}
		return p
	})
}

// markPrice draws a positive price on the 1e-8 grid between 1e-6 and 1e8.
func markPrice(t *rapid.T, label string) decimal.Decimal {
	return dec(rapid.Int64Range(1, 999_999).Draw(t, label+"Digits"), int32(rapid.SampledFrom([]int{-2, -4, -1, 0, 1, 2, -6, 3}).Draw(t, label+"Exp")))
}

// scenarioOpts tune the scenario generator.
type scenarioOpts struct {
	minPositions int
	mode         spec.MarginMode // force every position to this mode
	edge         bool            // push magnitudes to the NUM-2 edges
}

// atLeastOne are c's scenario options with at least one position.
func (c Config) atLeastOne() scenarioOpts {
	o := c.opts()
	o.minPositions = max(o.minPositions, 1)
	return o
}

// opts are the scenario options of c.
func (c Config) opts() scenarioOpts { return scenarioOpts{minPositions: c.MinPositions, mode: c.Mode} }

// Scenario generates a valid scenario (SPEC EVAL-2 steps 1-3 pass): one to
// three markets, given or computed marks, a wallet and up to one position per
// market, cross or isolated, with sizes whose notionals land around the tier
// boundaries, entries near and far from the mark, chosen or default leverage
// (often the market's maximum, so that higher tiers cap it), given or default
// isolated margins, and now and then an entryValue instead of an entryPrice.
// Reported values may still exceed MAX (a NUM-2 error).
func Scenario(c Config) *rapid.Generator[*spec.Scenario] {
	return scenarioGen(c, c.opts())
}

// EdgeScenario is Scenario with magnitudes pushed to the edges of the
// fixed-point range: wallets and margins near MAX, notionals and unrealized
// PnL around MAX, so that reported values overflow (NUM-2) or just fit.
func EdgeScenario(c Config) *rapid.Generator[*spec.Scenario] {
	o := c.opts()
	o.edge, o.minPositions = true, max(o.minPositions, 1)
	return scenarioGen(c, o)
}

func scenarioGen(c Config, o scenarioOpts) *rapid.Generator[*spec.Scenario] {
	return rapid.Custom(func(t *rapid.T) *spec.Scenario {
		names := []string{"AAA", "BBB", "CCC"}[:rapid.IntRange(1, 3).Draw(t, "markets")]
		s := &spec.Scenario{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{}}
		refs := map[string]decimal.Decimal{}
		for _, name := range names {
			m := Market(c).Draw(t, name)
			ref := markPrice(t, name+"Mark")
			s.Markets[name] = m
			s.Prices[name] = Price(c, ref).Draw(t, name+"Prices")
			refs[name] = ref
		}
		shareTrigger(s.Markets)
		s.Account = accountGen(c, o, s.Markets, refs).Draw(t, "account")
		return s
	})
}

// Account generates a valid account on the given markets, whose marks are
// about refs (the mark, or the index when the mark is computed): a wallet and
// up to one position per market, cross or isolated (as c allows and the
// market offers), long or short, sized around the tier boundaries, with
// entries near and far from the mark, chosen or default leverage and given or
// default isolated margins.
func Account(c Config, markets map[string]spec.Market, refs map[string]decimal.Decimal) *rapid.Generator[spec.Account] {
	return accountGen(c, c.opts(), markets, refs)
}

func accountGen(c Config, o scenarioOpts, markets map[string]spec.Market, refs map[string]decimal.Decimal) *rapid.Generator[spec.Account] {
	names := slices.Sorted(maps.Keys(markets))
	return rapid.Custom(func(t *rapid.T) spec.Account {
		var a spec.Account
		np := rapid.IntRange(min(max(o.minPositions, 0), len(names)), len(names)).Draw(t, "positions")
		order := rapid.Permutation(names).Draw(t, "positionOrder")[:np]
		walletScale := decimal.Zero
		for _, name := range order {
			p := position(t, c, o, name, markets[name], refs[name])
			a.Positions = append(a.Positions, p)
			walletScale = walletScale.Add(p.Size.Mul(refs[name]))
		}
		switch rapid.IntRange(0, 4).Draw(t, "walletKind") {
		case 0:
			a.WalletBalance = decimal.Zero
		case 1:
			a.WalletBalance = units(rapid.Int64Range(0, 1_000_000_000_000).Draw(t, "wallet"))
		default:
			a.WalletBalance = walletScale.Mul(dec(rapid.Int64Range(0, 300).Draw(t, "walletPct"), -2)).Truncate(8)
		}
		if o.edge && rapid.Bool().Draw(t, "edgeWallet") {
			a.WalletBalance = edgeNonNegative(t, "edgeWalletValue")
		}
		if a.WalletBalance.GreaterThan(maxDecimal) {
			a.WalletBalance = maxDecimal
		}
		return a
	})
}

// edgeNonNegative draws |edgeUnits| as a decimal.
func edgeNonNegative(t *rapid.T, label string) decimal.Decimal {
	v := edgeUnits().Draw(t, label)
	if v < 0 {
		v = -v
	}
	return units(v)
}

// position draws one valid position in market name (mark about ref).
func position(t *rapid.T, c Config, o scenarioOpts, name string, m spec.Market, ref decimal.Decimal) spec.Position {
	p := spec.Position{Market: name, Side: rapid.SampledFrom([]spec.Side{spec.Long, spec.Short}).Draw(t, name+"Side")}
	// Mode.
	p.MarginMode = spec.Cross
	if c.Isolated && rapid.Bool().Draw(t, name+"Isolated") {
		p.MarginMode = spec.Isolated
	}
	if o.mode != "" {
		p.MarginMode = o.mode
	}
	if len(m.MarginModes) == 1 {
		p.MarginMode = m.MarginModes[0]
	}
	// Size: a notional around a tier boundary, or a few lots.
	var target decimal.Decimal
	switch k := rapid.IntRange(0, 3).Draw(t, name+"SizeKind"); {
	case k == 0 || len(m.Tiers) == 1:
		target = m.Tiers[0].MaxNotional.Mul(dec(rapid.Int64Range(1, 150).Draw(t, name+"NotionalPct"), -2))
	default:
		b := m.Tiers[rapid.IntRange(1, len(m.Tiers)-1).Draw(t, name+"Boundary")].MinNotional
		target = b.Mul(dec(rapid.Int64Range(50, 200).Draw(t, name+"NotionalPct"), -2))
	}
	if o.edge && rapid.Bool().Draw(t, name+"EdgeNotional") {
		target = maxDecimal.Mul(dec(rapid.Int64Range(50, 200).Draw(t, name+"EdgePct"), -2))
	}
	if limit := dec(1, 10); !o.edge && target.GreaterThan(limit) {
		target = limit
	}
	lots := specutil.FloorGrid(target.Div(ref), m.LotSize)
	if rapid.IntRange(0, 3).Draw(t, name+"FewLots") == 0 || lots.Sign() <= 0 {
		lots = m.LotSize.Mul(dec(rapid.Int64Range(1, 1000).Draw(t, name+"Lots"), 0))
	}
	if lots.GreaterThan(maxDecimal) {
		lots = specutil.FloorGrid(maxDecimal, m.LotSize)
	}
	p.Size = lots
	// Entry price: equal to, near or far from the mark.
	switch rapid.IntRange(0, 3).Draw(t, name+"EntryKind") {
	case 0:
		p.EntryPrice = ref
	case 1:
		p.EntryPrice = ref.Mul(dec(rapid.Int64Range(9_000, 11_000).Draw(t, name+"EntryBp"), -4)).Truncate(8)
	default:
		p.EntryPrice = ref.Mul(dec(rapid.SampledFrom([]int64{1, 10, 50, 200, 1000, 10_000, 150, 70}).Draw(t, name+"EntryPct"), -2)).Truncate(8)
	}
	if o.edge && rapid.Bool().Draw(t, name+"EdgeEntry") {
		p.EntryPrice = maxDecimal.Div(p.Size).Truncate(8).Mul(dec(rapid.Int64Range(1, 100).Draw(t, name+"EdgeEntryPct"), -2)).Truncate(8)
	}
	if p.EntryPrice.Sign() <= 0 {
		p.EntryPrice = units(1)
	}
	if p.EntryPrice.GreaterThan(maxDecimal) {
		p.EntryPrice = maxDecimal
	}
	// Leverage.
	maxLev := m.Tiers[0].MaxLeverage
	switch rapid.IntRange(0, 3).Draw(t, name+"LeverageKind") {
	case 0: // absent: the POS-4 default
	case 1:
		p.Leverage = nd(maxLev)
	default:
		l := dec(1, 0).Add(maxLev.Sub(dec(1, 0)).Mul(dec(rapid.Int64Range(0, 100).Draw(t, name+"LeveragePct"), -2))).Truncate(int32(rapid.SampledFrom([]int{0, 1, 8}).Draw(t, name+"LeverageDigits")))
		p.Leverage = nd(l)
	}
	// Isolated margin.
	if p.MarginMode == spec.Isolated && rapid.Bool().Draw(t, name+"GiveMargin") {
		mg := p.Size.Mul(p.EntryPrice).Mul(dec(rapid.SampledFrom([]int64{10, 1, 5, 50, 100, 200, 0}).Draw(t, name+"MarginPct"), -2)).Truncate(8)
		if o.edge && rapid.Bool().Draw(t, name+"EdgeMargin") {
			mg = edgeNonNegative(t, name+"EdgeMarginValue")
		}
		if mg.GreaterThan(maxDecimal) {
			mg = maxDecimal
		}
		p.IsolatedMargin = nd(mg)
	}
	// Entry value (a cost basis whose average price may be off the grid).
	if rapid.IntRange(0, 7).Draw(t, name+"EntryValue") == 0 {
		v := p.Size.Mul(p.EntryPrice).Truncate(8).Add(units(rapid.Int64Range(0, 999).Draw(t, name+"EntryValueExtra")))
		if v.Sign() > 0 && !v.GreaterThan(maxDecimal) {
			p.EntryValue = nd(v)
			p.EntryPrice = decimal.Zero
		}
	}
	return p
}
