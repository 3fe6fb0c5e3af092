package model

import (
	"math/big"
	"sort"
	"strconv"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model/internal/wide"
	"github.com/perpcheck/perpcheck/spec"
)

// Scale-related constants as unsigned values for the wide arithmetic.
const (
	u8   = uint64(Scale)            // 1e8: one unit of 1e-8 at scale 1e-16, etc.
	u16  = uint64(Scale) * Scale    // 1e16
	one  = int64(Scale)             // 1 at scale 1e-8
	maxU = uint64(MaxFixed)         // MAX in units
	l20  = int64(20) * int64(Scale) // the default leverage cap of POS-4
)

// profileMsg is the message of the PROF-1 error for a market whose profile
// has not been resolved by the venue package before evaluation.
const profileMsg = "market names a venue profile that was not resolved into its parameters"

// Load validates s in the order of SPEC EVAL-2 (steps 1 to 3: markets, prices,
// account) and converts it to fixed point. It returns the first violation as
// an *Error. s is only read, never modified; the Portfolio shares no memory
// with it. Load allocates; the queries on the result do not.
func Load(s *spec.Scenario) (*Portfolio, error) {
	if s == nil {
		return nil, &spec.Error{Path: "", Rule: "EVAL-1", Msg: "nil scenario"}
	}
	p := &Portfolio{}
	if err := p.loadMarkets(s); err != nil {
		return nil, err
	}
	p.scaleHalfInitial() // TIER-3:half-initial (halfinitial.go)
	if err := p.loadPrices(s); err != nil {
		return nil, err
	}
	if err := p.loadAccount(s); err != nil {
		return nil, err
	}
	p.prepare()
	if err := p.loadPM(); err != nil { // PM-2 (pm_eval.go)
		return nil, err
	}
	return p, nil
}

func errf(path, rule, msg string) *spec.Error { return &spec.Error{Path: path, Rule: rule, Msg: msg} }

// num converts a required decimal field (NUM-1, then NUM-2).
func num(d decimal.Decimal, path string) (int64, *spec.Error) {
	v, rule := fromDecimal(d)
	if rule != "" {
		return 0, numError(path, rule, d)
	}
	return v, nil
}

// numOpt converts an optional decimal field; ok is false when it is absent.
func numOpt(d decimal.NullDecimal, path string) (v int64, ok bool, err *spec.Error) {
	if !d.Valid {
		return 0, false, nil
	}
	v, err = num(d.Decimal, path)
	return v, err == nil, err
}

func fx(v int64) string { return Fixed(v).String() }

// loadMarkets is EVAL-2 step 1.
func (p *Portfolio) loadMarkets(s *spec.Scenario) *spec.Error {
	names := make([]string, 0, len(s.Markets))
	for name := range s.Markets {
		names = append(names, name)
	}
	sort.Strings(names) // ascending byte order
	p.markets = make([]market, len(names))
	p.marks = make([]int64, len(names))
	p.den, p.u8d = 1, u8
	p.mindex = make(map[string]int, len(names))
	for mi, name := range names {
		m := s.Markets[name]
		pre := "markets." + spec.PathKey(name)
		mk := &p.markets[mi]
		mk.name = name
		p.mindex[name] = mi
		// PROF-1: profiles are resolved by the venue package before evaluation.
		if m.Profile != "" {
			return errf(pre+".profile", "PROF-1", profileMsg)
		}
		var err *spec.Error
		// MKT-1 (tickSize, lotSize); a missing decimal is zero and breaks MKT-1.
		if mk.tick, err = num(m.TickSize, pre+".tickSize"); err != nil {
			return err
		}
		if mk.tick <= 0 {
			return errf(pre+".tickSize", "MKT-1", "tickSize must be > 0, got "+fx(mk.tick))
		}
		if mk.lot, err = num(m.LotSize, pre+".lotSize"); err != nil {
			return err
		}
		if mk.lot <= 0 {
			return errf(pre+".lotSize", "MKT-1", "lotSize must be > 0, got "+fx(mk.lot))
		}
		// MKT-3.
		switch m.MMBasis {
		case "", spec.BasisMark:
		case spec.BasisEntry:
			mk.entry = true
		default:
			return errf(pre+".mmBasis", "MKT-3", "mmBasis must be \"mark\" or \"entry\", got "+spec.Quote(string(m.MMBasis)))
		}
		// MKT-4. An empty list is read as absent (types.go: "empty means both").
		if len(m.MarginModes) == 0 {
			mk.cross, mk.isolated = true, true
		}
		// SPEC names no element path; the field path is used for every element.
		for _, mode := range m.MarginModes {
			path := pre + ".marginModes"
			switch mode {
			case spec.Cross:
				if mk.cross {
					return errf(path, "MKT-4", "margin mode \"cross\" listed twice")
				}
				mk.cross = true
			case spec.Isolated:
				if mk.isolated {
					return errf(path, "MKT-4", "margin mode \"isolated\" listed twice")
				}
				mk.isolated = true
			case spec.Portfolio:
				if mk.portfolio {
					return errf(path, "MKT-4", "margin mode \"portfolio\" listed twice")
				}
				mk.portfolio = true
			default:
				return errf(path, "MKT-4", "margin mode must be \"cross\", \"isolated\" or \"portfolio\", got "+spec.Quote(string(mode)))
			}
		}
		// MKT-5, field by field: NUM, then the range.
		var ok bool
		if mk.feeRate, ok, err = numOpt(m.LiquidationFeeRate, pre+".liquidationFeeRate"); err != nil {
			return err
		}
		if ok && (mk.feeRate < 0 || mk.feeRate >= one) {
			return errf(pre+".liquidationFeeRate", "MKT-5", "liquidationFeeRate must be in [0, 1), got "+fx(mk.feeRate))
		}
		if mk.fundingHours, ok, err = numOpt(m.FundingIntervalHours, pre+".fundingIntervalHours"); err != nil {
			return err
		}
		if !ok {
			mk.fundingHours = 8 * one
		} else if mk.fundingHours <= 0 {
			return errf(pre+".fundingIntervalHours", "MKT-5", "fundingIntervalHours must be > 0, got "+fx(mk.fundingHours))
		}
		if mk.band, mk.hasBand, err = numOpt(m.MarkPriceBand, pre+".markPriceBand"); err != nil {
			return err
		}
		if mk.hasBand && (mk.band <= 0 || mk.band >= one) {
			return errf(pre+".markPriceBand", "MKT-5", "markPriceBand must be in (0, 1), got "+fx(mk.band))
		}
		// makerFeeRate, takerFeeRate in [0, 1); fundingRateCap in (0, 1). The
		// report does not use them (ledger rules TRD-4, FND-1).
		if mk.makerFee, ok, err = numOpt(m.MakerFeeRate, pre+".makerFeeRate"); err != nil {
			return err
		}
		if ok && (mk.makerFee < 0 || mk.makerFee >= one) {
			return errf(pre+".makerFeeRate", "MKT-5", "makerFeeRate must be in [0, 1), got "+fx(mk.makerFee))
		}
		if mk.takerFee, ok, err = numOpt(m.TakerFeeRate, pre+".takerFeeRate"); err != nil {
			return err
		}
		if ok && (mk.takerFee < 0 || mk.takerFee >= one) {
			return errf(pre+".takerFeeRate", "MKT-5", "takerFeeRate must be in [0, 1), got "+fx(mk.takerFee))
		}
		if mk.fundingCap, mk.hasFundingCap, err = numOpt(m.FundingRateCap, pre+".fundingRateCap"); err != nil {
			return err
		}
		if mk.hasFundingCap && (mk.fundingCap <= 0 || mk.fundingCap >= one) {
			return errf(pre+".fundingRateCap", "MKT-5", "fundingRateCap must be in (0, 1), got "+fx(mk.fundingCap))
		}
		// VAR-1: the variants object, then one trigger for all markets.
		if err := mk.loadVariants(m.Variants, pre); err != nil {
			return err
		}
		if mi == 0 {
			p.atEquality = mk.flags.atEquality
		} else if mk.flags.atEquality != p.atEquality {
			return errf(pre+".variants.trigger", "VAR-1", "trigger "+spec.Quote(mk.vars.Trigger)+" differs from market "+spec.Quote(names[0])+"'s; all markets of a scenario share one trigger")
		}
		if err := mk.loadTiers(m.Tiers, pre+".tiers", &p.den); err != nil {
			return err
		}
		if err := p.loadPMMarket(mi, &m, pre); err != nil { // MKT-6, PM-1 (pm.go)
			return err
		}
	}
	return nil
}

// loadTiers checks TIER-1, then for each tier its fields (NUM) and TIER-2..6.
// den is the scenario's running common denominator of TIER-3:half-initial
// (1 until a half-initial market; its markets are loaded in order).
func (mk *market) loadTiers(tiers []spec.Tier, pre string, den *uint64) *spec.Error {
	// TIER-1 has two parts: "at least one tier" is checked first, at the path
	// of the table; "tiers[0].minNotional = 0" is a check on that field, so
	// ("within a field the NUM checks come first") it follows the NUM checks
	// of tiers[0].minNotional, before the other fields of tier 0.
	if len(tiers) == 0 {
		return errf(pre, "TIER-1", "a tier table needs at least one tier")
	}
	mk.tiers = make([]tierData, len(tiers))
	var cum16 wide.Int // cum_t at scale 1e-16 (TIER-6 recursion; < 2^90)
	for t, tr := range tiers {
		tp := pre + "[" + strconv.Itoa(t) + "]"
		td := &mk.tiers[t]
		var err *spec.Error
		if td.minN, err = num(tr.MinNotional, tp+".minNotional"); err != nil {
			return err
		}
		if t == 0 && td.minN != 0 {
			return errf(tp+".minNotional", "TIER-1", "tiers[0].minNotional must be 0, got "+fx(td.minN))
		}
		if td.maxN, err = num(tr.MaxNotional, tp+".maxNotional"); err != nil {
			return err
		}
		if td.mmrGiven, err = num(tr.MaintenanceMarginRate, tp+".maintenanceMarginRate"); err != nil {
			return err
		}
		td.mmr = td.mmrGiven
		if td.maxLev, err = num(tr.MaxLeverage, tp+".maxLeverage"); err != nil {
			return err
		}
		amount, hasAmount, err := numOpt(tr.MaintenanceAmount, tp+".maintenanceAmount")
		if err != nil {
			return err
		}
		var imr int64
		hasIMR := tr.InitialMarginRate != nil
		if hasIMR {
			if imr, err = num(*tr.InitialMarginRate, tp+".initialMarginRate"); err != nil {
				return err
			}
		}
		// TIER-2, in the rule's order: min < max (at maxNotional), then
		// contiguity with the previous tier (at minNotional).
		if td.minN >= td.maxN {
			return errf(tp+".maxNotional", "TIER-2", "maxNotional "+fx(td.maxN)+" must be > minNotional "+fx(td.minN))
		}
		if t > 0 && td.minN != mk.tiers[t-1].maxN {
			return errf(tp+".minNotional", "TIER-2", "minNotional "+fx(td.minN)+" must equal the previous tier's maxNotional "+fx(mk.tiers[t-1].maxN))
		}
		// TIER-3.
		if td.mmr < 0 || td.mmr >= one {
			return errf(tp+".maintenanceMarginRate", "TIER-3", "maintenanceMarginRate must be in [0, 1), got "+fx(td.mmr))
		}
		if t > 0 && td.mmr < mk.tiers[t-1].mmrGiven {
			return errf(tp+".maintenanceMarginRate", "TIER-3", "maintenanceMarginRate "+fx(td.mmr)+" is below the previous tier's "+fx(mk.tiers[t-1].mmrGiven))
		}
		// TIER-3:half-initial: an integer maxLeverage_t and the running
		// common denominator D <= 10^6; QTY-5:taker with the derived rate.
		if mk.flags.half {
			if err := mk.checkHalfInitial(tp, td, den); err != nil {
				return err
			}
		}
		// QTY-5:taker: the MM rate MMR_t + takerFeeRate must stay below 1 (LIQ-2).
		if mk.flags.taker && !mk.flags.half && td.mmr+mk.takerFee >= one {
			return errf(tp+".maintenanceMarginRate", "QTY-5", "under closeFee \"taker\", maintenanceMarginRate "+fx(td.mmr)+" + takerFeeRate "+fx(mk.takerFee)+" must be < 1")
		}
		// TIER-4.
		if td.maxLev < one {
			return errf(tp+".maxLeverage", "TIER-4", "maxLeverage must be >= 1, got "+fx(td.maxLev))
		}
		if t > 0 && td.maxLev > mk.tiers[t-1].maxLev {
			return errf(tp+".maxLeverage", "TIER-4", "maxLeverage "+fx(td.maxLev)+" is above the previous tier's "+fx(mk.tiers[t-1].maxLev))
		}
		// TIER-5: MMR*maxLeverage <= 1, i.e. mmr*maxLev <= 1e16 at scale 1e-16
		// (1/2 under TIER-3:half-initial, by TIER-4).
		if !mk.flags.half && wide.MulU64(uint64(td.mmr), uint64(td.maxLev)).Cmp(wide.FromInt64(int64(u16))) > 0 {
			return errf(tp+".maxLeverage", "TIER-5", "maintenanceMarginRate "+fx(td.mmr)+" * maxLeverage "+fx(td.maxLev)+" exceeds 1")
		}
		// Explicit initial margin rates (TIER-1, TIER-3, TIER-5; explicitimr.go).
		if err := mk.loadIMR(tp, t, td, imr, hasIMR); err != nil {
			return err
		}
		// TIER-6: cum_t = cum_(t-1) + minNotional_t * (MMR_t - MMR_(t-1));
		// under TIER-8:flat there is no deduction, cum_t = 0.
		if t > 0 && !mk.flags.flat {
			cum16 = cum16.Add(wide.MulU64(uint64(td.minN), uint64(td.mmr-mk.tiers[t-1].mmrGiven)))
		}
		if mk.flags.half {
			if err := mk.checkHalfAmount(tp, t, amount, hasAmount, *den); err != nil {
				return err
			}
		} else if hasAmount && wide.FromInt64(amount).Mul(u8).Cmp(cum16) != 0 {
			if mk.flags.flat {
				return errf(tp+".maintenanceAmount", "TIER-6", "maintenanceAmount "+fx(amount)+" must be 0 under tierSchedule \"flat\" (no deduction)")
			}
			return errf(tp+".maintenanceAmount", "TIER-6", "maintenanceAmount "+fx(amount)+" does not equal the TIER-6 recursion "+fmt16(cum16))
		}
		// QTY-5:taker: MM(N) = N * (MMR_t + takerFeeRate) - cum_t; the
		// deduction is that of the given rates (the fee adds the same rate
		// to every tier, so the recursion is unchanged).
		if mk.flags.taker {
			td.mmr += mk.takerFee
		}
		td.cum16 = cum16
		td.cum24 = cum16.Mul(u8)
		td.minN16 = wide.MulU64(uint64(td.minN), u8)
		if mk.flags.upper && t > 0 {
			// TIER-7:upper-inclusive: tier t holds min < N <= max. Every
			// notional looked up is on the 1e-16 grid (a size times a price),
			// so N > minN iff N >= minN + 1e-16: minN16 is the least
			// notional of the tier, whichever bound.
			td.minN16 = td.minN16.Add(wide.Int{W0: 1})
		}
		td.minN24 = wide.MulU64(uint64(td.minN), u16)
		td.mmMin24 = wide.MulU64(uint64(td.minN), uint64(td.mmr)).Mul(u8).Sub(td.cum24)
	}
	mk.maxLev1 = mk.tiers[0].maxLev
	return nil
}

// fmt16 formats a non-negative value at scale 1e-16 exactly.
func fmt16(x wide.Int) string {
	b := new(big.Int).SetUint64(x.W1)
	b.Lsh(b, 64).Or(b, new(big.Int).SetUint64(x.W0))
	return decimal.NewFromBigInt(b, -16).String()
}

// loadPrices is EVAL-2 step 2.
func (p *Portfolio) loadPrices(s *spec.Scenario) *spec.Error {
	names := make([]string, 0, len(s.Prices))
	for name := range s.Prices {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		pr := s.Prices[name]
		pre := "prices." + spec.PathKey(name)
		mi, ok := p.mindex[name]
		if !ok {
			return errf(pre, "PRICE-1", "no market named "+spec.Quote(name))
		}
		mk := &p.markets[mi]
		mark, hasMark, err := numOpt(pr.Mark, pre+".mark")
		if err != nil {
			return err
		}
		index, hasIndex, err := numOpt(pr.Index, pre+".index")
		if err != nil {
			return err
		}
		last, hasLast, err := numOpt(pr.Last, pre+".last")
		if err != nil {
			return err
		}
		fr, _, err := numOpt(pr.FundingRate, pre+".fundingRate")
		if err != nil {
			return err
		}
		secs, _, err := numOpt(pr.SecondsToFunding, pre+".secondsToFunding")
		if err != nil {
			return err
		}
		basis, _, err := numOpt(pr.BasisAverage, pre+".basisAverage")
		if err != nil {
			return err
		}
		if hasMark {
			// MARK-1.
			if mark <= 0 {
				return errf(pre+".mark", "MARK-1", "mark must be > 0, got "+fx(mark))
			}
			mk.hasMark, mk.computed = true, false
			p.marks[mi] = mark
			continue
		}
		// MARK-2.
		if !hasIndex || index <= 0 {
			return errf(pre+".index", "MARK-2", "without a mark, index is required and must be > 0")
		}
		if !hasLast || last <= 0 {
			return errf(pre+".last", "MARK-2", "without a mark, last is required and must be > 0")
		}
		if secs < 0 {
			return errf(pre+".secondsToFunding", "MARK-2", "secondsToFunding must be >= 0, got "+fx(secs))
		}
		m := computeMark(index, last, fr, secs, basis, mk.fundingHours, mk.band, mk.hasBand)
		// MARK-4.
		if m.Sign() <= 0 {
			return errf(pre+".mark", "MARK-4", "computed mark "+decimal.NewFromBigInt(m, -8).String()+" must be > 0")
		}
		if !m.IsInt64() {
			return errf(pre+".mark", "NUM-2", "computed mark "+decimal.NewFromBigInt(m, -8).String()+" is outside [-92233720368.54775807, 92233720368.54775807]")
		}
		mk.hasMark, mk.computed = true, true
		p.marks[mi] = m.Int64()
	}
	return nil
}

// computeMark is MARK-2..4 with exact rationals: the mark in units, down(m).
// All arguments are in units of 1e-8.
func computeMark(index, last, fr, secs, basis, hours, band int64, hasBand bool) *big.Int {
	r := func(v int64) *big.Rat { return new(big.Rat).SetFrac64(v, one) }
	I := r(index)
	// P1 = index * (1 + fundingRate * secondsToFunding / (3600 * H)).
	t := new(big.Rat).Mul(r(fr), r(secs))
	t.Quo(t, new(big.Rat).Mul(big.NewRat(3600, 1), r(hours)))
	t.Add(t, big.NewRat(1, 1))
	p1 := new(big.Rat).Mul(I, t)
	// P2 = index + basisAverage; P3 = last.
	p2 := new(big.Rat).Add(I, r(basis))
	p3 := r(last)
	// MARK-3: median, then the band clamp.
	m := median(p1, p2, p3)
	if hasBand {
		lo := new(big.Rat).Mul(I, new(big.Rat).Sub(big.NewRat(1, 1), r(band)))
		hi := new(big.Rat).Mul(I, new(big.Rat).Add(big.NewRat(1, 1), r(band)))
		if m.Cmp(lo) < 0 {
			m = lo
		}
		if m.Cmp(hi) > 0 {
			m = hi
		}
	}
	// MARK-4: down(m) in units.
	num := new(big.Int).Mul(m.Num(), big.NewInt(one))
	q, mod := new(big.Int), new(big.Int)
	q.DivMod(num, m.Denom(), mod) // Euclidean; the denominator is positive, so floor
	return q
}

func median(a, b, c *big.Rat) *big.Rat {
	if a.Cmp(b) > 0 {
		a, b = b, a
	}
	// a <= b
	if c.Cmp(b) >= 0 {
		return b
	}
	if c.Cmp(a) <= 0 {
		return a
	}
	return c
}

// loadAccount is EVAL-2 step 3.
func (p *Portfolio) loadAccount(s *spec.Scenario) *spec.Error {
	acc := &s.Account
	var err *spec.Error
	if p.wallet, err = num(acc.WalletBalance, "account.walletBalance"); err != nil {
		return err
	}
	if p.wallet < 0 {
		return errf("account.walletBalance", "ACC-1", "walletBalance must be >= 0, got "+fx(p.wallet))
	}
	p.pos = make([]position, len(acc.Positions))
	seen := make(map[int]int, len(acc.Positions))
	for i := range acc.Positions {
		in := &acc.Positions[i]
		pre := "account.positions[" + strconv.Itoa(i) + "]"
		ps := &p.pos[i]
		ps.name, ps.side, ps.mode = in.Market, in.Side, in.MarginMode
		// POS-1.
		mi, ok := p.mindex[in.Market]
		if !ok {
			return errf(pre+".market", "POS-1", "no market named "+spec.Quote(in.Market))
		}
		mk := &p.markets[mi]
		ps.mkt = int32(mi)
		// PRICE-2. SPEC gives no path; the position's market field is used.
		if !mk.hasMark {
			return errf(pre+".market", "PRICE-2", "market "+spec.Quote(in.Market)+" has a position but no prices entry")
		}
		// POS-2: side, size, entryPrice.
		switch in.Side {
		case spec.Long:
			ps.sign = 1
		case spec.Short:
			ps.sign = -1
		default:
			return errf(pre+".side", "POS-2", "side must be \"long\" or \"short\", got "+spec.Quote(string(in.Side)))
		}
		q, err := num(in.Size, pre+".size")
		if err != nil {
			return err
		}
		if q <= 0 {
			return errf(pre+".size", "POS-2", "size must be > 0, got "+fx(q))
		}
		if q%mk.lot != 0 {
			return errf(pre+".size", "POS-2", "size "+fx(q)+" is not a multiple of lotSize "+fx(mk.lot))
		}
		ps.q = uint64(q)
		if ps.qe16, err = entryNotional(pre, ps.q, in); err != nil {
			return err
		}
		// POS-3.
		switch in.MarginMode {
		case spec.Cross:
			if !mk.cross {
				return errf(pre+".marginMode", "POS-3", "market "+spec.Quote(in.Market)+" does not offer margin mode \"cross\"")
			}
			ps.cross = true
		case spec.Isolated:
			if !mk.isolated {
				return errf(pre+".marginMode", "POS-3", "market "+spec.Quote(in.Market)+" does not offer margin mode \"isolated\"")
			}
		case spec.Portfolio:
			if !mk.portfolio {
				return errf(pre+".marginMode", "POS-3", "market "+spec.Quote(in.Market)+" does not offer margin mode \"portfolio\"")
			}
			ps.portfolio = true
		default:
			return errf(pre+".marginMode", "POS-3", "marginMode must be \"cross\", \"isolated\" or \"portfolio\", got "+spec.Quote(string(in.MarginMode)))
		}
		// POS-6.
		if j, dup := seen[mi]; dup {
			return errf(pre+".market", "POS-6", "a second position in market "+spec.Quote(in.Market)+" (the first is positions["+strconv.Itoa(j)+"])")
		}
		seen[mi] = i
		// POS-4.
		lev, hasLev, err := numOpt(in.Leverage, pre+".leverage")
		if err != nil {
			return err
		}
		if !hasLev {
			lev = min(l20, mk.maxLev1)
		} else if lev < one || lev > mk.maxLev1 {
			return errf(pre+".leverage", "POS-4", "leverage must be in [1, "+fx(mk.maxLev1)+"], got "+fx(lev))
		}
		ps.lev = lev
		// POS-5: the NUM checks of the field come first (EVAL-2).
		iso, hasIso, err := numOpt(in.IsolatedMargin, pre+".isolatedMargin")
		if err != nil {
			return err
		}
		if ps.cross || ps.portfolio {
			if hasIso {
				return errf(pre+".isolatedMargin", "POS-5", "a "+string(in.MarginMode)+" position must not set isolatedMargin")
			}
			continue
		}
		if hasIso {
			if iso < 0 {
				return errf(pre+".isolatedMargin", "POS-5", "isolatedMargin must be >= 0, got "+fx(iso))
			}
			ps.iso = iso
			continue
		}
		// Default: up(Q*EP / min(leverage, maxLeverage_(tier(Q*EP)))), or
		// up(Q*EP * max(1/leverage, IMR_t)) with explicit rates (QTY-4).
		qe := ps.qe16
		t := tierOf(mk.tiers, qe)
		v, fits := imCeil(qe, lev, &mk.tiers[t]).Int64()
		if !fits || v > int64(maxU) {
			ps.isoOverflow = true // reported as NUM-2 at positions[i].isolatedMargin (EVAL-2 step 4)
		} else {
			ps.iso = v
		}
	}
	return nil
}

// entryNotional is the entry part of POS-2 and returns Q*EP at scale 1e-16.
// types.go: "exactly one of EntryPrice and EntryValue is given; zero means
// absent"; LED-1: entryValue V is given "instead of, or consistent with,
// entryPrice (V = size * entryPrice exactly)". So: without entryValue,
// entryPrice (NUM, then > 0; absent = 0 breaks POS-2) and Q*EP = size *
// entryPrice; with entryValue, a non-zero entryPrice is checked as above, then
// entryValue (NUM, > 0, and = size * entryPrice when entryPrice is given), and
// Q*EP = V. Every formula uses EP only through Q*EP.
func entryNotional(pre string, q uint64, in *spec.Position) (wide.Int, *spec.Error) {
	var qe wide.Int
	hasQE := false
	if !in.EntryValue.Valid || !in.EntryPrice.IsZero() {
		e, err := num(in.EntryPrice, pre+".entryPrice")
		if err != nil {
			return qe, err
		}
		if e <= 0 {
			return qe, errf(pre+".entryPrice", "POS-2", "entryPrice must be > 0, got "+fx(e))
		}
		qe, hasQE = wide.MulU64(q, uint64(e)), true
	}
	if !in.EntryValue.Valid {
		return qe, nil
	}
	v, err := num(in.EntryValue.Decimal, pre+".entryValue")
	if err != nil {
		return qe, err
	}
	if v <= 0 {
		return qe, errf(pre+".entryValue", "POS-2", "entryValue must be > 0, got "+fx(v))
	}
	v16 := wide.MulU64(uint64(v), u8)
	if hasQE && qe.Cmp(v16) != 0 {
		return qe, errf(pre+".entryValue", "POS-2", "entryValue "+fx(v)+" differs from size * entryPrice = "+fmt16(qe))
	}
	return v16, nil
}

// tierOf is TIER-7: the index of the tier of the notional n (scale 1e-16,
// on its grid; minN16 is the least notional of each tier, see loadTiers).
func tierOf(tiers []tierData, n wide.Int) int {
	t := 0
	for t+1 < len(tiers) && n.Cmp(tiers[t+1].minN16) >= 0 {
		t++
	}
	return t
}

// prepare derives the per-position constants and the scratch space of the
// queries.
func (p *Portfolio) prepare() {
	levID := map[[2]uint64]int32{} // IM groups by (mul, den) of imFrac
	p.isoPool = 0
	for i := range p.pos {
		ps := &p.pos[i]
		mk := &p.markets[ps.mkt]
		ps.tiers = mk.tiers
		ps.entry = mk.entry
		qe := ps.qe16
		ps.qe24 = qe.Mul(p.u8d) // scaled by D (halfinitial.go)
		if ps.entry {
			ps.tierE = tierOf(mk.tiers, qe)
			td := &mk.tiers[ps.tierE]
			ps.mmE24 = qe.Mul(uint64(td.mmr)).Sub(td.cum24)
		}
		if ps.sign < 0 {
			ps.negMask = ^uint64(0)
		}
		if ps.cross {
			ps.pool = 0
			p.cross = append(p.cross, int32(i))
			if ps.sign > 0 {
				p.crossBase16 = p.crossBase16.Sub(ps.qe16)
			} else {
				p.crossBase16 = p.crossBase16.Add(ps.qe16)
			}
			if ps.entry {
				p.crossMMEntry24 = p.crossMMEntry24.Add(ps.mmE24)
			}
			ps.grp = make([]int32, len(mk.tiers))
			for t := range mk.tiers {
				mul, den := imFrac(ps.lev, &mk.tiers[t])
				k := [2]uint64{mul, den}
				g, ok := levID[k]
				if !ok {
					g = int32(len(p.grpDen))
					levID[k] = g
					p.grpDen = append(p.grpDen, den)
					p.grpMul = append(p.grpMul, mul)
				}
				ps.grp[t] = g
			}
		} else if !ps.portfolio {
			p.isoPool++
			ps.pool = p.isoPool
		}
	}
	g := len(p.grpDen)
	p.acc = make([]wide.Int, g)
	p.accStamp = make([]uint64, g)
	p.used = make([]int32, 0, g)
	p.terms = make([]frac, 0, g+1)
	p.nat = make([]uint64, 3*(g+4))
	p.wallet16 = wide.MulU64(uint64(p.wallet), u8)
	p.wallet24 = wide.MulU64(uint64(p.wallet), u8).Mul(p.u8d)
	p.crossBase16 = p.crossBase16.Add(p.wallet16)
}
