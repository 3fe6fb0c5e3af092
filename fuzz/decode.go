package fuzz

import (
	"maps"
	"math/big"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/properties/gen"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// maxInput is the largest input the differential targets decode; longer
// inputs are skipped, so that no input can make a target slow.
const maxInput = 4096

// maxExplicitTiers bounds the tier tables the decoder spells out value by value.
const maxExplicitTiers = 16

// MarketNames are the names the decoder gives its markets, in ascending byte
// order (so that market i of the decoder is Portfolio market i).
var MarketNames = [...]string{"BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"}

// realTables are the tier tables of every shipped venue profile market, in
// the order of profile id and symbol: the decoder picks real tables (or their
// prefixes, which are valid tables too) from here.
var realTables = func() [][]spec.Tier {
	var out [][]spec.Tier
	for _, p := range venue.Profiles() {
		syms := slices.Sorted(maps.Keys(p.Markets))
		for _, s := range syms {
			out = append(out, p.Markets[s].Tiers)
		}
	}
	return out
}()

// DecodeScenario turns fuzz input into a scenario. The decoder reads one
// decision at a time (see reader.val for how values are drawn): the number of
// markets (1..4), each market's tick and lot size, MM basis, margin modes,
// switches and tier table (generated, a real table or a prefix of one, or
// spelled out), each market's prices (a mark, the fields of a computed mark,
// both, or none), the wallet, the positions (at most one per market, so POS-6
// only comes from a corruption), then optionally moves one market's mark onto
// a boundary of a position (its liquidation or bankruptcy price, a tier
// boundary, its entry price, MAX; plus or minus a few ticks or units), and
// with a small probability applies one corruption that breaks a rule. The
// result is deterministic in data.
func DecodeScenario(data []byte) *spec.Scenario {
	r := &reader{b: data}
	s := decodeScenario(r)
	decodeVariants(r, s)
	return s
}

// decodeVariants reads, after everything else (so that inputs written
// before SPEC VAR decode as they did: past the end the reader yields zeros,
// which select no variant), the query-layer rule variants of SPEC VAR: one
// byte for the scenario's trigger (VAR-1: one trigger for all markets), then
// one byte per market in name order whose bits select TIER-7
// upper-inclusive, TIER-8 flat (given maintenance amounts become 0, TIER-6
// under flat), QTY-5 taker and TIER-3 half-initial (every maxLeverage of at
// least 1 rounded down to an integer, given progressive maintenance amounts
// dropped; the common denominator may exceed 10^6, an error path both
// engines are compared on) and explicit initial margin rates (bit 16, with
// one more byte for where each rate lies between its tier's bounds; with
// half-initial a 1% rate on every tier, TIER-3's error). A byte of 255 selects an unknown tier bound
// instead, so that VAR-1's error path is compared too.
func decodeVariants(r *reader, s *spec.Scenario) {
	trig := r.u8()&1 == 1
	for _, name := range slices.Sorted(maps.Keys(s.Markets)) {
		b := r.u8()
		if b == 0 && !trig {
			continue
		}
		m := s.Markets[name]
		v := &spec.Variants{}
		if trig {
			v.Trigger = spec.TriggerAtEquality
		}
		if b&1 == 1 {
			v.TierBound = spec.TierBoundUpper
		}
		if b&2 == 2 {
			v.TierSchedule = spec.TierScheduleFlat
			m.Tiers = append([]spec.Tier(nil), m.Tiers...)
			for i := range m.Tiers {
				if m.Tiers[i].MaintenanceAmount.Valid {
					m.Tiers[i].MaintenanceAmount = decimal.NullDecimal{Decimal: decimal.Zero, Valid: true}
				}
			}
		}
		if b&4 == 4 {
			v.CloseFee = spec.CloseFeeTaker
		}
		if b&8 == 8 {
			v.MaintenanceRate = spec.MaintenanceRateHalfInitial
			m.Tiers = append([]spec.Tier(nil), m.Tiers...)
			for i := range m.Tiers {
				if l := m.Tiers[i].MaxLeverage; l.GreaterThanOrEqual(decimal.NewFromInt(1)) {
					m.Tiers[i].MaxLeverage = l.Floor()
				}
				if b&2 == 0 {
					m.Tiers[i].MaintenanceAmount = decimal.NullDecimal{}
				}
			}
		}
		if b&16 == 16 {
			// Explicit initial margin rates (SPEC TIER-1, TIER-5, QTY-4), at
			// the position the next byte picks between each tier's bounds
			// (gen.WithExplicitIMR keeps TIER-1/3/5; under half-initial, the
			// TIER-3 error at initialMarginRate is compared, so the rates are
			// set there too: the rule of the first tier's rate, 1e-8 at least).
			k := int(r.u8() % 5)
			if ts := gen.WithExplicitIMR(m.Tiers, k); b&8 == 0 {
				m.Tiers = ts
			} else {
				m.Tiers = append([]spec.Tier(nil), m.Tiers...)
				for i := range m.Tiers {
					rate := decimal.New(1, -2)
					m.Tiers[i].InitialMarginRate = &rate
				}
			}
		}
		if b == 255 {
			v.TierBound = "upper"
		}
		m.Variants = v
		s.Markets[name] = m
	}
}

// MarkUpdate is one price update of the queries target: market Market (an
// index into MarketNames) gets the mark Value, or, when Kind is "liq" or
// "bkr", the liquidation or bankruptcy price of the position on that market
// at the time of the update plus Delta units.
type MarkUpdate struct {
	Market int
	Kind   string
	Value  int64
	Delta  int64
}

// DecodeQueries decodes a scenario as DecodeScenario does, followed by one to
// three mark updates, then the scenario's variants (decodeVariants).
func DecodeQueries(data []byte) (*spec.Scenario, []MarkUpdate) {
	r := &reader{b: data}
	s := decodeScenario(r)
	nm := len(s.Markets)
	var ups []MarkUpdate
	for range 1 + r.n(3) {
		mi := r.n(nm)
		mu := MarkUpdate{Market: mi}
		def := int64(100 * one)
		if p, ok := s.Prices[MarketNames[mi]]; ok && p.Mark.Valid {
			def = toFixed(p.Mark.Decimal, def)
		}
		tick := toFixed(s.Markets[MarketNames[mi]].TickSize, u)
		switch r.u8() % 8 {
		case 0, 1, 2, 3:
			_, mu.Value = r.val(def, tick)
		case 4:
			_, v := r.val(def, tick)
			mu.Value = -v
		case 5, 6:
			mu.Kind = "liq"
		default:
			mu.Kind = "bkr"
		}
		if mu.Kind != "" {
			mu.Delta = int64(int8(r.u8()))
			if r.u8()&1 == 1 {
				mu.Delta = satMul(mu.Delta, tick)
			}
		}
		ups = append(ups, mu)
	}
	decodeVariants(r, s)
	return s, ups
}

func decodeScenario(r *reader) *spec.Scenario {
	// Two markets by default (a zero byte), so that cross pools with more
	// than one position are the common case.
	nm := 1 + (r.n(len(MarketNames))+1)%len(MarketNames)
	s := &spec.Scenario{
		Markets: make(map[string]spec.Market, nm),
		Prices:  make(map[string]spec.Price, nm),
	}
	ticks := make([]int64, nm)
	lots := make([]int64, nm)
	marks := make([]int64, nm)
	for i := range nm {
		m := decodeMarket(r)
		s.Markets[MarketNames[i]] = m
		ticks[i] = toFixed(m.TickSize, u)
		lots[i] = toFixed(m.LotSize, u)
	}
	for i := range nm {
		p, ok, mark := decodePrice(r, ticks[i])
		if ok {
			s.Prices[MarketNames[i]] = p
		}
		marks[i] = mark
	}
	var wallet int64
	s.Account.WalletBalance, wallet = r.bval(10_000*one, one, -u, maxFx)
	// A position on every market by default.
	np := nm - r.n(nm+1)
	used := make([]bool, nm)
	for range np {
		mi := r.n(nm)
		for used[mi] {
			mi = (mi + 1) % nm
		}
		used[mi] = true
		s.Account.Positions = append(s.Account.Positions,
			decodePosition(r, MarketNames[mi], ticks[mi], lots[mi], marks[mi], wallet))
	}
	snapMargin(r, s)
	snapMark(r, s)
	corrupt(r, s)
	return s
}

// snapMargin optionally (first byte >= 224) sets the margin behind one
// position so that its liquidation price is (up to rounding to the 1e-8
// grid, in the direction the next byte picks) the price at which its
// notional is a tier's lower boundary: the case where LIQ-4's tier-by-tier
// solution is decided at a boundary. The margin is the isolated margin of an
// isolated position, or the wallet when the position is the only cross one.
// By LIQ-1 with K = M: M = MM(minNotional_t) - s*(minNotional_t - Q*EP).
func snapMargin(r *reader, s *spec.Scenario) {
	k := r.u8()
	if k < 224 || len(s.Account.Positions) == 0 {
		return
	}
	j := r.n(len(s.Account.Positions))
	pick := r.u8()
	up := r.u8()&1 == 1
	pos := &s.Account.Positions[j]
	mk, ok := s.Markets[pos.Market]
	if !ok || len(mk.Tiers) == 0 {
		return
	}
	t := int(pick) % len(mk.Tiers)
	cum := decimal.Zero
	for i := 1; i <= t; i++ {
		cum = cum.Add(mk.Tiers[i].MinNotional.Mul(mk.Tiers[i].MaintenanceMarginRate.Sub(mk.Tiers[i-1].MaintenanceMarginRate)))
	}
	minN := mk.Tiers[t].MinNotional
	qe := pos.Size.Mul(pos.EntryPrice)
	if pos.EntryValue.Valid {
		qe = pos.EntryValue.Decimal
	}
	sign := decimal.New(int64(pos.Side.Sign()), 0)
	m := minN.Mul(mk.Tiers[t].MaintenanceMarginRate).Sub(cum).Sub(sign.Mul(minN.Sub(qe)))
	if up {
		m = m.RoundCeil(8)
	} else {
		m = m.RoundFloor(8)
	}
	if m.IsNegative() {
		return
	}
	if pos.MarginMode == spec.Isolated {
		pos.IsolatedMargin = decimal.NullDecimal{Decimal: m, Valid: true}
		return
	}
	for i, p := range s.Account.Positions {
		if i != j && p.MarginMode != spec.Isolated {
			return
		}
	}
	s.Account.WalletBalance = m
}

func decodeMarket(r *reader) spec.Market {
	var m spec.Market
	m.TickSize, _ = r.bval(one/100, u, u, maxFx)
	m.LotSize, _ = r.bval(one/1000, u, u, maxFx)
	switch r.u8() % 4 {
	case 1:
		m.MMBasis = spec.BasisMark
	case 2, 3:
		m.MMBasis = spec.BasisEntry
	}
	switch r.u8() % 8 {
	case 5:
		m.MarginModes = []spec.MarginMode{spec.Cross}
	case 6:
		m.MarginModes = []spec.MarginMode{spec.Isolated}
	case 7:
		m.MarginModes = []spec.MarginMode{spec.Isolated, spec.Cross}
	}
	// Rates in [0, 1) and (0, 1): drawn in [0, 1] and [1 unit, 1], so that
	// exactly 1 stays reachable as the invalid boundary.
	m.LiquidationFeeRate = r.nbval(one/200, u, 0, one)
	m.FundingIntervalHours = r.nbval(8*one, one, u, 1000*one)
	m.MarkPriceBand = r.nbval(one/20, u, u, one)
	m.MakerFeeRate = r.nbval(one/5000, u, 0, one)
	m.TakerFeeRate = r.nbval(one/2000, u, 0, one)
	m.FundingRateCap = r.nbval(3*one/1000, u, u, one)
	m.Tiers = decodeTiers(r)
	return m
}

func decodeTiers(r *reader) []spec.Tier {
	switch r.u8() % 8 {
	case 4, 5, 6:
		t := realTables[int(r.u16())%len(realTables)]
		n := len(t)
		if r.u8()&1 == 1 {
			n = 1 + r.n(len(t))
		}
		return append([]spec.Tier(nil), t[:n]...)
	case 7:
		n := r.n(maxExplicitTiers + 1)
		tiers := make([]spec.Tier, n)
		for i := range tiers {
			t := &tiers[i]
			t.MinNotional, _ = r.bval(0, one, 0, maxFx)
			t.MaxNotional, _ = r.bval(50_000*one, one, 0, maxFx)
			t.MaintenanceMarginRate, _ = r.bval(one/200, u, 0, one)
			t.MaxLeverage, _ = r.bval(20*one, one, 0, 1000*one)
			t.MaintenanceAmount = r.nval(0, u)
		}
		return tiers
	}
	// Generated: 1..4 contiguous tiers with ascending rates and descending
	// leverage by default; the values (and so any TIER rule) are the fuzzer's.
	n := 1 + r.n(4)
	tiers := make([]spec.Tier, n)
	minD := decimal.Zero
	var prevMMR, prevLev int64
	prevMMRD, cum := decimal.Zero, decimal.Zero
	for i := range tiers {
		var mmrD, levD decimal.Decimal
		var mmr int64
		levHi := int64(1000 * one)
		if i == 0 {
			mmrD, mmr = r.bval(4*one/1000, one/10_000, 0, one)
		} else {
			inc, _ := r.bval(prevMMR, one/10_000, 0, one/10)
			mmrD = prevMMRD.Add(inc)
			mmr = toFixed(mmrD, prevMMR)
			levHi = prevLev
		}
		// Leverage in [1, min(previous, 1/MMR)] plus one unit, so that TIER-4
		// and TIER-5 hold except at their boundary.
		if mmr > 0 && one*one/mmr < levHi {
			levHi = one * one / mmr
		}
		levHi = maxI(levHi, one) + u
		levDef := min(levHi-u, maxI(one, prevLev/2/one*one))
		if i == 0 {
			levDef = min(levHi-u, 100*one)
		}
		levD, prevLev = r.bval(levDef, one, one, levHi)
		width, _ := r.bval(satMul(10_000*one, int64(1)<<(2*i)), one, u, maxFx)
		maxD := minD.Add(width)
		t := &tiers[i]
		t.MinNotional, t.MaxNotional = minD, maxD
		t.MaintenanceMarginRate, t.MaxLeverage = mmrD, levD
		cum = cum.Add(minD.Mul(mmrD.Sub(prevMMRD)))
		switch r.u8() % 8 {
		case 6:
			t.MaintenanceAmount = decimal.NullDecimal{Decimal: cum, Valid: true}
		case 7:
			t.MaintenanceAmount = r.nval(toFixed(cum, 0), u)
		}
		minD, prevMMR, prevMMRD = maxD, mmr, mmrD
	}
	return tiers
}

func maxI(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// decodePrice returns a market's prices, whether it has an entry, and the
// mark (or index) in units as the default for entry prices.
func decodePrice(r *reader, tick int64) (spec.Price, bool, int64) {
	var p spec.Price
	kind := r.u8() % 8
	if kind == 7 {
		return p, false, 100 * one
	}
	markD, mark := r.bval(100*one, tick, u, maxFx)
	if kind < 4 || kind == 6 {
		p.Mark = decimal.NullDecimal{Decimal: markD, Valid: true}
	}
	if kind >= 4 {
		p.Index = decimal.NullDecimal{Decimal: markD, Valid: true}
		last, _ := r.bval(mark, tick, u, maxFx)
		p.Last = decimal.NullDecimal{Decimal: last, Valid: true}
		p.FundingRate = r.nsval(one/10_000, u, 0, one)
		p.SecondsToFunding = r.nbval(14_400*one, one, 0, 28_800*one)
		p.BasisAverage = r.nsval(tick, tick, 0, maxFx)
	}
	return p, true, mark
}

// decodePosition draws a position. Its default size puts a notional of five
// times the wallet on the position (at the default mark), so that by default
// positions are leveraged and have liquidation prices.
func decodePosition(r *reader, market string, tick, lot, mark, wallet int64) spec.Position {
	p := spec.Position{Market: market, Side: spec.Long, MarginMode: spec.Cross}
	if r.u8()&1 == 1 {
		p.Side = spec.Short
	}
	size, q := r.bval(defaultSize(wallet, mark, lot), lot, u, maxFx)
	// Sizes are rounded down to the lot grid (at least one lot) unless the
	// next byte is 248 or more: off-grid sizes (POS-2) stay reachable, rare.
	if r.u8() < 248 && size.Equal(model.Fixed(q).Decimal()) && q%lot != 0 {
		q -= q % lot
		if q <= 0 {
			q = lot
		}
		size = model.Fixed(q).Decimal()
	}
	p.Size = size
	switch r.u8() % 8 {
	case 6: // entry value only
		v, _ := r.bval(mulUnits(q, mark), u, u, maxFx)
		p.EntryValue = decimal.NullDecimal{Decimal: v, Valid: true}
	case 7: // both, consistent (or a NUM-1 error when Q*EP is off the grid)
		ep, _ := r.bval(mark, tick, u, maxFx)
		p.EntryPrice = ep
		p.EntryValue = decimal.NullDecimal{Decimal: size.Mul(ep), Valid: true}
	default:
		p.EntryPrice, _ = r.bval(mark, tick, u, maxFx)
	}
	if r.u8()&1 == 1 {
		p.MarginMode = spec.Isolated
	}
	p.Leverage = r.nbval(10*one, one, 0, 200*one)
	if p.MarginMode == spec.Isolated {
		p.IsolatedMargin = r.nbval(mulUnits(q, mark)/10, u, 0, maxFx)
	}
	return p
}

// defaultSize is 5*wallet/mark rounded down to the lot grid, at least one
// lot (all in units).
func defaultSize(wallet, mark, lot int64) int64 {
	if wallet <= 0 || mark <= 0 || lot <= 0 {
		return maxI(lot, u)
	}
	q := new(big.Int).Mul(big.NewInt(wallet), big.NewInt(5*one))
	q.Quo(q, big.NewInt(mark))
	if !q.IsInt64() || q.Int64() > maxFx-lot {
		return lot
	}
	v := q.Int64() - q.Int64()%lot
	return maxI(v, lot)
}

// mulUnits is q*p/1e8 for two values in units, clamped to the range.
func mulUnits(q, p int64) int64 {
	if q == 0 || p == 0 {
		return 0
	}
	if q <= maxFx/p {
		return q * p / one
	}
	return satMul(q/one, p)
}

// snapMark optionally moves the mark of one position's market onto a
// boundary of that position, computed by the engine (model.Load and its
// queries; the differential check then compares both implementations at that
// mark). The first byte below 128 means no move.
func snapMark(r *reader, s *spec.Scenario) {
	k := r.u8()
	if k < 128 || len(s.Account.Positions) == 0 {
		return
	}
	j := r.n(len(s.Account.Positions))
	delta := int64(int8(r.u8()))
	inTicks := r.u8()&1 == 1
	pick := r.u8()
	pos := s.Account.Positions[j]
	mk, ok := s.Markets[pos.Market]
	if !ok {
		return
	}
	tick := toFixed(mk.TickSize, u)
	if inTicks {
		delta = satMul(delta, tick)
	}
	p, err := model.Load(s)
	if err != nil {
		return
	}
	q := toFixed(pos.Size, 0)
	var mark int64
	switch k % 8 {
	case 0, 1:
		lp, err := p.LiquidationPrice(j)
		if err != nil || !lp.OK {
			return
		}
		mark = int64(lp.Price)
	case 2:
		lp, err := p.LiquidationPrice(j)
		if err != nil || !lp.OK {
			return
		}
		mark = int64(lp.Exact)
	case 3, 4:
		bp, err := p.BankruptcyPrice(j)
		if err != nil || !bp.OK {
			return
		}
		mark = int64(bp.Price)
	case 5: // the price where Q*P is a tier boundary
		if len(mk.Tiers) == 0 || q <= 0 {
			return
		}
		t := mk.Tiers[int(pick)%len(mk.Tiers)]
		b := t.MinNotional
		if pick&128 != 0 {
			b = t.MaxNotional
		}
		mark = toFixed(b.Div(pos.Size).Truncate(8), 0)
	case 6:
		if pos.EntryPrice.IsZero() {
			if !pos.EntryValue.Valid || q <= 0 {
				return
			}
			mark = toFixed(pos.EntryValue.Decimal.Div(pos.Size).Truncate(8), 0)
		} else {
			mark = toFixed(pos.EntryPrice, 0)
		}
	default:
		mark = maxFx
	}
	mark = satAdd(mark, delta)
	if mark <= 0 {
		mark = u
	}
	s.Prices[pos.Market] = spec.Price{Mark: decimal.NullDecimal{Decimal: model.Fixed(mark).Decimal(), Valid: true}}
}

// corrupt applies, for first bytes 240..255, one of 16 edits that each break
// a rule of SPEC (or make a rule's boundary case), so that error paths are
// compared too.
func corrupt(r *reader, s *spec.Scenario) {
	c := r.u8()
	if c < 240 {
		return
	}
	pos := s.Account.Positions
	first := MarketNames[0]
	switch c - 240 {
	case 0: // PRICE-2
		if len(pos) > 0 {
			delete(s.Prices, pos[0].Market)
		}
	case 1: // PRICE-1
		s.Prices["ZZZUSDT"] = spec.Price{Mark: decimal.NullDecimal{Decimal: decimal.New(1, 0), Valid: true}}
	case 2: // POS-1
		if len(pos) > 0 {
			pos[len(pos)-1].Market = "NOPE"
		}
	case 3: // POS-2 side
		if len(pos) > 0 {
			pos[0].Side = "buy"
		}
	case 4: // POS-3
		if len(pos) > 0 {
			pos[len(pos)-1].MarginMode = "hedge"
		}
	case 5: // POS-6
		if len(pos) > 0 {
			s.Account.Positions = append(pos, pos[0])
		}
	case 6: // POS-5: a cross position with an isolated margin
		if len(pos) > 0 {
			pos[0].MarginMode = spec.Cross
			pos[0].IsolatedMargin = decimal.NullDecimal{Decimal: decimal.New(1, 0), Valid: true}
		}
	case 7: // MKT-1
		m := s.Markets[first]
		m.TickSize = decimal.Zero
		s.Markets[first] = m
	case 8: // MKT-3
		m := s.Markets[first]
		m.MMBasis = "average"
		s.Markets[first] = m
	case 9: // MKT-4
		m := s.Markets[first]
		m.MarginModes = []spec.MarginMode{spec.Cross, spec.Cross}
		s.Markets[first] = m
	case 10: // TIER-1
		m := s.Markets[first]
		m.Tiers = nil
		s.Markets[first] = m
	case 11: // TIER-2..5: swap two tiers
		m := s.Markets[first]
		if len(m.Tiers) > 1 {
			m.Tiers = append([]spec.Tier(nil), m.Tiers...)
			m.Tiers[0], m.Tiers[1] = m.Tiers[1], m.Tiers[0]
			s.Markets[first] = m
		}
	case 12: // PROF-1: a profile the engine has not resolved
		m := s.Markets[first]
		m.Profile, m.Symbol = "binance", "BTCUSDT"
		s.Markets[first] = m
	case 13: // MARK-2: an empty prices entry
		s.Prices[first] = spec.Price{}
	case 14: // POS-2: entryValue inconsistent with entryPrice
		if len(pos) > 0 {
			ep := pos[0].EntryPrice
			if ep.IsZero() {
				ep = decimal.New(1, 0)
			}
			pos[0].EntryPrice = ep
			pos[0].EntryValue = decimal.NullDecimal{Decimal: pos[0].Size.Mul(ep).Add(decimal.New(1, -8)), Valid: true}
		}
	case 15: // POS-4: leverage below 1
		if len(pos) > 0 {
			pos[0].Leverage = decimal.NullDecimal{Decimal: decimal.New(5, -1), Valid: true}
		}
	}
}
