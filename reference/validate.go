package reference

import (
	"fmt"
	"maps"
	"slices"

	"github.com/cockroachdb/apd/v3"
	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// This file is EVAL-2 steps 1 to 3: the validation of the input, in exactly
// the order SPEC lists, returning the first violation with the paths of
// EVAL-3. It also converts the input to exact apd decimals and fills in the
// defaults SPEC gives (mmBasis, marginModes, switches, leverage, isolated
// margin).

// market is a validated market (MKT, TIER).
type market struct {
	name      string
	tick      *apd.Decimal // tickSize k
	lot       *apd.Decimal // lotSize
	basis     spec.MMBasis
	tiers     []tier
	modes     map[spec.MarginMode]bool // MKT-4, both when absent
	feeRate   *apd.Decimal             // liquidationFeeRate, 0 when absent (unused by RPT)
	fundingH  *apd.Decimal             // fundingIntervalHours H, 8 when absent
	priceBand *apd.Decimal             // markPriceBand b, nil when absent
	takerFee  *apd.Decimal             // takerFeeRate, 0 when absent (QTY-5:taker, TRD-4)
	variants  spec.Variants            // VAR: the selected variants, defaults filled in
	mut       mutant                   // a deliberate bug (mutant.go); empty for Evaluate
	pm        *pmMarket                // MKT-6 and PM-1 (pm.go)
}

// maxLeverage1 is maxLeverage_1, the market's maximum leverage (POS-4).
func (m *market) maxLeverage1() *apd.Decimal { return m.tiers[0].maxLev }

// price is a validated price entry with its mark (MARK-1..4).
type price struct {
	mark     *apd.Decimal
	computed bool
}

// position is a validated position (POS-1..6) with its defaults filled in.
type position struct {
	index int
	mkt   *market
	side  spec.Side
	s     int          // side sign, +1 long, -1 short
	q     *apd.Decimal // size Q
	// qep is the entry notional Q*EP, exact: size * entryPrice, or the given
	// entryValue V (= size * entryPrice exactly, LED-1). Every SPEC formula
	// uses EP only in the product Q*EP (QTY-2: s*Q*(MP-EP) = s*(Q*MP - Q*EP);
	// QTY-5, POS-5, LIQ-1..4, BKR-1), so an entry price off the 1e-8 grid
	// (V/Q) needs no rounding.
	qep      *apd.Decimal
	mp       *apd.Decimal // mark price MP of its market
	mode     spec.MarginMode
	leverage *apd.Decimal // chosen leverage, or the POS-4 default
	margin   *apd.Decimal // isolated margin M (given or POS-5 default); nil for cross
}

// input is a validated scenario.
type input struct {
	markets   map[string]*market
	prices    map[string]*price
	wallet    *apd.Decimal
	positions []*position
	atEq      bool   // POOL-5:at-equality, the trigger of every market (VAR-1)
	mut       mutant // a deliberate bug (mutant.go); empty for Evaluate
}

// fail returns the error at path for rule; a %q argument is quoted and cut
// by spec.Errorf (SPEC EVAL-4).
func fail(path, rule, format string, args ...any) *spec.Error {
	return spec.Errorf(path, rule, format, args...)
}

// num applies the NUM checks of an input field, NUM-1 then NUM-2, and returns
// its exact value.
func num(d decimal.Decimal, path string) (*apd.Decimal, *spec.Error) {
	x, st := fromInput(d)
	switch st {
	case inputOffGrid:
		return nil, fail(path, "NUM-1", "%s has a non-zero digit beyond the 8th fractional digit", inputText(d))
	case inputOutOfRange:
		return nil, fail(path, "NUM-2", "%s is outside [-MAX, MAX], MAX = 92233720368.54775807", inputText(d))
	}
	return x, nil
}

// numNull is num for an optional field; it returns nil when the field is absent.
func numNull(d decimal.NullDecimal, path string) (*apd.Decimal, *spec.Error) {
	if !d.Valid {
		return nil, nil
	}
	return num(d.Decimal, path)
}

// validateLedger runs EVAL-2 steps 1 (markets), 2 (prices) and 3 (account)
// for NewLedger (every variant of the queries included: TIER-3:half-initial
// and explicit initial margin rates, SPEC TIER-3, TIER-5).
func validateLedger(s *spec.Scenario) (*input, *spec.Error) {
	return validateWith(s, noMutation)
}

// validateMut is validate with the mutation of evaluateWith (mutant.go).
func validateMut(s *spec.Scenario, mut mutant) (*input, *spec.Error) {
	return validateWith(s, mut)
}

// validateWith is validate with the mutation mut.
func validateWith(s *spec.Scenario, mut mutant) (*input, *spec.Error) {
	in := &input{markets: map[string]*market{}, prices: map[string]*price{}, mut: mut}
	// Step 1: markets, in ascending byte order of name.
	var first *market
	var levs []*apd.Decimal // TIER-3:half-initial: every half-initial leverage so far
	for _, name := range slices.Sorted(maps.Keys(s.Markets)) {
		m, err := validateMarket(name, s.Markets[name], first, &levs)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = m
			in.atEq = m.variants.Trigger == spec.TriggerAtEquality
		}
		m.mut = mut
		in.markets[name] = m
	}
	mut.wrongVariant(in)
	// Step 2: prices, in ascending byte order of name.
	for _, name := range slices.Sorted(maps.Keys(s.Prices)) {
		p, err := validatePrice(name, s.Prices[name], in.markets)
		if err != nil {
			return nil, err
		}
		in.prices[name] = p
	}
	// Step 3: the account.
	if err := validateAccount(&s.Account, in); err != nil {
		return nil, err
	}
	return in, nil
}

// validateMarket is EVAL-2 step 1 for one market: PROF-1, tickSize, lotSize
// (NUM, MKT-1), mmBasis (MKT-3), marginModes (MKT-4), liquidationFeeRate,
// fundingIntervalHours, markPriceBand, makerFeeRate, takerFeeRate,
// fundingRateCap (NUM, MKT-5), the variants (VAR-1), then the tiers.
//
// first is the first market of the scenario (nil for the first one): VAR-1
// wants every market's trigger to be first's. all collects the
// maxLeverage of every half-initial tier of the scenario so far (SPEC
// TIER-3's D is their lcm; nil: this market's only).
func validateMarket(name string, m spec.Market, first *market, all *[]*apd.Decimal) (*market, *spec.Error) {
	p := "markets." + spec.PathKey(name)
	out := &market{name: name}

	// PROF-1: profiles are resolved by the venue package before evaluation.
	if m.Profile != "" {
		return nil, fail(p+".profile", "PROF-1", "profile market not resolved; call venue.Resolve first")
	}

	// MKT-1: tickSize > 0 and lotSize > 0 (an absent one is 0 and breaks MKT-1).
	var err *spec.Error
	if out.tick, err = num(m.TickSize, p+".tickSize"); err != nil {
		return nil, err
	}
	if out.tick.Sign() <= 0 {
		return nil, fail(p+".tickSize", "MKT-1", "tickSize must be > 0, got %s", str(out.tick))
	}
	if out.lot, err = num(m.LotSize, p+".lotSize"); err != nil {
		return nil, err
	}
	if out.lot.Sign() <= 0 {
		return nil, fail(p+".lotSize", "MKT-1", "lotSize must be > 0, got %s", str(out.lot))
	}

	// MKT-3: mmBasis is "mark" (default when absent) or "entry".
	switch m.MMBasis {
	case "", spec.BasisMark:
		out.basis = spec.BasisMark
	case spec.BasisEntry:
		out.basis = spec.BasisEntry
	default:
		return nil, fail(p+".mmBasis", "MKT-3", "mmBasis must be \"mark\" or \"entry\", got %q", string(m.MMBasis))
	}

	// MKT-4: marginModes is absent (both) or a non-empty list of distinct
	// values from {cross, isolated}. Go cannot tell an empty list from an
	// absent one; spec.Market documents "empty means both".
	// Ambiguity: SPEC names no element path; the field path is used.
	out.modes = map[spec.MarginMode]bool{}
	if len(m.MarginModes) == 0 {
		out.modes[spec.Cross] = true
		out.modes[spec.Isolated] = true
	}
	for _, mode := range m.MarginModes {
		if mode != spec.Cross && mode != spec.Isolated && mode != spec.Portfolio {
			return nil, fail(p+".marginModes", "MKT-4", "unknown margin mode %q (want \"cross\", \"isolated\" or \"portfolio\")", string(mode))
		}
		if out.modes[mode] {
			return nil, fail(p+".marginModes", "MKT-4", "margin mode %q listed twice", string(mode))
		}
		out.modes[mode] = true
	}

	// MKT-5: liquidationFeeRate in [0, 1) (absent: 0).
	if out.feeRate, err = numNull(m.LiquidationFeeRate, p+".liquidationFeeRate"); err != nil {
		return nil, err
	}
	if out.feeRate == nil {
		out.feeRate = dec(0)
	} else if out.feeRate.Sign() < 0 || out.feeRate.Cmp(dec(1)) >= 0 {
		return nil, fail(p+".liquidationFeeRate", "MKT-5", "liquidationFeeRate must be in [0, 1), got %s", str(out.feeRate))
	}
	// MKT-5: fundingIntervalHours > 0 (absent: 8).
	if out.fundingH, err = numNull(m.FundingIntervalHours, p+".fundingIntervalHours"); err != nil {
		return nil, err
	}
	if out.fundingH == nil {
		out.fundingH = dec(8)
	} else if out.fundingH.Sign() <= 0 {
		return nil, fail(p+".fundingIntervalHours", "MKT-5", "fundingIntervalHours must be > 0, got %s", str(out.fundingH))
	}
	// MKT-5: markPriceBand in (0, 1) (absent: no clamp).
	if out.priceBand, err = numNull(m.MarkPriceBand, p+".markPriceBand"); err != nil {
		return nil, err
	}
	if out.priceBand != nil && (out.priceBand.Sign() <= 0 || out.priceBand.Cmp(dec(1)) >= 0) {
		return nil, fail(p+".markPriceBand", "MKT-5", "markPriceBand must be in (0, 1), got %s", str(out.priceBand))
	}

	// MKT-5: makerFeeRate and takerFeeRate in [0, 1) (absent: 0; TRD-4, not
	// used by the report); fundingRateCap in (0, 1) (absent: no cap; FND-1,
	// not used by the report).
	for _, f := range []struct {
		name string
		v    decimal.NullDecimal
	}{{"makerFeeRate", m.MakerFeeRate}, {"takerFeeRate", m.TakerFeeRate}} {
		rate, err := numNull(f.v, p+"."+f.name)
		if err != nil {
			return nil, err
		}
		if rate != nil && (rate.Sign() < 0 || rate.Cmp(dec(1)) >= 0) {
			return nil, fail(p+"."+f.name, "MKT-5", "%s must be in [0, 1), got %s", f.name, str(rate))
		}
		if f.name == "takerFeeRate" {
			out.takerFee = rate
			if rate == nil {
				out.takerFee = dec(0)
			}
		}
	}
	fundingCap, err := numNull(m.FundingRateCap, p+".fundingRateCap")
	if err != nil {
		return nil, err
	}
	if fundingCap != nil && (fundingCap.Sign() <= 0 || fundingCap.Cmp(dec(1)) >= 0) {
		return nil, fail(p+".fundingRateCap", "MKT-5", "fundingRateCap must be in (0, 1), got %s", str(fundingCap))
	}

	// VAR-1: the variants, then one trigger for every market of the scenario.
	if out.variants, err = validateVariants(p, m.Variants); err != nil {
		return nil, err
	}
	if first != nil && out.variants.Trigger != first.variants.Trigger {
		return nil, fail(p+".variants.trigger", "VAR-1", "trigger %q differs from market %q's; all markets of a scenario share one trigger", out.variants.Trigger, first.name)
	}

	// MKT-2: the tiers are a valid table (TIER-1..6).
	sch := out.schedule()
	sch.all = all
	if out.tiers, err = validateTiers(p+".tiers", m.Tiers, sch); err != nil {
		return nil, err
	}
	// MKT-6 and PM-1 (pm.go).
	if out.pm, err = validatePMMarket(p, m); err != nil {
		return nil, err
	}
	return out, nil
}

// validateTiers is the tier part of EVAL-2 step 1: TIER-1, then for each tier
// in order its fields minNotional, maxNotional, maintenanceMarginRate,
// maxLeverage, maintenanceAmount (NUM) and TIER-2, TIER-3, TIER-4, TIER-5,
// TIER-6.
//
// Ambiguities, read literally and documented here:
//   - TIER-1 has two parts. "At least one tier" is checked first, at the path
//     of the table. "tiers[0].minNotional = 0" is a check on that field, so by
//     "within a field the NUM checks come first" it comes right after the NUM
//     checks of tiers[0].minNotional (and before the other fields of tier 0).
//   - TIER-2 for tier t is checked when tier t is reached, with the fields
//     checked so far: minNotional_t < maxNotional_t (path maxNotional_t),
//     then contiguity with the previous tier, maxNotional_(t-1) =
//     minNotional_t (path minNotional_t).
//   - TIER-3 (both parts) is reported at maintenanceMarginRate; TIER-4 (both
//     parts) and TIER-5 at maxLeverage; TIER-6 at maintenanceAmount.
//
// sch carries the market's variants that shape the table: TIER-7's bound,
// TIER-8's schedule (flat: no deduction, a given maintenanceAmount must be
// 0) and QTY-5's close fee (the MM rate is MMR_t + takerFeeRate, which must
// be < 1; checked after TIER-3's own checks, at maintenanceMarginRate).
func validateTiers(p string, in []spec.Tier, sch schedule) ([]tier, *spec.Error) {
	// TIER-1: at least one tier.
	if len(in) == 0 {
		return nil, fail(p, "TIER-1", "a tier table needs at least one tier")
	}
	out := make([]tier, len(in))
	var levs []*apd.Decimal // TIER-3:half-initial: the leverages so far
	for t, src := range in {
		q := fmt.Sprintf("%s[%d]", p, t)
		tr := &out[t]
		var err *spec.Error

		// Fields, NUM-1 and NUM-2 each.
		if tr.min, err = num(src.MinNotional, q+".minNotional"); err != nil {
			return nil, err
		}
		if t == 0 && !tr.min.IsZero() {
			// TIER-1: tiers[0].minNotional = 0.
			return nil, fail(q+".minNotional", "TIER-1", "the first tier's minNotional must be 0, got %s", str(tr.min))
		}
		if tr.max, err = num(src.MaxNotional, q+".maxNotional"); err != nil {
			return nil, err
		}
		if tr.mmr, err = num(src.MaintenanceMarginRate, q+".maintenanceMarginRate"); err != nil {
			return nil, err
		}
		if tr.maxLev, err = num(src.MaxLeverage, q+".maxLeverage"); err != nil {
			return nil, err
		}
		given, err := numNull(src.MaintenanceAmount, q+".maintenanceAmount")
		if err != nil {
			return nil, err
		}
		var imr *apd.Decimal
		if src.InitialMarginRate != nil {
			if imr, err = num(*src.InitialMarginRate, q+".initialMarginRate"); err != nil {
				return nil, err
			}
		}

		// TIER-2: minNotional < maxNotional, and contiguous with the previous tier.
		if tr.min.Cmp(tr.max) >= 0 {
			return nil, fail(q+".maxNotional", "TIER-2", "maxNotional %s must be > minNotional %s", str(tr.max), str(tr.min))
		}
		if t > 0 && out[t-1].max.Cmp(tr.min) != 0 {
			return nil, fail(q+".minNotional", "TIER-2", "minNotional %s must equal the previous tier's maxNotional %s", str(tr.min), str(out[t-1].max))
		}

		// TIER-3: 0 <= MMR_t < 1 and MMR_t >= MMR_(t-1).
		if tr.mmr.Sign() < 0 || tr.mmr.Cmp(dec(1)) >= 0 {
			return nil, fail(q+".maintenanceMarginRate", "TIER-3", "maintenanceMarginRate must be in [0, 1), got %s", str(tr.mmr))
		}
		if t > 0 && tr.mmr.Cmp(out[t-1].mmr) < 0 {
			return nil, fail(q+".maintenanceMarginRate", "TIER-3", "maintenanceMarginRate %s is below the previous tier's %s", str(tr.mmr), str(out[t-1].mmr))
		}

		// TIER-3:half-initial: maxLeverage_t is an integer and the running
		// common denominator lcm(2 * maxLeverage) stays <= 10^6.
		if sch.half {
			if !isInteger(tr.maxLev) {
				return nil, fail(q+".maxLeverage", "TIER-3", "under maintenanceRate \"half-initial\" maxLeverage must be an integer, got %s", str(tr.maxLev))
			}
			levs = append(levs, tr.maxLev)
			scen := levs
			if sch.all != nil {
				*sch.all = append(*sch.all, tr.maxLev)
				scen = *sch.all
			}
			if _, ok := halfInitialDen(scen); !ok {
				return nil, fail(q+".maxLeverage", "TIER-3", "under maintenanceRate \"half-initial\" the common denominator lcm(2 * maxLeverage) exceeds %d", maxHalfInitialDen)
			}
		}

		// QTY-5:taker: MMR_t + takerFeeRate < 1 (so that LIQ-2 holds).
		tr.rate = add(tr.mmr, sch.fee)
		if sch.half && tr.maxLev.Cmp(dec(1)) >= 0 {
			// MMR_t = 1/(2L): 1/(2L) + fee < 1 iff 1 + 2L*fee < 2L.
			twoL := mul(dec(2), tr.maxLev)
			if add(dec(1), mul(twoL, sch.fee)).Cmp(twoL) >= 0 {
				return nil, fail(q+".maintenanceMarginRate", "QTY-5", "under closeFee \"taker\", maintenanceMarginRate 1/(2*%s) + takerFeeRate %s must be < 1", str(tr.maxLev), str(sch.fee))
			}
		} else if !sch.half && tr.rate.Cmp(dec(1)) >= 0 {
			return nil, fail(q+".maintenanceMarginRate", "QTY-5", "under closeFee \"taker\", maintenanceMarginRate %s + takerFeeRate %s must be < 1", str(tr.mmr), str(sch.fee))
		}
		tr.upper = sch.upper

		// TIER-4: maxLeverage_t >= 1 and maxLeverage_t <= maxLeverage_(t-1).
		if tr.maxLev.Cmp(dec(1)) < 0 {
			return nil, fail(q+".maxLeverage", "TIER-4", "maxLeverage must be >= 1, got %s", str(tr.maxLev))
		}
		if t > 0 && tr.maxLev.Cmp(out[t-1].maxLev) > 0 {
			return nil, fail(q+".maxLeverage", "TIER-4", "maxLeverage %s is above the previous tier's %s", str(tr.maxLev), str(out[t-1].maxLev))
		}

		// TIER-5: MMR_t * maxLeverage_t <= 1 (= 1/2 under half-initial).
		if !sch.half && mul(tr.mmr, tr.maxLev).Cmp(dec(1)) > 0 {
			return nil, fail(q+".maxLeverage", "TIER-5", "maintenanceMarginRate %s * maxLeverage %s exceeds 1", str(tr.mmr), str(tr.maxLev))
		}

		// Explicit initial margin rates: TIER-1 (every tier or none), TIER-3
		// (not under half-initial), TIER-5: 0 < IMR_t <= 1, non-decreasing,
		// MMR_t <= IMR_t, IMR_t * maxLeverage_t <= 1.
		if (imr != nil) != (in[0].InitialMarginRate != nil) {
			w := "given but tier 0 has none"
			if imr == nil {
				w = "absent but tier 0 gives one"
			}
			return nil, fail(q+".initialMarginRate", "TIER-1", "initialMarginRate is %s; every tier gives it or none does", w)
		}
		if imr != nil {
			ip := q + ".initialMarginRate"
			switch {
			case sch.half:
				return nil, fail(ip, "TIER-3", "initialMarginRate is not defined under maintenanceRate \"half-initial\"")
			case imr.Sign() <= 0 || imr.Cmp(dec(1)) > 0:
				return nil, fail(ip, "TIER-5", "initialMarginRate must be in (0, 1], got %s", str(imr))
			case t > 0 && imr.Cmp(out[t-1].imr) < 0:
				return nil, fail(ip, "TIER-5", "initialMarginRate %s is below the previous tier's %s", str(imr), str(out[t-1].imr))
			case tr.mmr.Cmp(imr) > 0:
				return nil, fail(ip, "TIER-5", "maintenanceMarginRate %s exceeds initialMarginRate %s", str(tr.mmr), str(imr))
			case mul(imr, tr.maxLev).Cmp(dec(1)) > 0:
				return nil, fail(ip, "TIER-5", "initialMarginRate %s * maxLeverage %s exceeds 1", str(imr), str(tr.maxLev))
			}
			tr.imr = imr
		}

		// TIER-6: cum_t by the recursion; a given maintenanceAmount must equal
		// it. TIER-8:flat: no deduction, cum_t = 0.
		tr.cum = maintenanceAmounts(out[:t+1])[t]
		tr.den = dec(1)
		if sch.half {
			// cum_t = c_t / D_t over the leverages so far (SPEC TIER-3).
			d, _ := halfInitialDen(levs)
			tr.cum, tr.den = halfInitialCum(out[:t+1], d), d
		}
		if sch.flat {
			tr.cum = dec(0)
			if given != nil && given.Sign() != 0 {
				return nil, fail(q+".maintenanceAmount", "TIER-6", "maintenanceAmount %s must be 0 under tierSchedule \"flat\" (no deduction)", str(given))
			}
		}
		if given != nil && mul(given, tr.den).Cmp(tr.cum) != 0 {
			want := str(tr.cum)
			if sch.half {
				want += "/" + str(tr.den)
			}
			return nil, fail(q+".maintenanceAmount", "TIER-6", "maintenanceAmount %s differs from the recursion's %s",
				str(given), want)
		}
	}
	if sch.half {
		// TIER-3:half-initial: every rate a_t/D and deduction c_t/D over the
		// table's common denominator D; QTY-5:taker adds D*takerFeeRate.
		d, _ := halfInitialDen(levs)
		for t := range out {
			tr := &out[t]
			tr.den = d
			tr.rate = add(halfInitialNum(d, tr.maxLev), mul(d, sch.fee))
			tr.cum = halfInitialCum(out[:t+1], d)
			if sch.flat {
				tr.cum = dec(0)
			}
		}
	}
	return out, nil
}

// validatePrice is EVAL-2 step 2 for one entry of prices: PRICE-1, then the
// fields mark, index, last, fundingRate, secondsToFunding, basisAverage (NUM),
// then MARK-1..4.
func validatePrice(name string, pr spec.Price, markets map[string]*market) (*price, *spec.Error) {
	p := "prices." + spec.PathKey(name)
	// PRICE-1: the key names a market.
	mkt, ok := markets[name]
	if !ok {
		return nil, fail(p, "PRICE-1", "prices names market %q, which is not in markets", name)
	}
	var f markInputs
	var err *spec.Error
	for _, field := range []struct {
		dst  **apd.Decimal
		src  decimal.NullDecimal
		name string
	}{
		{&f.mark, pr.Mark, "mark"},
		{&f.index, pr.Index, "index"},
		{&f.last, pr.Last, "last"},
		{&f.fundingRate, pr.FundingRate, "fundingRate"},
		{&f.secondsToFunding, pr.SecondsToFunding, "secondsToFunding"},
		{&f.basisAverage, pr.BasisAverage, "basisAverage"},
	} {
		if *field.dst, err = numNull(field.src, p+"."+field.name); err != nil {
			return nil, err
		}
	}
	return markPrice(p, f, mkt)
}

// validateAccount is EVAL-2 step 3: walletBalance (NUM, ACC-1); then each
// position in order: POS-1, PRICE-2, POS-2 (side, size, entryPrice), POS-3,
// POS-6, POS-4, POS-5.
func validateAccount(a *spec.Account, in *input) *spec.Error {
	var err *spec.Error
	// ACC-1: walletBalance >= 0.
	if in.wallet, err = num(a.WalletBalance, "account.walletBalance"); err != nil {
		return err
	}
	if in.wallet.Sign() < 0 {
		return fail("account.walletBalance", "ACC-1", "walletBalance must be >= 0, got %s", str(in.wallet))
	}
	seen := map[string]int{}
	for i, src := range a.Positions {
		p := fmt.Sprintf("account.positions[%d]", i)
		pos := &position{index: i, side: src.Side, mode: src.MarginMode}

		// POS-1: market names a market of markets.
		mkt, ok := in.markets[src.Market]
		if !ok {
			return fail(p+".market", "POS-1", "market %q is not in markets", src.Market)
		}
		pos.mkt = mkt
		// PRICE-2: the market has an entry in prices.
		// Ambiguity: SPEC gives no path; the position's market field is used.
		pr, ok := in.prices[src.Market]
		if !ok {
			return fail(p+".market", "PRICE-2", "market %q has a position but no entry in prices", src.Market)
		}
		pos.mp = pr.mark

		// POS-2: side is long or short.
		pos.s = src.Side.Sign()
		if pos.s == 0 {
			return fail(p+".side", "POS-2", "side must be \"long\" or \"short\", got %q", string(src.Side))
		}
		// POS-2: size > 0 and a multiple of lotSize.
		if pos.q, err = num(src.Size, p+".size"); err != nil {
			return err
		}
		if pos.q.Sign() <= 0 {
			return fail(p+".size", "POS-2", "size must be > 0, got %s", str(pos.q))
		}
		if !isMultiple(pos.q, mkt.lot) {
			return fail(p+".size", "POS-2", "size %s is not a multiple of lotSize %s", str(pos.q), str(mkt.lot))
		}
		// POS-2: entryPrice > 0 (or entryValue, see entryNotional).
		if pos.qep, err = entryNotional(p, pos.q, src); err != nil {
			return err
		}

		// POS-3: marginMode is cross or isolated and offered by the market.
		if src.MarginMode != spec.Cross && src.MarginMode != spec.Isolated && src.MarginMode != spec.Portfolio {
			return fail(p+".marginMode", "POS-3", "marginMode must be \"cross\", \"isolated\" or \"portfolio\", got %q", string(src.MarginMode))
		}
		if !mkt.modes[src.MarginMode] {
			return fail(p+".marginMode", "POS-3", "market %q does not offer margin mode %q", mkt.name, string(src.MarginMode))
		}

		// POS-6: at most one position per market.
		if j, dup := seen[src.Market]; dup {
			return fail(p+".market", "POS-6", "a second position in market %q (the first is positions[%d]); positions are one-way", src.Market, j)
		}
		seen[src.Market] = i

		// POS-4: 1 <= leverage <= maxLeverage_1; absent: min(20, maxLeverage_1).
		lev, err := numNull(src.Leverage, p+".leverage")
		if err != nil {
			return err
		}
		if lev == nil {
			pos.leverage = minDec(dec(20), mkt.maxLeverage1())
		} else if lev.Cmp(dec(1)) < 0 || lev.Cmp(mkt.maxLeverage1()) > 0 {
			return fail(p+".leverage", "POS-4", "leverage must be in [1, %s], got %s", str(mkt.maxLeverage1()), str(lev))
		} else {
			pos.leverage = lev
		}

		// POS-5: isolated margin. NUM checks first (within a field the NUM
		// checks come first, EVAL-2), then the rule.
		margin, err := numNull(src.IsolatedMargin, p+".isolatedMargin")
		if err != nil {
			return err
		}
		switch {
		case src.MarginMode != spec.Isolated && margin != nil:
			return fail(p+".isolatedMargin", "POS-5", "a %s position must not set isolatedMargin", string(src.MarginMode))
		case src.MarginMode == spec.Isolated && margin != nil && margin.Sign() < 0:
			return fail(p+".isolatedMargin", "POS-5", "isolatedMargin must be >= 0, got %s", str(margin))
		case src.MarginMode == spec.Isolated && margin == nil:
			margin = defaultIsolatedMargin(mkt, pos.qep, pos.leverage)
		}
		pos.margin = margin

		in.positions = append(in.positions, pos)
	}
	return validatePM2(in) // PM-2, after the positions (pm.go)
}

// isMultiple reports whether x is an integer multiple of k > 0 (POS-2).
func isMultiple(x, k *apd.Decimal) bool {
	return floorQuo(x, k).Cmp(ceilQuo(x, k)) == 0
}

// defaultIsolatedMargin is POS-5's default, the initial margin at entry:
//
//	up(Q * EP / min(leverage, maxLeverage_(tier(Q*EP))))
//
// or up(Q*EP * max(1/leverage, IMR_t)) with explicit rates (QTY-4).
func defaultIsolatedMargin(m *market, qep, leverage *apd.Decimal) *apd.Decimal {
	return up(initialMarginOn(m.tiers[tierOf(m.tiers, qep)], qep, leverage))
}

// entryNotional is the entryPrice part of POS-2 and returns Q*EP.
//
// SPEC POS-2 names only entryPrice > 0. spec.Position adds entryValue
// ("exactly one of EntryPrice and EntryValue is given (SPEC POS-2); zero means
// absent") and LED-1 says a state position has entryValue "instead of, or
// consistent with, entryPrice (V = size * entryPrice exactly)". Reading both:
//   - entryValue absent: entryPrice (NUM, then > 0; absent = 0 breaks POS-2)
//     and Q*EP = size * entryPrice;
//   - entryValue given: entryPrice, when non-zero, is NUM-checked and > 0;
//     then entryValue (NUM, then > 0, then = size * entryPrice when
//     entryPrice is given), and Q*EP = V.
func entryNotional(p string, q *apd.Decimal, src spec.Position) (*apd.Decimal, *spec.Error) {
	var qep *apd.Decimal // size * entryPrice; nil when only entryValue is given
	if !src.EntryValue.Valid || !src.EntryPrice.IsZero() {
		ep, err := num(src.EntryPrice, p+".entryPrice")
		if err != nil {
			return nil, err
		}
		if ep.Sign() <= 0 {
			return nil, fail(p+".entryPrice", "POS-2", "entryPrice must be > 0, got %s", str(ep))
		}
		qep = mul(q, ep)
	}
	if !src.EntryValue.Valid {
		return qep, nil
	}
	v, err := num(src.EntryValue.Decimal, p+".entryValue")
	if err != nil {
		return nil, err
	}
	if v.Sign() <= 0 {
		return nil, fail(p+".entryValue", "POS-2", "entryValue must be > 0, got %s", str(v))
	}
	if qep != nil && qep.Cmp(v) != 0 {
		return nil, fail(p+".entryValue", "POS-2", "entryValue %s differs from size * entryPrice = %s", str(v), str(qep))
	}
	return v, nil
}
