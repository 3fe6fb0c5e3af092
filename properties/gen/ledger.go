package gen

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// This file holds the generators of the ledger layer (SPEC LED, TRD, FND,
// LQ, ADL): initial states and events that depend on the current state.

// ledgerSymbols are the real Binance markets (October 2024 tier tables, real
// tick, lot and liquidation fee) that generated ledger states trade, with a
// reference mark of the size those markets had.
var ledgerSymbols = []struct {
	symbol string
	mark   int64 // whole quote units
}{
	{"BTCUSDT", 60000},
	{"ETHUSDT", 3000},
	{"XRPUSDT", 1},
}

// traderIDs are the ids of generated trader accounts (LED-1).
var traderIDs = []string{"alice", "bob", "carol", "dave"}

// ledgerMarket returns the shipped Binance market symbol with the switches of
// the ledger drawn: trading fees, a funding rate cap, and (when c allows) the
// entry MM basis for XRPUSDT, which is not Binance's (it makes the entry
// basis reachable in the ledger).
func ledgerMarket(t *rapid.T, c Config, symbol string) spec.Market {
	m, err := venue.Lookup("binance@2024-10-01", symbol)
	if err != nil {
		panic(err) // the profile is embedded; its absence is a build defect
	}
	fee := func(label string) decimal.NullDecimal {
		v := rapid.SampledFrom([]int64{-1, 0, 2, 5, 10, 50}).Draw(t, label) // in units of 1e-4
		if v < 0 {
			return decimal.NullDecimal{}
		}
		return nd(dec(v, -4))
	}
	m.MakerFeeRate = fee(symbol + ".makerFeeRate")
	m.TakerFeeRate = fee(symbol + ".takerFeeRate")
	if capBp := rapid.SampledFrom([]int64{-1, 30, 75, 1}).Draw(t, symbol+".fundingRateCap"); capBp >= 0 {
		m.FundingRateCap = nd(dec(capBp, -4))
	}
	if c.EntryBasis && symbol == "XRPUSDT" && rapid.Bool().Draw(t, symbol+".entryBasis") {
		m.MMBasis = spec.BasisEntry
	}
	if !c.Isolated {
		m.MarginModes = []spec.MarginMode{spec.Cross}
	}
	m.Variants = ledgerVariants(t, c, symbol)
	ledgerMarginRates(t, c, symbol, &m)
	return m
}

// ledgerMarginRates draws the margin rates of a ledger market among those c
// allows (SPEC TIER-3, TIER-5): the table's given rates (the default), the
// TIER-3:half-initial variant (MMR_t = 1/(2 maxLeverage_t); Binance's
// leverages are integers and their D is at most 3,000; the tiers'
// maintenanceAmount, off the grid there, is dropped) when c.Variants
// allows it, or explicit initial margin rates (WithExplicitIMR at a drawn
// position between MMR_t and 1/maxLeverage_t) when c.LedgerExplicitIMR,
// uniformly. With neither allowed it draws nothing.
func ledgerMarginRates(t *rapid.T, c Config, symbol string, m *spec.Market) {
	kinds := []string{spec.MaintenanceRateGiven}
	if slices.Contains(c.Variants["maintenanceRate"], spec.MaintenanceRateHalfInitial) {
		kinds = append(kinds, spec.MaintenanceRateHalfInitial)
	}
	if c.LedgerExplicitIMR {
		kinds = append(kinds, "explicit-imr")
	}
	if len(kinds) == 1 {
		return
	}
	switch rapid.SampledFrom(kinds).Draw(t, symbol+".marginRates") {
	case spec.MaintenanceRateHalfInitial:
		v := spec.Variants{}
		if m.Variants != nil {
			v = *m.Variants
		}
		v.MaintenanceRate = spec.MaintenanceRateHalfInitial
		m.Variants = &v
		m.Tiers = slices.Clone(m.Tiers)
		for i := range m.Tiers {
			m.Tiers[i].MaintenanceAmount = decimal.NullDecimal{}
		}
	case "explicit-imr":
		m.Tiers = WithExplicitIMR(m.Tiers, rapid.IntRange(0, 4).Draw(t, symbol+".imrPosition"))
	}
}

// LedgerVariantKeys are the choices of SPEC VAR that the ledger makes (by
// their keys in spec.Variants): LQ-4, TRD-4, ADL-2, FND-1 and LED-9.
var LedgerVariantKeys = []string{"isolatedLeftover", "isolatedFeePayer", "adlRanking", "fundingCap", "setLeverage"}

// ledgerVariants draws a market's ledger variants among those c.Variants
// allows (uniformly, so that a default budget selects each), with their
// parameters: a liquidatorShare for liquidator-split (0, a third, a half,
// 1), a fundingCapFactor for margin-linked (0.1, 1, 3). A default is left
// absent half the time and written out otherwise. It returns nil when every
// choice keeps its default and nothing was written.
func ledgerVariants(t *rapid.T, c Config, symbol string) *spec.Variants {
	var v spec.Variants
	set := false
	for _, key := range LedgerVariantKeys {
		names := c.Variants[key]
		if len(names) == 0 {
			continue
		}
		name := rapid.SampledFrom(names).Draw(t, symbol+".variants."+key)
		if name == (spec.Variants{}).Get(key) && rapid.Bool().Draw(t, symbol+".variants."+key+".absent") {
			continue
		}
		v.Set(key, name)
		set = true
	}
	if v.IsolatedLeftover == spec.LeftoverLiquidatorSplit {
		v.LiquidatorShare = nd(rapid.SampledFrom([]decimal.Decimal{dec(0, 0), dec(33333333, -8), dec(5, -1), dec(1, 0)}).Draw(t, symbol+".liquidatorShare"))
	}
	if v.FundingCap == spec.FundingCapMarginLinked {
		v.FundingCapFactor = nd(rapid.SampledFrom([]decimal.Decimal{dec(1, -1), dec(1, 0), dec(3, 0)}).Draw(t, symbol+".fundingCapFactor"))
	}
	if !set {
		return nil
	}
	return &v
}

// LedgerState generates a valid initial ledger state (SPEC LED-1, LED-2):
// one to three real Binance markets (BTCUSDT, ETHUSDT, XRPUSDT with their
// October 2024 tier tables, tick, lot and liquidation fee; trading fees and
// a funding cap drawn) with marks near their 2024 prices, two to four funded
// trader accounts (wallets from 50 up to the edge of the fixed-point range,
// where trades overflow and must fail with NUM-2) whose per-market settings (leverage up to the maximum,
// isolated when c.Isolated) are drawn, an insurance fund that is often empty
// or small (so that auto-deleveraging happens when c.ADL), and, three times
// in four, open positions in matched long/short pairs (balanced open interest,
// LED-4) with entry prices on either side of the mark.
func LedgerState(c Config) *rapid.Generator[*spec.State] {
	return rapid.Custom(func(t *rapid.T) *spec.State {
		st := &spec.State{
			Markets:  map[string]spec.Market{},
			Prices:   map[string]spec.Price{},
			Accounts: map[string]spec.Account{},
		}
		nm := rapid.IntRange(1, len(ledgerSymbols)).Draw(t, "markets")
		for _, ls := range ledgerSymbols[:nm] {
			m := ledgerMarket(t, c, ls.symbol)
			m.LotSize, m.TickSize = onGrid(m.LotSize, c.SizeGrid), onGrid(m.TickSize, c.PriceGrid) // the engine's grid (PR-5)
			st.Markets[ls.symbol] = m
			// The mark: the reference moved by up to +-5%, on the tick grid.
			f := dec(rapid.Int64Range(950, 1050).Draw(t, ls.symbol+".markPermille"), -3)
			mark := specutil.FloorGrid(dec(ls.mark, 0).Mul(f), m.TickSize)
			st.Prices[ls.symbol] = spec.Price{Mark: nd(mark)}
		}
		addPMMarkets(t, c, st) // SPEC PM-14..18 (ledger_pm.go)
		na := rapid.IntRange(2, len(traderIDs)).Draw(t, "accounts")
		for _, id := range traderIDs[:na] {
			acc := spec.Account{
				// Up to the edge of the fixed-point range (MAX ~9.2e10, NUM-2).
				WalletBalance: dec(rapid.SampledFrom([]int64{50, 500, 2_000, 10_000, 100_000, 5_000_000, 90_000_000_000}).Draw(t, id+".wallet")*100+
					rapid.Int64Range(0, 99).Draw(t, id+".walletCents"), -2),
				Settings: map[string]spec.AccountSettings{},
			}
			for _, name := range slices.Sorted(maps.Keys(st.Markets)) {
				m := st.Markets[name]
				if rapid.IntRange(0, 2).Draw(t, id+"."+name+".explicit") == 0 {
					continue // absent: cross at POS-4's default leverage
				}
				s := spec.AccountSettings{
					// Often the market's maximum, which the higher tiers cap (QTY-3, TRD-3).
					Leverage:   nd(dec(rapid.SampledFrom([]int64{1, 2, 5, 10, 20, 50, 100, specutil.MaxLeverage(m), specutil.MaxLeverage(m)}).Draw(t, id+"."+name+".leverage"), 0)),
					MarginMode: spec.Cross,
				}
				if s.Leverage.Decimal.IntPart() > specutil.MaxLeverage(m) {
					s.Leverage = nd(dec(specutil.MaxLeverage(m), 0))
				}
				if c.Isolated && rapid.Bool().Draw(t, id+"."+name+".isolated") {
					s.MarginMode = spec.Isolated
				}
				if pmSetting(t, c, m, id+"."+name) {
					s.MarginMode = spec.Portfolio
				}
				acc.Settings[name] = s
			}
			st.Accounts[id] = acc
		}
		fund := rapid.SampledFrom([]int64{0, 0, 50, 1_000, 100_000, 10_000_000, 92_000_000_000}).Draw(t, "insuranceFund")
		if !c.ADL {
			fund = 1_000_000_000 // deep enough that no deficit reaches ADL (LQ-6)
		}
		st.InsuranceFund = spec.Account{WalletBalance: dec(fund, 0)}
		if rapid.IntRange(0, 3).Draw(t, "feePool") == 0 {
			st.FeePool = units(rapid.Int64Range(1, 1e10).Draw(t, "feePoolUnits"))
		}
		if rapid.IntRange(0, 3).Draw(t, "positions") > 0 {
			pairs := rapid.IntRange(1, 3).Draw(t, "pairs")
			for i := 0; i < pairs; i++ {
				addPositionPair(t, st, fmt.Sprintf("pair%d", i))
			}
			boundarySetup(t, st, c)
			pmRepair(st)
		}
		return st
	})
}

// addPositionPair opens the same size long in one account and short in
// another, in a market where neither holds a position, with entry prices
// drawn on either side of the mark (on the tick grid, or as an entry value
// that is not on it).
func addPositionPair(t *rapid.T, st *spec.State, label string) {
	ids := slices.Sorted(maps.Keys(st.Accounts))
	long := rapid.SampledFrom(ids).Draw(t, label+".long")
	short := rapid.SampledFrom(ids).Draw(t, label+".short")
	name := rapid.SampledFrom(slices.Sorted(maps.Keys(st.Markets))).Draw(t, label+".market")
	if long == short || hasPosition(st.Accounts[long], name) || hasPosition(st.Accounts[short], name) ||
		pmBreaks(st, st.Accounts[long], name) || pmBreaks(st, st.Accounts[short], name) {
		return
	}
	m := st.Markets[name]
	mark := st.Prices[name].Mark.Decimal
	// Size: a notional of 1% to 300% of the long's wallet times its leverage.
	acc := st.Accounts[long]
	lev := specutil.SettingOf(acc, name, m).Leverage.Decimal
	pct := rapid.SampledFrom([]int64{1, 10, 50, 90, 100, 150, 300}).Draw(t, label+".notionalPct")
	target := acc.WalletBalance.Mul(lev).Mul(dec(pct, -2))
	// At most 1e10 of notional: entry values and margins stay inside the
	// range (NUM-2) for the entry prices drawn below.
	target = decimal.Min(target, dec(1, 10))
	size := specutil.FloorGrid(target.Div(mark), m.LotSize)
	if size.Sign() <= 0 {
		size = m.LotSize
	}
	for _, side := range []struct {
		id string
		s  spec.Side
	}{{long, spec.Long}, {short, spec.Short}} {
		a := st.Accounts[side.id]
		set := specutil.SettingOf(a, name, m)
		entry := specutil.FloorGrid(mark.Mul(dec(rapid.Int64Range(900, 1100).Draw(t, label+"."+side.id+".entryPermille"), -3)), m.TickSize)
		if entry.Sign() <= 0 {
			entry = m.TickSize
		}
		p := spec.Position{Market: name, Side: side.s, Size: size, MarginMode: set.MarginMode, Leverage: set.Leverage}
		if rapid.IntRange(0, 3).Draw(t, label+"."+side.id+".entryValue") == 0 {
			// A cost basis off the price grid (an average of several fills).
			p.EntryValue = nd(size.Mul(entry).Add(units(rapid.Int64Range(1, 99).Draw(t, label+"."+side.id+".entryValueUnits"))))
		} else {
			p.EntryPrice = entry
		}
		if set.MarginMode == spec.Isolated {
			im := size.Mul(entry).Div(set.Leverage.Decimal).Truncate(8)
			p.IsolatedMargin = nd(im.Add(units(rapid.Int64Range(0, 1e9).Draw(t, label+"."+side.id+".extraMargin"))))
		}
		a.Positions = append(a.Positions, p)
		sort.Slice(a.Positions, func(i, j int) bool { return a.Positions[i].Market < a.Positions[j].Market })
		st.Accounts[side.id] = a
	}
}

func hasPosition(a spec.Account, market string) bool {
	for _, p := range a.Positions {
		if p.Market == market {
			return true
		}
	}
	return false
}

// EventKind is a kind of ledger event that LedgerEvent draws.
type EventKind string

// The event kinds.
const (
	Deposit              EventKind = "deposit"                // a deposit
	Withdraw             EventKind = "withdraw"               // a withdrawal, often of much of the wallet
	Open                 EventKind = "trade-open"             // a trade that opens or increases a position
	Reduce               EventKind = "trade-reduce"           // a trade that reduces, closes or flips one
	PriceMove            EventKind = "price"                  // a mark move of up to 25%
	PriceGap             EventKind = "price-gap"              // a mark gap of 50% to 100%
	PriceNearLiquidation EventKind = "price-near-liquidation" // a mark at or around a liquidation price
	Funding              EventKind = "funding"                // a funding payment (Config.Funding)
	Margin               EventKind = "margin"                 // an isolated margin change (Config.Isolated)
	Settings             EventKind = "settings"               // a leverage or margin-mode change
	Invalid              EventKind = "invalid"                // a trade with one broken field
	PriceSame            EventKind = "price-same"             // the current mark again (the sweep at a boundary setup)
	Boundary             EventKind = "boundary"               // an event on a comparison of LED-9, POOL-6, FND-1 or TIER-7 (boundary.go)
)

// EventKinds returns the kinds c allows, in a fixed order.
func EventKinds(c Config) []EventKind {
	ks := []EventKind{Deposit, Withdraw, Open, Reduce, PriceMove, PriceGap, PriceNearLiquidation, Settings, Invalid, PriceSame, Boundary}
	if c.Funding {
		ks = append(ks, Funding)
	}
	if c.Isolated {
		ks = append(ks, Margin)
	}
	return ks
}

// LedgerEvent generates an event for the state st (SPEC LED-5) of a kind
// that c allows: deposits and withdrawals, trades that open or increase a
// position sized against the buyer's wallet and leverage, trades that
// reduce, close or flip an existing position, mark moves of up to 25% and
// gaps of 50% to 100%, funding payments (inside and beyond the cap),
// isolated margin changes, leverage and margin-mode changes, and invalid
// events (one broken field). Most are valid; some are rejected by the
// ledger's own rules (TRD-5, POOL-6, LED-2), which the properties also check.
func LedgerEvent(st *spec.State, c Config) *rapid.Generator[spec.Event] {
	return rapid.Custom(func(t *rapid.T) spec.Event {
		kind := rapid.SampledFrom(EventKinds(c)).Draw(t, "kind")
		return drawEvent(t, st, c, kind)
	})
}

// LedgerEventOf is LedgerEvent for one kind of event.
func LedgerEventOf(st *spec.State, c Config, kind EventKind) *rapid.Generator[spec.Event] {
	return rapid.Custom(func(t *rapid.T) spec.Event { return drawEvent(t, st, c, kind) })
}

// drawEvent draws an event of the given kind for st.
func drawEvent(t *rapid.T, st *spec.State, c Config, kind EventKind) spec.Event {
	ids := slices.Sorted(maps.Keys(st.Accounts))
	markets := slices.Sorted(maps.Keys(st.Markets))
	market := rapid.SampledFrom(markets).Draw(t, "market")
	m := st.Markets[market]
	mark := specutil.Mark(st, market)
	acct := rapid.SampledFrom(ids).Draw(t, "account")
	amount := func(label string) decimal.NullDecimal {
		return nd(dec(rapid.SampledFrom([]int64{1, 10, 100, 1_000, 10_000}).Draw(t, label)*100+rapid.Int64Range(0, 99).Draw(t, label+"Cents"), -2))
	}
	switch kind {
	case Deposit:
		return spec.Event{Type: spec.EventDeposit, Account: acct, Amount: amount("amount")}
	case Withdraw:
		if w := st.Accounts[acct].WalletBalance; rapid.Bool().Draw(t, "walletFraction") && w.Sign() > 0 {
			// A large part of the wallet, where the limit of LED-9 (margin,
			// unrealized loss, not profit) decides.
			f := rapid.SampledFrom([]int64{30, 60, 90, 100}).Draw(t, "withdrawPct")
			if a := specutil.FloorGrid(w.Mul(dec(f, -2)), dec(1, -2)); a.Sign() > 0 {
				return spec.Event{Type: spec.EventWithdraw, Account: acct, Amount: nd(a)}
			}
		}
		return spec.Event{Type: spec.EventWithdraw, Account: acct, Amount: amount("amount")}
	case Open:
		seller := spec.InsuranceAccount // no margin check (LED-2): the trade mostly succeeds
		if rapid.IntRange(0, 2).Draw(t, "traderCounterparty") == 0 {
			seller = rapid.SampledFrom(ids).Draw(t, "counterparty")
		}
		if seller == acct {
			seller = spec.InsuranceAccount
		}
		buyer := acct
		if rapid.Bool().Draw(t, "sell") {
			buyer, seller = seller, buyer
		}
		a := st.Accounts[acct]
		lev := specutil.SettingOf(a, market, m).Leverage.Decimal
		pct := rapid.SampledFrom([]int64{1, 5, 10, 20, 30, 50, 70, 90, 100, 120}).Draw(t, "notionalPct")
		size := specutil.FloorGrid(a.WalletBalance.Mul(lev).Mul(dec(pct, -2)).Div(mark), m.LotSize)
		odds := 3 // one in four; one in two for an isolated position, whose margin the tier caps
		if specutil.SettingOf(a, market, m).MarginMode == spec.Isolated {
			odds = 1
		}
		// The tier boundaries the account can afford to cross (its initial
		// margin there at most 90% of its wallet).
		var reach []int
		for ti := 1; ti < len(m.Tiers) && ti <= 4; ti++ {
			l := decimal.Min(lev, m.Tiers[ti].MaxLeverage)
			if m.Tiers[ti].MinNotional.Div(l).LessThanOrEqual(a.WalletBalance.Mul(dec(9, -1))) {
				reach = append(reach, ti)
			}
		}
		if len(reach) > 0 && rapid.IntRange(0, odds).Draw(t, "atTierBoundary") == 0 {
			// A notional at (and a few lots beyond) a tier boundary, where
			// the maximum leverage and the MM rate change (TIER-7, TRD-3).
			ti := rapid.SampledFrom(reach).Draw(t, "tierBoundary")
			size = specutil.CeilGrid(m.Tiers[ti].MinNotional.Div(mark), m.LotSize).Add(m.LotSize.Mul(dec(rapid.Int64Range(0, 3).Draw(t, "lotsBeyond"), 0)))
		}
		if size.Sign() <= 0 {
			size = m.LotSize
		}
		return tradeEvent(t, market, m, mark, buyer, seller, size)
	case Reduce:
		// An account with a position in some market trades against it.
		var holders []string
		for _, id := range ids {
			if !specutil.SignedSize(st.Accounts[id], market).IsZero() {
				holders = append(holders, id)
			}
		}
		if len(holders) == 0 {
			return drawEvent(t, st, c, Open)
		}
		h := rapid.SampledFrom(holders).Draw(t, "holder")
		x := specutil.SignedSize(st.Accounts[h], market)
		var size decimal.Decimal
		switch rapid.IntRange(0, 3).Draw(t, "reduceKind") {
		case 0: // close
			size = x.Abs()
		case 1: // flip
			size = x.Abs().Add(m.LotSize.Mul(dec(rapid.Int64Range(1, 1000).Draw(t, "flipLots"), 0)))
		default: // partial reduce
			size = specutil.FloorGrid(x.Abs().Mul(dec(rapid.Int64Range(1, 99).Draw(t, "reducePct"), -2)), m.LotSize)
			if size.Sign() <= 0 {
				size = m.LotSize
			}
		}
		other := rapid.SampledFrom(append(ids, spec.InsuranceAccount)).Draw(t, "counterparty")
		if other == h {
			other = spec.InsuranceAccount
		}
		buyer, seller := h, other
		if x.Sign() > 0 {
			buyer, seller = other, h
		}
		return tradeEvent(t, market, m, mark, buyer, seller, size)
	case PriceMove, PriceGap:
		var pm int64
		if kind == PriceMove {
			pm = 1000 + rapid.SampledFrom([]int64{1, 1, 2, 2, 3, 4, 5, 7, 10, 20, 50, 100}).Draw(t, "markMovePermille")
			if rapid.Bool().Draw(t, "down") {
				pm = 2000 - pm
			}
		} else {
			pm = rapid.SampledFrom([]int64{500, 1500, 2000, 300, 1}).Draw(t, "gapPermille")
		}
		p := specutil.FloorGrid(mark.Mul(dec(pm, -3)), m.TickSize)
		if p.Sign() <= 0 {
			p = m.TickSize
		}
		return spec.Event{Type: spec.EventPrice, Market: market, Mark: nd(p)}
	case PriceSame:
		return priceSame(t, st)
	case Boundary:
		if ev, ok := boundaryEvent(t, st, c); ok {
			return ev
		}
		return drawEvent(t, st, c, Withdraw)
	case PriceNearLiquidation:
		if ev, ok := nearLiquidationPrice(t, st, c); ok {
			return ev
		}
		return drawEvent(t, st, c, PriceMove)
	case Funding:
		r := dec(rapid.SampledFrom([]int64{1, 10, 100, 375, 1_000, 10_000}).Draw(t, "rateMillionths"), -6)
		if rapid.Bool().Draw(t, "negative") {
			r = r.Neg()
		}
		return spec.Event{Type: spec.EventFunding, Market: market, Rate: nd(r)}
	case Margin:
		// Mostly an account and market with an isolated position.
		var iso [][2]string
		for _, id := range ids {
			for _, p := range st.Accounts[id].Positions {
				if p.MarginMode == spec.Isolated {
					iso = append(iso, [2]string{id, p.Market})
				}
			}
		}
		if len(iso) > 0 && rapid.IntRange(0, 3).Draw(t, "anyMarket") > 0 {
			x := rapid.SampledFrom(iso).Draw(t, "isolatedPosition")
			acct, market = x[0], x[1]
		}
		small := nd(dec(rapid.SampledFrom([]int64{1, 10, 100, 1_000, 10_000, 100_000, 1_000_000}).Draw(t, "marginAmount"), -6))
		if rapid.Bool().Draw(t, "remove") {
			return spec.Event{Type: spec.EventRemoveMargin, Account: acct, Market: market, Amount: small}
		}
		return spec.Event{Type: spec.EventAddMargin, Account: acct, Market: market, Amount: small}
	case Settings:
		if !c.Isolated || rapid.Bool().Draw(t, "leverage") {
			// Often an open position, and often a low leverage, so that
			// LED-9's check (a lowered leverage of an open position) runs.
			var open [][2]string
			for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
				for _, p := range st.Accounts[id].Positions {
					open = append(open, [2]string{id, p.Market})
				}
			}
			if len(open) > 0 && rapid.Bool().Draw(t, "openPosition") {
				x := rapid.SampledFrom(open).Draw(t, "leveragePosition")
				acct, market = x[0], x[1]
				m = st.Markets[market]
			}
			l := rapid.Int64Range(1, specutil.MaxLeverage(m)).Draw(t, "newLeverage")
			switch rapid.IntRange(0, 3).Draw(t, "leverageKind") {
			case 0:
				l = specutil.MaxLeverage(m)
			case 1:
				l = rapid.Int64Range(1, min(3, specutil.MaxLeverage(m))).Draw(t, "lowLeverage")
			}
			return spec.Event{Type: spec.EventSetLeverage, Account: acct, Market: market, Leverage: nd(dec(l, 0))}
		}
		modes := []spec.MarginMode{spec.Cross, spec.Isolated}
		if c.Portfolio && m.PortfolioMargin != nil {
			modes = append(modes, spec.Portfolio) // PM-14
		}
		mode := rapid.SampledFrom(modes).Draw(t, "marginMode")
		return spec.Event{Type: spec.EventSetMarginMode, Account: acct, Market: market, MarginMode: mode}
	default: // Invalid
		ev := drawEvent(t, st, c, Open)
		m := st.Markets[ev.Market]
		switch rapid.IntRange(0, 6).Draw(t, "broken") {
		case 0:
			ev.Buyer = "nobody"
		case 1:
			ev.Size = nd(ev.Size.Decimal.Add(m.LotSize.Div(dec(2, 0))))
		case 2:
			ev.Price = nd(ev.Price.Decimal.Add(m.TickSize.Div(dec(2, 0))))
		case 3:
			ev.Seller = ev.Buyer
		case 4:
			ev.Market = "NOPE"
		case 5:
			ev.Amount = nd(dec(1, 0)) // a field that does not belong to a trade
		default:
			ev.Size = nd(decimal.Zero)
		}
		return ev
	}
}

// tradeEvent is a trade of size in market at a price near the mark (on the
// tick grid), with the maker side drawn.
func tradeEvent(t *rapid.T, market string, m spec.Market, mark decimal.Decimal, buyer, seller string, size decimal.Decimal) spec.Event {
	pm := rapid.SampledFrom([]int64{1000, 999, 1001, 995, 1005, 980, 1020}).Draw(t, "pricePermille")
	p := specutil.FloorGrid(mark.Mul(dec(pm, -3)), m.TickSize)
	if p.Sign() <= 0 {
		p = m.TickSize
	}
	maker := rapid.SampledFrom([]string{"", "buyer", "seller"}).Draw(t, "maker")
	return spec.Event{Type: spec.EventTrade, Market: market, Buyer: buyer, Seller: seller, Size: nd(size), Price: nd(p), Maker: maker}
}

// nearLiquidationPrice is a price event that moves a market's mark to the
// liquidation price of one of the positions in it, one tick either side of
// it, between it and the bankruptcy price, or to the bankruptcy price
// (SPEC LIQ, BKR; computed with the oracle's query, Config.Evaluate, never
// the engine under test). ok is false when no position has a liquidation
// price.
func nearLiquidationPrice(t *rapid.T, st *spec.State, cfg Config) (spec.Event, bool) {
	type cand struct {
		market     string
		side       spec.Side
		liq, bankr decimal.NullDecimal
	}
	// The oracle is asked about one account at a time, starting at a drawn
	// one, until one has a liquidation price (it is the slow part).
	var ids []string
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		if len(st.Accounts[id].Positions) > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return spec.Event{}, false
	}
	first := rapid.IntRange(0, len(ids)-1).Draw(t, "nearLiquidationAccount")
	var cs []cand
	for k := range ids {
		if len(cs) > 0 {
			break
		}
		a := st.Accounts[ids[(first+k)%len(ids)]]
		rep, err := cfg.evaluate(specutil.AccountScenario(st, a))
		if err != nil {
			continue
		}
		for i, p := range rep.Positions {
			if p.LiquidationPrice.Valid {
				cs = append(cs, cand{a.Positions[i].Market, a.Positions[i].Side, p.LiquidationPrice, p.BankruptcyPrice})
			}
		}
	}
	if len(cs) == 0 {
		return spec.Event{}, false
	}
	c := cs[rapid.IntRange(0, len(cs)-1).Draw(t, "nearLiquidation")]
	tick := st.Markets[c.market].TickSize
	away := tick // one tick toward liquidation
	if c.side == spec.Long {
		away = away.Neg()
	}
	p := c.liq.Decimal
	switch rapid.IntRange(0, 4).Draw(t, "where") {
	case 0:
		p = p.Add(away)
	case 1:
		p = p.Sub(away)
	case 2:
		if c.bankr.Valid {
			p = specutil.FloorGrid(p.Add(c.bankr.Decimal).Div(dec(2, 0)), tick)
		}
	case 3:
		if c.bankr.Valid {
			p = c.bankr.Decimal
		}
	}
	if p.Sign() <= 0 {
		p = tick
	}
	return spec.Event{Type: spec.EventPrice, Market: c.market, Mark: nd(p)}, true
}

// LedgerRun generates a run file (SPEC LED: a state and events, the input
// of `perpcheck run`): a LedgerState and 1 to 40 LedgerEvent events, each
// drawn for the state that the events before it produce (tracked with the
// oracle's ledger, Config.NewLedger). Some events are rejected by the ledger's own
// rules (invalid fields, TRD-5, POOL-6, ...), as in the suite's own runs.
func LedgerRun(c Config) *rapid.Generator[*spec.Run] {
	return rapid.Custom(func(t *rapid.T) *spec.Run {
		st := LedgerState(c).Draw(t, "state")
		run := &spec.Run{State: *st.Clone()}
		l, err := c.newLedger(st.Clone())
		if err != nil {
			panic(fmt.Sprintf("gen: LedgerState generated a state the oracle rejects: %v", err))
		}
		cur := l.State()
		n := rapid.IntRange(1, 40).Draw(t, "events")
		for i := 0; i < n; i++ {
			ev := LedgerEvent(cur, c).Draw(t, "event")
			run.Events = append(run.Events, ev)
			if _, err := l.Apply(ev); err == nil {
				cur = l.State()
			}
		}
		return run
	})
}
