package gen

import (
	"maps"
	"math/big"
	"slices"
	"sort"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the boundary-seeking ledger generators (issue 16): states
// and events that land exactly on a comparison SPEC's ledger rules make, or
// one unit (1e-8) either side of it, and states with deliberate ties for the
// orderings SPEC gives a tie rule. The comparisons (properties/README.md
// tabulates them with their checks and mutants):
//
//	POOL-5/LQ-1  E < MM decides the sweep           boundaryTrigger, PriceSame
//	LQ-3/LQ-5    wallet:@insurance >= d              boundaryFund, PriceSame
//	LED-9        withdraw amount <= max              Boundary (withdraw)
//	POOL-6/LED-9 removeMargin amount <= maxRemovable Boundary (removeMargin)
//	LED-9/ACC-1  addMargin amount <= WB              Boundary (addMargin)
//	FND-1        |rate| vs the cap                   Boundary (funding)
//	TIER-7/TRD-3 new notional vs a tier boundary     Boundary (tier trade)
//	LQ-4         largest loss first, ties by market  boundaryLossTie
//	ADL-2        descending score, ties by id        boundaryADLTie
//	ADL-2        U > 0 and E = 0 exactly (MAX)       boundaryADLZeroEquity
//	ADL-2        V = 0 (the fund, after LQ-2 at 0)   boundaryADLZeroBasis, crashEvent
//	POOL-1/LED-9 E = IM exactly, with IM_i = N_i/L_i
//	             off the grid (L = 3, 7, 11, 13)     boundaryThirds, thirdsWithdraw
//
// They aim with exact arithmetic on the state (specutil.Pool) and the
// oracle's query (Config.Evaluate), never with the engine under test.

// Boundary setups of LedgerState (one per state, when drawn).
const (
	setupTrigger = "trigger"  // a pool at E - MM in {-1u, 0, +1u}
	setupFund    = "fund"     // a bankrupt pool with the fund at d - 1u, d, d + 1u
	setupLossTie = "loss-tie" // a liquidatable cross pool with two equal losses
	setupADLTie  = "adl-tie"  // a bankrupt pool, ADL against two equal candidates
	setupADLE0   = "adl-e0"   // adl-tie with the fund as a candidate at E = 0 exactly
	setupADLV0   = "adl-v0"   // a crash below the tick gives the fund a long with V = 0, then ADL
	setupThirds  = "thirds"   // two cross positions at leverage 3 whose IMs sum to the grid
	setupMaxN    = "max-n"    // a flat account with a wallet of twice the last tier's maxNotional
	setupDrained = "drained"  // an isolated margin below 0 kept by unrealized profit (FND-5)
)

// boundarySetup rewrites st (drawn by LedgerState, with its positions) into
// one of the boundary setups, or leaves it (none drawn).
func boundarySetup(t *rapid.T, st *spec.State, c Config) {
	kinds := []string{"", setupTrigger, setupTrigger, setupTrigger, setupLossTie, setupLossTie, setupLossTie, setupLossTie, setupThirds, setupThirds, setupThirds, setupMaxN, setupMaxN, setupMaxN}
	if c.ADL {
		kinds = append(kinds, setupFund, setupFund, setupFund, setupFund, setupADLTie, setupADLTie,
			setupADLE0, setupADLE0, setupADLV0, setupADLV0, setupADLV0, setupADLV0)
	}
	if c.Isolated {
		kinds = append(kinds, setupDrained, setupDrained, setupDrained, setupDrained)
	}
	switch rapid.SampledFrom(kinds).Draw(t, "boundarySetup") {
	case setupTrigger:
		boundaryTrigger(t, st)
	case setupFund:
		boundaryFund(t, st)
	case setupLossTie:
		boundaryLossTie(t, st)
	case setupADLTie:
		boundaryADLTie(t, st)
	case setupADLE0:
		boundaryADLTie(t, st)
		boundaryADLZeroEquity(st)
	case setupADLV0:
		boundaryADLZeroBasis(t, st)
	case setupThirds:
		boundaryThirds(t, st)
	case setupMaxN:
		boundaryMaxNotional(t, st)
	case setupDrained:
		boundaryDrained(st)
	}
}

// delta draws -1, 0 or +1 unit (0 twice as often).
func delta(t *rapid.T, label string) decimal.Decimal {
	return units(rapid.SampledFrom([]int64{-1, 0, 0, 1}).Draw(t, label))
}

// pools lists the (account, market) pools of st with a position; market ""
// is a cross pool.
func pools(st *spec.State) [][2]string {
	var out [][2]string
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		cross := false
		for _, p := range st.Accounts[id].Positions {
			if p.MarginMode == spec.Isolated {
				out = append(out, [2]string{id, p.Market})
			} else {
				cross = true
			}
		}
		if cross {
			out = append(out, [2]string{id, ""})
		}
	}
	return out
}

// setBase sets the base of a pool (the wallet, or the isolated margin) so
// that its equity becomes e; false (st unchanged) when the base would be
// negative.
func setBase(st *spec.State, id, market string, e decimal.Decimal) bool {
	a := st.Accounts[id]
	v := specutil.Pool(st, a, market)
	nb := baseOf(st, id, market).Add(e.Sub(v.E))
	if nb.Sign() < 0 {
		return false
	}
	if market == "" {
		a.WalletBalance = nb
	} else {
		a.Positions = slices.Clone(a.Positions)
		for i := range a.Positions {
			if a.Positions[i].Market == market {
				a.Positions[i].IsolatedMargin = nd(nb)
			}
		}
	}
	st.Accounts[id] = a
	return true
}

// baseOf is a pool's base: the wallet (market "") or the isolated margin.
func baseOf(st *spec.State, id, market string) decimal.Decimal {
	a := st.Accounts[id]
	if market == "" {
		return a.WalletBalance
	}
	for _, p := range a.Positions {
		if p.Market == market {
			return p.IsolatedMargin.Decimal
		}
	}
	return decimal.Zero
}

// boundaryTrigger sets a pool's equity to up(MM) - 1u, up(MM) or up(MM) +
// 1u at the mark (exactly MM when MM is on the grid): the pool is
// liquidatable exactly in the first case (POOL-5), and the sweep of the
// next price or funding event decides it.
func boundaryTrigger(t *rapid.T, st *spec.State) {
	ps := pools(st)
	if len(ps) == 0 {
		return
	}
	p := rapid.SampledFrom(ps).Draw(t, "triggerPool")
	v := specutil.Pool(st, st.Accounts[p[0]], p[1])
	setBase(st, p[0], p[1], specutil.UpUnits(v.MM).Add(delta(t, "triggerDelta")))
}

// closeOut is LQ-3's E_x of a pool: its base plus s * (Q * p - V) at the
// LQ-2 execution prices.
func closeOut(st *spec.State, id, market string) decimal.Decimal {
	a := st.Accounts[id]
	e := a.WalletBalance
	if market != "" {
		e = decimal.Zero
	}
	for _, p := range a.Positions {
		iso := p.MarginMode == spec.Isolated
		if (market == "" && iso) || (market != "" && p.Market != market) {
			continue
		}
		if market != "" {
			e = e.Add(p.IsolatedMargin.Decimal)
		}
		tick, mark := st.Markets[p.Market].TickSize, specutil.Mark(st, p.Market)
		if p.Side == spec.Long {
			e = e.Add(p.Size.Mul(specutil.FloorGrid(mark, tick)).Sub(p.CostBasis()))
		} else {
			e = e.Sub(p.Size.Mul(specutil.CeilGrid(mark, tick)).Sub(p.CostBasis()))
		}
	}
	return e
}

// boundaryFund makes a pool bankrupt with a deficit d (LQ-3) and sets the
// insurance fund to d - 1u, d or d + 1u: the fund covers it (LQ-5) exactly
// in the last two cases, else the pool is auto-deleveraged (LQ-6).
func boundaryFund(t *rapid.T, st *spec.State) {
	ps := pools(st)
	if len(ps) == 0 {
		return
	}
	d := units(rapid.SampledFrom([]int64{1, 100, 123_456}).Draw(t, "deficitUnits"))
	// Pools whose base can be set (>= 0) to make E_x = -d: a close-out loss
	// E_x - base of at least d. (This used to compare E_x - E + base, about
	// the base itself, with -d: almost never true, so the setup was rarely
	// made and LQ-5's boundary was hit about once in 600 runs.)
	var ok [][2]string
	for _, p := range ps {
		if closeOut(st, p[0], p[1]).Sub(baseOf(st, p[0], p[1])).LessThanOrEqual(d.Neg()) {
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 {
		return
	}
	p := rapid.SampledFrom(ok).Draw(t, "fundPool")
	ex := closeOut(st, p[0], p[1])
	v := specutil.Pool(st, st.Accounts[p[0]], p[1])
	// The equity at the mark is E_x plus what the execution prices take.
	if !setBase(st, p[0], p[1], v.E.Sub(ex).Sub(d)) {
		return
	}
	st.InsuranceFund.WalletBalance = d.Add(delta(t, "fundDelta"))
}

// pair adds a long of size in market to long and a short to short, each
// with the given cost basis, cross, replacing any position there.
func pair(st *spec.State, market, long, short string, size, vLong, vShort decimal.Decimal) {
	for _, side := range []struct {
		id string
		s  spec.Side
		v  decimal.Decimal
	}{{long, spec.Long, vLong}, {short, spec.Short, vShort}} {
		a := st.Accounts[side.id]
		a.Positions = slices.DeleteFunc(slices.Clone(a.Positions), func(p spec.Position) bool { return p.Market == market })
		a.Settings = maps.Clone(a.Settings)
		if a.Settings == nil {
			a.Settings = map[string]spec.AccountSettings{}
		}
		set := specutil.SettingOf(a, market, st.Markets[market])
		set.MarginMode = spec.Cross
		a.Settings[market] = set
		a.Positions = append(a.Positions, spec.Position{Market: market, Side: side.s, Size: size, EntryValue: nd(side.v), MarginMode: spec.Cross, Leverage: set.Leverage})
		sort.Slice(a.Positions, func(i, j int) bool { return a.Positions[i].Market < a.Positions[j].Market })
		st.Accounts[side.id] = a
	}
}

// clearPositions removes every position of st.
func clearPositions(st *spec.State) {
	for id, a := range st.Accounts {
		a.Positions = nil
		st.Accounts[id] = a
	}
}

// lotsFor is a size of about notional at mark (at least one lot).
func lotsFor(m spec.Market, notional, mark decimal.Decimal) decimal.Decimal {
	q := specutil.FloorGrid(notional.Div(mark), m.LotSize)
	if q.Sign() <= 0 {
		q = m.LotSize
	}
	return q
}

// boundaryLossTie gives the first account longs in two markets with the
// same exact loss at the mark and a cross equity of up(MM) - 1u: the sweep
// liquidates it, closing the positions in ascending market order (LQ-4's
// tie rule).
func boundaryLossTie(t *rapid.T, st *spec.State) {
	markets := slices.Sorted(maps.Keys(st.Markets))
	ids := slices.Sorted(maps.Keys(st.Accounts))
	if len(markets) < 2 {
		return
	}
	clearPositions(st)
	loss := dec(rapid.SampledFrom([]int64{1, 10, 100}).Draw(t, "tieLoss"), 0)
	for i, name := range markets[:2] {
		m, mark := st.Markets[name], specutil.Mark(st, name)
		q := lotsFor(m, dec(rapid.SampledFrom([]int64{2_000, 20_000}).Draw(t, "tieNotional"), 0), mark)
		n := q.Mul(mark)
		pair(st, name, ids[0], ids[1+i%(len(ids)-1)], q, n.Add(loss), n)
	}
	v := specutil.Pool(st, st.Accounts[ids[0]], "")
	setBase(st, ids[0], "", specutil.UpUnits(v.MM).Sub(units(1)))
}

// boundaryADLTie makes the first account's long bankrupt with an empty
// fund, against two shorts of equal size, cost basis and wallet (equal
// ADL-2 scores): auto-deleveraging takes them in ascending id order.
func boundaryADLTie(t *rapid.T, st *spec.State) {
	ids := slices.Sorted(maps.Keys(st.Accounts))
	if len(ids) < 3 {
		return
	}
	clearPositions(st)
	name := rapid.SampledFrom(slices.Sorted(maps.Keys(st.Markets))).Draw(t, "adlTieMarket")
	m, mark := st.Markets[name], specutil.Mark(st, name)
	q := lotsFor(m, dec(rapid.SampledFrom([]int64{1_000, 50_000}).Draw(t, "adlTieNotional"), 0), mark)
	v := q.Mul(mark).Mul(dec(105, -2)).Round(8) // entered 5% above the mark: the long loses, the shorts gain
	w := dec(rapid.SampledFrom([]int64{1_000, 100_000}).Draw(t, "adlTieWallet"), 0)
	pair(st, name, ids[0], ids[1], q, v, v)
	a := st.Accounts[ids[0]]
	a.Positions[0].Size = q.Add(q)
	a.Positions[0].EntryValue = nd(v.Add(v))
	st.Accounts[ids[0]] = a
	b := st.Accounts[ids[2]]
	b.Positions = nil
	b.Settings = maps.Clone(st.Accounts[ids[1]].Settings)
	b.Positions = append(b.Positions, st.Accounts[ids[1]].Positions[0])
	st.Accounts[ids[2]] = b
	for _, id := range ids[1:3] {
		a := st.Accounts[id]
		a.WalletBalance = w
		st.Accounts[id] = a
	}
	st.InsuranceFund.WalletBalance = decimal.Zero
	setBase(st, ids[0], "", closeOutDelta(st, ids[0]).Sub(units(rapid.Int64Range(1, 1e6).Draw(t, "adlTieDeficit"))))
}

// closeOutDelta is what a cross pool's equity loses when its positions are
// closed at the execution prices instead of the marks (E - E_x).
func closeOutDelta(st *spec.State, id string) decimal.Decimal {
	return specutil.Pool(st, st.Accounts[id], "").E.Sub(closeOut(st, id, ""))
}

// boundaryEvent draws an event on one of LED-9's, FND-1's or TIER-7's
// comparisons for st: a withdrawal of LED-9's maximum, a removeMargin of
// maxRemovableMargin (the oracle's query), an addMargin of the whole wallet,
// each -1u, exactly or +1u; funding at the cap, -1u or +1u; a trade whose
// new notional is exactly a tier boundary, or one tick either side.
func boundaryEvent(t *rapid.T, st *spec.State, c Config) (spec.Event, bool) {
	// TRD-3/FND-5: drain an isolated margin below 0 by funding, then
	// increase the position (a negative margin is rare, so the first test
	// takes few draws from the others).
	if ev, ok := drainedIncrease(t, st); ok && rapid.IntRange(0, 3).Draw(t, "drainedIncrease") > 0 {
		return ev, true
	}
	if c.Funding && c.Isolated {
		if ev, ok := drainFunding(t, st); ok && rapid.IntRange(0, 3).Draw(t, "drainFunding") == 0 {
			return ev, true
		}
	}
	if ev, ok := maxNotionalTrade(t, st); ok && rapid.IntRange(0, 3).Draw(t, "maxNotional") > 0 {
		return ev, true
	}
	if ev, ok := crashEvent(t, st); ok && rapid.IntRange(0, 3).Draw(t, "crash") > 0 {
		return ev, true
	}
	if ev, ok := thirdsWithdraw(t, st); ok && rapid.Bool().Draw(t, "thirds") {
		return ev, true
	}
	if solventCrossToClose(st) && rapid.IntRange(0, 3).Draw(t, "sameSolvent") > 0 {
		// LQ-4: the sweep of a liquidatable, solvent cross pool with two or
		// more positions, at unchanged marks (mutation.CrossCloseAll).
		return priceSame(t, st), true
	}
	ids := slices.Sorted(maps.Keys(st.Accounts))
	acct := rapid.SampledFrom(ids).Draw(t, "boundaryAccount")
	a := st.Accounts[acct]
	switch rapid.IntRange(0, 4).Draw(t, "boundaryKind") {
	case 0: // LED-9: min(WB, WB + sum min(U, 0) - IM) of the cross pool
		return withdrawAtMax(t, st, acct)
	case 1, 2: // POOL-6: removeMargin of maxRemovableMargin; LED-9: addMargin of the wallet
		var iso []int
		for i, p := range a.Positions {
			if p.MarginMode == spec.Isolated {
				iso = append(iso, i)
			}
		}
		if len(iso) == 0 {
			return spec.Event{}, false
		}
		i := rapid.SampledFrom(iso).Draw(t, "boundaryIsolated")
		market := a.Positions[i].Market
		amt := a.WalletBalance
		typ := spec.EventAddMargin
		if rapid.Bool().Draw(t, "boundaryRemove") {
			rep, err := c.evaluate(specutil.AccountScenario(st, a))
			if err != nil || !rep.Positions[i].MaxRemovableMargin.Valid {
				return spec.Event{}, false
			}
			amt, typ = rep.Positions[i].MaxRemovableMargin.Decimal, spec.EventRemoveMargin
		}
		amt = amt.Add(delta(t, "marginDelta"))
		if amt.Sign() <= 0 {
			return spec.Event{}, false
		}
		return spec.Event{Type: typ, Account: acct, Market: market, Amount: nd(amt)}, true
	case 3: // FND-1: the rate at the cap
		if !c.Funding {
			return spec.Event{}, false
		}
		market := rapid.SampledFrom(slices.Sorted(maps.Keys(st.Markets))).Draw(t, "boundaryMarket")
		cp := st.Markets[market].FundingRateCap
		if !cp.Valid {
			return spec.Event{}, false
		}
		r := cp.Decimal.Add(delta(t, "capDelta"))
		if rapid.Bool().Draw(t, "capNegative") {
			r = r.Neg()
		}
		return spec.Event{Type: spec.EventFunding, Market: market, Rate: nd(r)}, true
	default: // TIER-7: a new notional on a tier boundary
		return tierTrade(t, st, acct)
	}
}

// tierTrade is a trade that opens a position of acct (against the fund)
// whose notional at the trade price is exactly a tier's minNotional, or one
// tick of price either side, at a price within 10% of the mark.
func tierTrade(t *rapid.T, st *spec.State, acct string) (spec.Event, bool) {
	market := rapid.SampledFrom(slices.Sorted(maps.Keys(st.Markets))).Draw(t, "tierMarket")
	if !specutil.SignedSize(st.Accounts[acct], market).IsZero() {
		return spec.Event{}, false
	}
	m, mark := st.Markets[market], specutil.Mark(st, market)
	if len(m.Tiers) < 2 {
		return spec.Event{}, false
	}
	b := m.Tiers[rapid.IntRange(1, min(4, len(m.Tiers)-1)).Draw(t, "tierIndex")].MinNotional
	return tradeAtNotional(t, market, m, mark, acct, b)
}

// tradeAtNotional is a trade of acct against the fund whose size*price is
// exactly b, or one tick of price either side, at a price within 10% of
// the mark (ok false when no lot/tick pair near the mark gives b).
func tradeAtNotional(t *rapid.T, market string, m spec.Market, mark decimal.Decimal, acct string, b decimal.Decimal) (spec.Event, bool) {
	k0 := specutil.FloorGrid(b.Div(mark), m.LotSize).Div(m.LotSize).IntPart()
	for step := int64(0); step < 3000; step++ {
		k := k0 + (step+1)/2*(1-2*(step%2))
		if k <= 0 {
			continue
		}
		size := m.LotSize.Mul(decimal.NewFromInt(k))
		price := b.Div(size) // exact when it is on the tick grid (checked)
		if !specutil.FloorGrid(price, m.TickSize).Equal(price) || price.Sub(mark).Abs().GreaterThan(mark.Div(decimal.NewFromInt(10))) || !size.Mul(price).Equal(b) {
			continue
		}
		price = price.Add(m.TickSize.Mul(decimal.NewFromInt(rapid.Int64Range(-1, 1).Draw(t, "tierTicks"))))
		buyer, seller := acct, spec.InsuranceAccount
		if rapid.Bool().Draw(t, "tierSell") {
			buyer, seller = seller, buyer
		}
		return spec.Event{Type: spec.EventTrade, Market: market, Buyer: buyer, Seller: seller, Size: nd(size), Price: nd(price)}, true
	}
	return spec.Event{}, false
}

// maxNotionalTrade is TRD-5's last comparison: a trade that opens a
// position whose notional at the trade price is exactly the last tier's
// maxNotional (accepted), or one tick of price either side (above:
// rejected with TRD-5), by an account set by boundaryMaxNotional (flat in
// the market, a wallet of twice that notional, so that the IM check passes).
func maxNotionalTrade(t *rapid.T, st *spec.State) (spec.Event, bool) {
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		a := st.Accounts[id]
		for _, name := range slices.Sorted(maps.Keys(st.Markets)) {
			m := st.Markets[name]
			last := m.Tiers[len(m.Tiers)-1].MaxNotional
			if specutil.SignedSize(a, name).IsZero() && a.WalletBalance.GreaterThanOrEqual(last.Mul(dec(2, 0))) {
				return tradeAtNotional(t, name, m, specutil.Mark(st, name), id, last)
			}
		}
	}
	return spec.Event{}, false
}

// boundaryMaxNotional gives the first account a wallet of twice the last
// tier's maxNotional of a market where it holds no position (one whose
// maxNotional is at most a quarter of MAX): maxNotionalTrade opens a
// position of exactly that notional.
func boundaryMaxNotional(t *rapid.T, st *spec.State) {
	ids := slices.Sorted(maps.Keys(st.Accounts))
	a := st.Accounts[ids[0]]
	var ok []string
	for _, name := range slices.Sorted(maps.Keys(st.Markets)) {
		m := st.Markets[name]
		if last := m.Tiers[len(m.Tiers)-1].MaxNotional; specutil.SignedSize(a, name).IsZero() && last.Mul(dec(4, 0)).LessThanOrEqual(maxDecimal) {
			ok = append(ok, name)
		}
	}
	if len(ok) == 0 {
		return
	}
	m := st.Markets[rapid.SampledFrom(ok).Draw(t, "maxNotionalMarket")]
	a.WalletBalance = m.Tiers[len(m.Tiers)-1].MaxNotional.Mul(dec(2, 0))
	st.Accounts[ids[0]] = a
}

// downRat rounds x down to the 1e-8 grid, as a decimal.
func downRat(x *big.Rat) decimal.Decimal {
	d := down(x)
	return decimal.NewFromBigInt(d.Num(), 0).Div(decimal.NewFromBigInt(d.Denom(), 0))
}

// priceSame is a price event that re-sends a market's current mark: the
// sweep runs (LQ-1) with every pool exactly where it is, so a boundary
// setup is decided at its boundary.
//
// When the state is set for a crash (boundaryADLZeroBasis), half of these
// events are the crash instead (crashEvent), so that LED-1's V = 0 check is
// reached in most runs of that setup (mutation.ZeroBasisKept).
func priceSame(t *rapid.T, st *spec.State) spec.Event {
	if ev, ok := crashEvent(t, st); ok && rapid.Bool().Draw(t, "sameCrash") {
		return ev
	}
	market := rapid.SampledFrom(slices.Sorted(maps.Keys(st.Markets))).Draw(t, "sameMarket")
	return spec.Event{Type: spec.EventPrice, Market: market, Mark: nd(specutil.Mark(st, market))}
}

// solventCrossToClose says whether a trader's cross pool with two or more
// positions is liquidatable (E < MM) and solvent at the marks (E >= 0; a
// boundaryLossTie setup): LQ-4 closes its positions one at a time and
// stops as soon as it is no longer liquidatable.
func solventCrossToClose(st *spec.State) bool {
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		if v := specutil.Pool(st, st.Accounts[id], ""); v.Positions >= 2 && v.E.Rat().Cmp(v.MM) < 0 && v.E.Sign() >= 0 {
			return true
		}
	}
	return false
}

// withdrawAtMax is a withdrawal by acct of LED-9's maximum min(WB, WB + sum
// min(U, 0) - IM) of its cross pool, rounded down to the grid, -1u, exactly
// or +1u.
func withdrawAtMax(t *rapid.T, st *spec.State, acct string) (spec.Event, bool) {
	a := st.Accounts[acct]
	v := specutil.Pool(st, a, "")
	max := new(big.Rat).Sub(a.WalletBalance.Add(v.Losses).Rat(), v.IM)
	if max.Cmp(a.WalletBalance.Rat()) > 0 {
		max = a.WalletBalance.Rat()
	}
	amt := downRat(max).Add(delta(t, "withdrawDelta"))
	if amt.Sign() <= 0 {
		return spec.Event{}, false
	}
	return spec.Event{Type: spec.EventWithdraw, Account: acct, Amount: nd(amt)}, true
}

// boundaryADLZeroEquity follows boundaryADLTie: the second short becomes
// the insurance fund's, and the fund's wallet is -U of it, so that the fund
// is an ADL candidate with U > 0 in a pool of equity exactly 0 (ADL-2: score
// MAX, ahead of the trader's finite score; the fund's wallet is below any
// deficit, so the liquidation is an ADL, LQ-6). The equity stays 0 until the
// mark of the market moves (priceSame keeps it).
func boundaryADLZeroEquity(st *spec.State) {
	ids := slices.Sorted(maps.Keys(st.Accounts))
	if len(ids) < 3 || len(st.Accounts[ids[2]].Positions) != 1 || len(st.InsuranceFund.Positions) != 0 {
		return
	}
	b := st.Accounts[ids[2]]
	p := b.Positions[0]
	b.Positions = nil
	st.Accounts[ids[2]] = b
	f := st.InsuranceFund
	p.MarginMode = spec.Cross
	p.Leverage = specutil.SettingOf(f, p.Market, st.Markets[p.Market]).Leverage
	f.Positions = []spec.Position{p}
	// A short's U = V - Q * mark (on the grid: the mark is on the tick grid).
	f.WalletBalance = p.Size.Mul(specutil.Mark(st, p.Market)).Sub(p.CostBasis())
	st.InsuranceFund = f
}

// boundaryADLZeroBasis prepares a state in which a crash of one market's
// mark below its tickSize (crashEvent) gives the insurance fund a long with
// cost basis V = 0, which the same sweep then ranks as an ADL candidate
// (ADL-2: V = 0 scores MAX). Market m, another market n; account A (first
// id): a cross long q in m entered at the mark, wallet 0; account B (second
// id): a cross short q in m entered at the mark and a long in n of four
// times the notional entered 50% above the mark, wallet 0 (bankrupt); the
// fund: the short in n, flat in m, its wallet exactly A's deficit at the
// crash (V_A: A's long executes at tickDown(mark) = 0). At the crash the
// sweep takes A first (LQ-5: the fund takes the long at price 0, V = 0, and
// pays everything it has), then B (LQ-6: its long in n, then its short in
// m against the fund's new long).
func boundaryADLZeroBasis(t *rapid.T, st *spec.State) {
	ids := slices.Sorted(maps.Keys(st.Accounts))
	markets := slices.Sorted(maps.Keys(st.Markets))
	if len(markets) < 2 || len(ids) < 2 {
		return
	}
	clearPositions(st)
	i := rapid.IntRange(0, len(markets)-1).Draw(t, "v0Market")
	m, n := markets[i], markets[(i+1)%len(markets)]
	mm, nm := st.Markets[m], st.Markets[n]
	x := dec(rapid.SampledFrom([]int64{1_000, 20_000}).Draw(t, "v0Notional"), 0)
	q := lotsFor(mm, x, specutil.Mark(st, m))
	vq := q.Mul(specutil.Mark(st, m))
	pair(st, m, ids[0], ids[1], q, vq, vq)
	k := lotsFor(nm, x.Mul(dec(4, 0)), specutil.Mark(st, n))
	vk := k.Mul(specutil.Mark(st, n))
	a := st.Accounts[ids[0]]
	b := st.Accounts[ids[1]]
	a.WalletBalance, b.WalletBalance = decimal.Zero, decimal.Zero
	set := specutil.SettingOf(b, n, nm)
	set.MarginMode = spec.Cross
	b.Settings = maps.Clone(b.Settings)
	b.Settings[n] = set
	b.Positions = append(b.Positions, spec.Position{Market: n, Side: spec.Long, Size: k, EntryValue: nd(vk.Mul(dec(15, -1)).Round(8)), MarginMode: spec.Cross, Leverage: set.Leverage})
	sort.Slice(b.Positions, func(i, j int) bool { return b.Positions[i].Market < b.Positions[j].Market })
	st.Accounts[ids[0]], st.Accounts[ids[1]] = a, b
	f := st.InsuranceFund
	short := spec.Position{Market: n, Side: spec.Short, Size: k, EntryValue: nd(vk), MarginMode: spec.Cross,
		Leverage: specutil.SettingOf(f, n, nm).Leverage}
	f.Positions = []spec.Position{short}
	if len(ids) >= 3 && rapid.Bool().Draw(t, "v0ThirdShort") {
		c := st.Accounts[ids[2]]
		set := specutil.SettingOf(c, n, nm)
		set.MarginMode = spec.Cross
		c.Settings = maps.Clone(c.Settings)
		if c.Settings == nil {
			c.Settings = map[string]spec.AccountSettings{}
		}
		c.Settings[n] = set
		c.WalletBalance = vk // C's pool: E = V > MM, never liquidated
		short.Leverage = set.Leverage
		c.Positions = []spec.Position{short}
		st.Accounts[ids[2]] = c
		f.Positions = nil
	}
	f.WalletBalance = vq
	st.InsuranceFund = f
}

// crashEvent is a price event that sets a market's mark below its tickSize
// (1u or tickSize - 1u: MARK-1 only asks > 0), so that a long liquidated in
// it executes at tickDown(mark) = 0 (LQ-2). It is offered when the state is
// set for boundaryADLZeroBasis: in a market where the fund has no position,
// a trader holds a long and another trader a short in a liquidatable cross
// pool.
func crashEvent(t *rapid.T, st *spec.State) (spec.Event, bool) {
	for _, name := range slices.Sorted(maps.Keys(st.Markets)) {
		if !specutil.SignedSize(st.InsuranceFund, name).IsZero() {
			continue
		}
		long, short := false, false
		for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
			a := st.Accounts[id]
			switch x := specutil.SignedSize(a, name); {
			case x.Sign() > 0:
				long = true
			case x.Sign() < 0 && settingMode(st, a, name) == spec.Cross:
				if v := specutil.Pool(st, a, ""); v.E.Rat().Cmp(v.MM) < 0 {
					short = true
				}
			}
		}
		tick := st.Markets[name].TickSize
		if long && short && tick.GreaterThan(units(1)) {
			mark := units(1)
			if rapid.Bool().Draw(t, "crashHigh") {
				mark = tick.Sub(units(1))
			}
			return spec.Event{Type: spec.EventPrice, Market: name, Mark: nd(mark)}, true
		}
	}
	return spec.Event{}, false
}

// settingMode is the margin mode of a's position in market.
func settingMode(st *spec.State, a spec.Account, market string) spec.MarginMode {
	for _, p := range a.Positions {
		if p.Market == market {
			return p.MarginMode
		}
	}
	return specutil.SettingOf(a, market, st.Markets[market]).MarginMode
}

// boundaryThirds gives the first account cross longs in two markets at a
// prime leverage L (3, 7, 11 or 13, one that divides neither lot * mark in
// units) whose notionals N_1, N_2 (in units) are not multiples of L but sum
// to one: each IM_i = N_i / L is off the 1e-8 grid but IM = (N_1 + N_2) / L
// is on it, so a withdrawal of exactly LED-9's maximum (thirdsWithdraw)
// leaves the cross pool at E = IM exactly with non-zero per-position
// remainders (the case an engine summing rounded or truncated IM_i gets
// wrong). Entered at the mark (U = 0), with a wallet of IM plus a drawn
// surplus.
func boundaryThirds(t *rapid.T, st *spec.State) {
	ids := slices.Sorted(maps.Keys(st.Accounts))
	markets := slices.Sorted(maps.Keys(st.Markets))
	if len(markets) < 2 || len(ids) < 2 {
		return
	}
	x := dec(rapid.SampledFrom([]int64{1_000, 10_000}).Draw(t, "thirdsNotional"), 0)
	var lots, per [2]int64 // base lots and lot * mark in units, per market
	for i, name := range markets[:2] {
		m, mark := st.Markets[name], specutil.Mark(st, name)
		lots[i] = lotsFor(m, x, mark).Div(m.LotSize).IntPart()
		per[i] = m.LotSize.Mul(mark).Shift(8).IntPart()
	}
	var l int64
	for _, p := range []int64{3, 7, 11, 13} {
		if per[0]%p != 0 && per[1]%p != 0 {
			l = p
			break
		}
	}
	if l == 0 {
		return
	}
	// k_1 * per_1 != 0 and k_1 * per_1 + k_2 * per_2 = 0 (mod l).
	k1 := lots[0]
	if k1*per[0]%l == 0 {
		k1++
	}
	k2 := lots[1]
	for (k1*per[0]+k2*per[1])%l != 0 {
		k2++
	}
	clearPositions(st)
	a := st.Accounts[ids[0]]
	a.Settings = maps.Clone(a.Settings)
	if a.Settings == nil {
		a.Settings = map[string]spec.AccountSettings{}
	}
	for _, name := range markets[:2] {
		a.Settings[name] = spec.AccountSettings{Leverage: nd(dec(l, 0)), MarginMode: spec.Cross}
	}
	st.Accounts[ids[0]] = a
	for i, k := range []int64{k1, k2} {
		name := markets[i]
		m, mark := st.Markets[name], specutil.Mark(st, name)
		q := m.LotSize.Mul(decimal.NewFromInt(k))
		pair(st, name, ids[0], ids[1], q, q.Mul(mark), q.Mul(mark))
	}
	v := specutil.Pool(st, st.Accounts[ids[0]], "")
	setBase(st, ids[0], "", downRat(v.IM).Add(units(rapid.SampledFrom([]int64{1, 12_345_678, 100_000_000}).Draw(t, "thirdsSurplus"))))
}

// thirdsWithdraw is a withdrawal of LED-9's maximum (-1u, exactly, +1u) by
// an account with two or more cross positions whose IMs are off the grid
// (boundaryThirds), when there is one.
func thirdsWithdraw(t *rapid.T, st *spec.State) (spec.Event, bool) {
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		if OffGridIMs(st, st.Accounts[id]) >= 2 {
			return withdrawAtMax(t, st, id)
		}
	}
	return spec.Event{}, false
}

// OffGridIMs counts a's cross positions whose initial margin N / L (N at the
// mark, L = min(leverage, the tier's maximum), POOL-1) is not a multiple of
// 1e-24: a leverage with a prime factor other than 2 and 5. An engine that
// sums such margins with truncated or rounded terms errs exactly when their
// sum lands on the grid.
func OffGridIMs(st *spec.State, a spec.Account) int {
	k := 0
	for _, p := range a.Positions {
		if p.MarginMode == spec.Isolated {
			continue
		}
		m, ok := st.Markets[p.Market]
		if !ok || len(m.Tiers) == 0 {
			continue
		}
		n := p.Size.Mul(specutil.Mark(st, p.Market))
		l := specutil.SettingOf(a, p.Market, m).Leverage.Decimal
		if p.Leverage.Valid {
			l = p.Leverage.Decimal
		}
		if l.Sign() <= 0 {
			continue
		}
		im := new(big.Rat).Mul(n.Shift(24).Rat(), specutil.IMRate(m, specutil.TierIndex(m, n), l)) // QTY-4
		if !im.IsInt() {
			k++
		}
	}
	return k
}

// The boundaries of a ledger price event's fields (MARK-1, MARK-2, MARK-4),
// as PriceFieldEvent draws them.
var priceFieldCases = []string{
	"index 0", "index -1u", "index 1u", "last 0", "last -1u", "last 1u",
	"index absent", "secondsToFunding -1", "secondsToFunding 0",
	"computed 0", "computed in (0, 1u)", "computed 1u",
	"mark 0", "mark 1u", "mark with index -1",
}

// PriceFieldEvent generates a price event for market of st whose fields sit
// on the boundaries of MARK-1, MARK-2 and MARK-4, one unit either side: a
// mark of 0 or 1u; without a mark, an index or last of -1u, 0 or 1u (the
// other fields chosen so that the computed mark is > 0 whatever the rejected
// field's value: a field wrongly accepted yields an accepted event, not
// another error); secondsToFunding -1 or 0; and a computed mark of exactly 0
// (P2 = index + basisAverage = 0, P1 < 0, last > 0: the median is 0), of a
// value in (0, 1u) (down gives 0) and of exactly 1u. So a computed mark of 0
// is reachable with index, last > 0 (MARK-4 is not vacuous). The case drawn
// is the returned string (for coverage).
func PriceFieldEvent(st *spec.State, market string) *rapid.Generator[PriceCase] {
	return rapid.Custom(func(t *rapid.T) PriceCase {
		m := st.Markets[market]
		mark := specutil.Mark(st, market)
		h := int64(8)
		if m.FundingIntervalHours.Valid {
			h = m.FundingIntervalHours.Decimal.IntPart()
		}
		c := rapid.SampledFrom(priceFieldCases).Draw(t, "priceCase")
		ev := spec.Event{Type: spec.EventPrice, Market: market, Index: nd(mark), Last: nd(mark), BasisAverage: nd(decimal.Zero)}
		switch c {
		case "index 0", "index -1u", "index 1u":
			// P2 = index + mark, P3 = mark: the median is >= min(P2, mark) > 0
			// for any index > -mark.
			ev.Index = nd(map[string]decimal.Decimal{"index 0": decimal.Zero, "index -1u": units(-1), "index 1u": units(1)}[c])
			ev.BasisAverage = nd(mark)
		case "last 0", "last -1u", "last 1u":
			// P1 = P2 = mark: the median is mark whatever last is.
			ev.Last = nd(map[string]decimal.Decimal{"last 0": decimal.Zero, "last -1u": units(-1), "last 1u": units(1)}[c])
		case "index absent":
			ev.Index = decimal.NullDecimal{}
		case "secondsToFunding -1", "secondsToFunding 0":
			ev.SecondsToFunding = nd(map[string]decimal.Decimal{"secondsToFunding -1": decimal.NewFromInt(-1), "secondsToFunding 0": decimal.Zero}[c])
			ev.FundingRate = nd(units(1))
		case "computed 0":
			// P1 = mark * (1 - 2) = -mark, P2 = 0, P3 = mark: median 0.
			ev.BasisAverage = nd(mark.Neg())
			ev.FundingRate = nd(decimal.NewFromInt(-1))
			ev.SecondsToFunding = nd(decimal.NewFromInt(2 * 3600 * h))
		case "computed in (0, 1u)":
			// index 1u: P1 = 1u * (1 - 1/2) = 0.5u, P2 = 0, P3 = 1u: median
			// 0.5u, down 0 (a band clamps it to index*(1-b), also in (0, 1u)).
			ev.Index, ev.Last = nd(units(1)), nd(units(1))
			ev.BasisAverage = nd(units(-1))
			ev.FundingRate = nd(decimal.NewFromInt(-1))
			ev.SecondsToFunding = nd(decimal.NewFromInt(1800 * h))
		case "computed 1u":
			ev.Index, ev.Last = nd(units(1)), nd(units(1))
		case "mark 0", "mark 1u":
			ev.Mark = nd(map[string]decimal.Decimal{"mark 0": decimal.Zero, "mark 1u": units(1)}[c])
		case "mark with index -1":
			ev.Mark = nd(mark)
			ev.Index = nd(decimal.NewFromInt(-1))
		}
		return PriceCase{Case: c, Event: ev}
	})
}

// PriceCase is a price event drawn by PriceFieldEvent and the boundary it
// sits on.
type PriceCase struct {
	Case  string
	Event spec.Event
}

// drainFunding is a funding event (FND-5) that drains an isolated position's
// margin M below 0 while its unrealized profit keeps the pool healthy: the
// payment up(Q*mark*|rate|) is aimed at M + h, h = (U - MM)/2, so the margin
// ends near -h and M + U - payment stays about h above MM (the sweep keeps
// it). The position must pay (a long at a positive rate, a short at a
// negative one); markets with the margin-linked cap, or a fixed cap below
// the rate, are skipped. ok is false when no isolated position of a trader
// has U - MM large enough. It sets up drainedIncrease (TRD-3).
func drainFunding(t *rapid.T, st *spec.State) (spec.Event, bool) {
	type cand struct {
		market string
		rate   decimal.Decimal
	}
	var cs []cand
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		a := st.Accounts[id]
		for _, p := range a.Positions {
			m := st.Markets[p.Market]
			if p.MarginMode != spec.Isolated || p.IsolatedMargin.Decimal.Sign() < 0 ||
				(m.Variants != nil && m.Variants.FundingCap == spec.FundingCapMarginLinked) {
				continue
			}
			pv := specutil.Pool(st, a, p.Market)
			n := p.Size.Mul(specutil.Mark(st, p.Market))
			room := pv.U[p.Market].Sub(specutil.UpUnits(pv.MM)).Sub(units(1))
			h := room.Div(decimal.NewFromInt(2)).Truncate(8)
			// The rate rounds up to the grid: the payment grows by at most
			// N*1e-8 + 1u, which h must absorb.
			if n.Sign() <= 0 || h.LessThanOrEqual(n.Mul(units(1)).Add(units(2))) {
				continue
			}
			r := p.IsolatedMargin.Decimal.Add(h).Div(n).RoundUp(8)
			if cp := m.FundingRateCap; cp.Valid && r.GreaterThan(cp.Decimal) {
				continue
			}
			if p.Side == spec.Short {
				r = r.Neg()
			}
			cs = append(cs, cand{p.Market, r})
		}
	}
	if len(cs) == 0 {
		return spec.Event{}, false
	}
	c := rapid.SampledFrom(cs).Draw(t, "drain")
	return spec.Event{Type: spec.EventFunding, Market: c.market, Rate: nd(c.rate)}, true
}

// drainedIncrease is a trade (TRD-3) that increases an isolated position of
// a trader whose margin M funding left below 0 (FND-5), against the fund:
// one lot, whose T = up(lot*price/L) leaves M + T < 0 when it is small
// (rejected, TRD-3), or the fewest lots whose T covers -M (accepted unless
// TRD-5 says otherwise). ok is false when no isolated margin is negative.
func drainedIncrease(t *rapid.T, st *spec.State) (spec.Event, bool) {
	type cand struct {
		id string
		p  spec.Position
	}
	var cs []cand
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		for _, p := range st.Accounts[id].Positions {
			if p.MarginMode == spec.Isolated && p.IsolatedMargin.Decimal.Sign() < 0 {
				cs = append(cs, cand{id, p})
			}
		}
	}
	if len(cs) == 0 {
		return spec.Event{}, false
	}
	c := rapid.SampledFrom(cs).Draw(t, "drained")
	m := st.Markets[c.p.Market]
	mark := specutil.Mark(st, c.p.Market)
	size := m.LotSize
	if rapid.Bool().Draw(t, "coverDrained") {
		// T >= -M: lots >= -M * L / (lot * mark), at a leverage of at least
		// the lowest tier cap (T only shrinks with a larger L: aim high).
		lev := specutil.SettingOf(st.Accounts[c.id], c.p.Market, m).Leverage.Decimal
		lots := c.p.IsolatedMargin.Decimal.Neg().Mul(lev).Div(m.LotSize.Mul(mark)).Ceil().Add(decimal.NewFromInt(1))
		size = m.LotSize.Mul(lots)
	}
	buyer, seller := c.id, spec.InsuranceAccount
	if c.p.Side == spec.Short {
		buyer, seller = seller, buyer
	}
	ev := tradeEvent(t, c.p.Market, m, mark, buyer, seller, size)
	return ev, true
}

// boundaryDrained gives the first isolated position of a trader the state
// FND-5 allows after funding drained its margin (ACC-2: a ledger state
// accepts it): cost basis 30% better than the mark (U = 0.3 N) and margin
// M = -N/10, so E = 0.2 N stays above MM and the sweep keeps it. Boundary's
// drainedIncrease then increases it (TRD-3: rejected while M + T < 0).
func boundaryDrained(st *spec.State) {
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		a := st.Accounts[id]
		for i, p := range a.Positions {
			m := st.Markets[p.Market]
			if p.MarginMode != spec.Isolated {
				// A cross position of a market that offers isolated becomes
				// isolated (its setting too: LED-2).
				if !slices.Contains(m.MarginModes, spec.Isolated) {
					continue
				}
				p.MarginMode = spec.Isolated
				set := specutil.SettingOf(a, p.Market, m)
				set.MarginMode = spec.Isolated
				a.Settings = maps.Clone(a.Settings)
				if a.Settings == nil {
					a.Settings = map[string]spec.AccountSettings{}
				}
				a.Settings[p.Market] = set
				p.Leverage = set.Leverage
			}
			n := p.Size.Mul(specutil.Mark(st, p.Market))
			v := n.Mul(dec(7, -1))
			if p.Side == spec.Short {
				v = n.Mul(dec(13, -1))
			}
			p.EntryValue, p.EntryPrice = nd(v.Round(8)), decimal.Zero
			p.IsolatedMargin = nd(n.Div(dec(10, 0)).Round(8).Neg())
			a.Positions = slices.Clone(a.Positions)
			a.Positions[i] = p
			st.Accounts[id] = a
			return
		}
	}
}
