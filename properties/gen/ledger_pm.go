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
)

// specutilSetting is the account's effective setting for market (LED-2).
func specutilSetting(a spec.Account, market string, m spec.Market) spec.AccountSettings {
	return specutil.SettingOf(a, market, m)
}

// The portfolio-margin parts of the ledger generators (SPEC PM-14..PM-18),
// drawn only when Config.Portfolio: PM markets beside the Binance ones,
// portfolio settings, and the repair that keeps generated states valid
// under PM-2.

// pmLedgerMarkets are the PM markets of generated ledger states: a BTC
// perpetual and a BTC future (a quarter to expiry) sharing one underlying,
// so that a perp/future hedge is one risk unit, and an ETH perpetual, its
// own unit; with a reference mark of their size.
var pmLedgerMarkets = []struct {
	name, underlying string
	expiry           string
	mark             int64
	tick, lot        string
}{
	{"BTC-FUT", "BTC", "0.25", 60000, "0.1", "0.001"},
	{"BTC-PERP", "BTC", "", 60000, "0.1", "0.001"},
	{"ETH-PERP", "ETH", "", 3000, "0.01", "0.01"},
}

// pmLedgerParams draws an underlying's PM-1 parameters: OKX's 2025 BTC grid
// (0, +-4, +-8, +-12%) with a SPAN-style extreme move (30% at 35%), a 2%
// basis, Deribit's 1% contingency and a two-band minimum charge; a plain
// +-10% grid with the contingency only; or PMParams' random set.
func pmLedgerParams(t *rapid.T, label string) *spec.PortfolioParams {
	switch rapid.IntRange(0, 2).Draw(t, label+".pmParams") {
	case 0:
		return &spec.PortfolioParams{
			Shocks:      []decimal.Decimal{dec(0, 0), dec(-4, -2), dec(4, -2), dec(-8, -2), dec(8, -2), dec(-12, -2), dec(12, -2)},
			ExtremeMove: nd(dec(3, -1)), ExtremeFraction: nd(dec(35, -2)), BasisRate: nd(dec(2, -2)),
			ContingencyRate: nd(dec(1, -2)), MinimumChargeRate: nd(dec(1, -3)),
			MinimumChargeTiers: []spec.ChargeTier{
				{MinCharge: dec(0, 0), MaxCharge: dec(10_000, 0), Multiplier: dec(1, 0)},
				{MinCharge: dec(10_000, 0), MaxCharge: dec(92_233_720_368, 0), Multiplier: dec(2, 0)}},
			InitialMarginFactor: nd(dec(13, -1)),
		}
	case 1:
		return &spec.PortfolioParams{Shocks: []decimal.Decimal{dec(-1, -1), dec(0, 0), dec(1, -1)}, ContingencyRate: nd(dec(1, -2))}
	}
	return PMParams().Draw(t, label+".pmRandom")
}

// addPMMarkets adds, when c.Portfolio and two times in three, the PM
// markets to st with their marks (the reference moved by up to +-5%, on the
// tick grid): two-tier tables, a 0.5% liquidation fee, trading fees drawn,
// one parameter set per underlying (PM-2).
func addPMMarkets(t *rapid.T, c Config, st *spec.State) {
	if !c.Portfolio || rapid.IntRange(0, 2).Draw(t, "pmMarkets") == 0 {
		return
	}
	putPMMarkets(t, c, st)
}

// putPMMarkets adds the PM markets to st (addPMMarkets without the draw).
func putPMMarkets(t *rapid.T, c Config, st *spec.State) {
	params := map[string]*spec.PortfolioParams{}
	modes := []spec.MarginMode{spec.Cross, spec.Portfolio}
	if c.Isolated {
		modes = []spec.MarginMode{spec.Cross, spec.Isolated, spec.Portfolio}
	}
	for _, pm := range pmLedgerMarkets {
		pp, ok := params[pm.underlying]
		if !ok {
			pp = pmLedgerParams(t, pm.underlying)
			params[pm.underlying] = pp
		}
		m := spec.Market{
			TickSize: onGrid(decimal.RequireFromString(pm.tick), c.PriceGrid), LotSize: onGrid(decimal.RequireFromString(pm.lot), c.SizeGrid),
			Tiers: []spec.Tier{
				{MinNotional: dec(0, 0), MaxNotional: dec(5_000_000, 0), MaintenanceMarginRate: dec(1, -2), MaxLeverage: dec(50, 0)},
				{MinNotional: dec(5_000_000, 0), MaxNotional: dec(100_000_000, 0), MaintenanceMarginRate: dec(25, -3), MaxLeverage: dec(20, 0)}},
			LiquidationFeeRate: nd(dec(5, -3)),
			MarginModes:        slices.Clone(modes),
			Underlying:         pm.underlying,
			PortfolioMargin:    pp.Clone(),
		}
		if pm.expiry != "" {
			e := decimal.RequireFromString(pm.expiry)
			m.Expiry = &e
		}
		for _, f := range []*decimal.NullDecimal{&m.MakerFeeRate, &m.TakerFeeRate} {
			if v := rapid.SampledFrom([]int64{-1, 0, 2, 5}).Draw(t, pm.name+".fee"); v >= 0 {
				*f = nd(dec(v, -4))
			}
		}
		st.Markets[pm.name] = m
		f := dec(rapid.Int64Range(950, 1050).Draw(t, pm.name+".markPermille"), -3)
		st.Prices[pm.name] = spec.Price{Mark: nd(floorTo(dec(pm.mark, 0).Mul(f), m.TickSize))}
	}
}

// floorTo is x rounded down to a multiple of step.
func floorTo(x, step decimal.Decimal) decimal.Decimal {
	return x.Div(step).Floor().Mul(step)
}

// pmSetting draws, for a market with portfolioMargin when c.Portfolio,
// whether the account's setting is portfolio (one time in two).
func pmSetting(t *rapid.T, c Config, m spec.Market, label string) bool {
	return c.Portfolio && m.PortfolioMargin != nil && rapid.Bool().Draw(t, label+".portfolio")
}

// pmBreaks reports whether a position of a in market (with its setting's
// mode) would break PM-2: a portfolio position beside a cross one.
func pmBreaks(st *spec.State, a spec.Account, market string) bool {
	mode := spec.Cross
	if s, ok := a.Settings[market]; ok && s.MarginMode != "" {
		mode = s.MarginMode
	}
	for _, p := range a.Positions {
		if (mode == spec.Portfolio && p.MarginMode == spec.Cross) || (mode == spec.Cross && p.MarginMode == spec.Portfolio) {
			return true
		}
	}
	return false
}

// pmRepair keeps PM-2 after setups that add cross positions (boundary.go):
// an account that holds both cross and portfolio positions has its
// portfolio positions and settings made cross (every PM market offers
// cross).
func pmRepair(st *spec.State) {
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		a := st.Accounts[id]
		cross, pm := false, false
		for _, p := range a.Positions {
			cross = cross || p.MarginMode == spec.Cross
			pm = pm || p.MarginMode == spec.Portfolio
		}
		if !cross || !pm {
			continue
		}
		a.Positions = slices.Clone(a.Positions)
		for i := range a.Positions {
			if a.Positions[i].MarginMode == spec.Portfolio {
				a.Positions[i].MarginMode = spec.Cross
				s := a.Settings[a.Positions[i].Market]
				s.MarginMode = spec.Cross
				a.Settings[a.Positions[i].Market] = s
			}
		}
		st.Accounts[id] = a
	}
}

// PMLedgerState generates a ledger state built for the portfolio-margin
// ledger (SPEC PM-14..18): the PM markets only (a BTC perpetual and future
// on one underlying, an ETH perpetual), two to four traders of whom most
// choose portfolio on every PM market (the others stay cross), wallets from
// 1,000 to 1,000,000, one to four matched position pairs (PM-2 kept), and,
// half the time, a perp/future hedge: a portfolio account long one BTC
// market and short the other, the same size, against other accounts.
func PMLedgerState(c Config) *rapid.Generator[*spec.State] {
	return rapid.Custom(func(t *rapid.T) *spec.State {
		c.Portfolio = true
		st := &spec.State{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{}, Accounts: map[string]spec.Account{}}
		putPMMarkets(t, c, st)
		na := rapid.IntRange(2, len(traderIDs)).Draw(t, "accounts")
		for _, id := range traderIDs[:na] {
			acc := spec.Account{
				WalletBalance: dec(rapid.SampledFrom([]int64{1_000, 10_000, 100_000, 1_000_000}).Draw(t, id+".wallet")*100+rapid.Int64Range(0, 99).Draw(t, id+".walletCents"), -2),
				Settings:      map[string]spec.AccountSettings{},
			}
			if rapid.IntRange(0, 3).Draw(t, id+".mode") > 0 {
				lev := rapid.SampledFrom([]int64{1, 5, 20, 50}).Draw(t, id+".leverage")
				for _, pm := range pmLedgerMarkets {
					acc.Settings[pm.name] = spec.AccountSettings{MarginMode: spec.Portfolio, Leverage: nd(dec(lev, 0))}
				}
			}
			st.Accounts[id] = acc
		}
		fund := rapid.SampledFrom([]int64{0, 1_000, 1_000_000, 1_000_000_000}).Draw(t, "insuranceFund")
		if !c.ADL {
			fund = 1_000_000_000
		}
		st.InsuranceFund = spec.Account{WalletBalance: dec(fund, 0)}
		pairs := rapid.IntRange(1, 4).Draw(t, "pairs")
		for i := 0; i < pairs; i++ {
			addPositionPair(t, st, fmt.Sprintf("pair%d", i))
		}
		if rapid.Bool().Draw(t, "hedge") {
			addPMHedge(t, st)
		}
		return st
	})
}

// addPMHedge gives a portfolio account with a position in one BTC market
// and none in the other the opposite position of the same size there, with
// an account that is flat there (and keeps PM-2) on the other side.
func addPMHedge(t *rapid.T, st *spec.State) {
	ids := slices.Sorted(maps.Keys(st.Accounts))
	h := rapid.SampledFrom(ids).Draw(t, "hedger")
	a := st.Accounts[h]
	var held *spec.Position
	for i := range a.Positions {
		if p := &a.Positions[i]; p.MarginMode == spec.Portfolio && (p.Market == "BTC-PERP" || p.Market == "BTC-FUT") {
			held = p
		}
	}
	if held == nil {
		return
	}
	other := "BTC-FUT"
	if held.Market == "BTC-FUT" {
		other = "BTC-PERP"
	}
	if hasPosition(a, other) || pmBreaks(st, a, other) {
		return
	}
	var cps []string
	for _, id := range ids {
		if id != h && !hasPosition(st.Accounts[id], other) && !pmBreaks(st, st.Accounts[id], other) {
			cps = append(cps, id)
		}
	}
	if len(cps) == 0 {
		return
	}
	cp := rapid.SampledFrom(cps).Draw(t, "hedgeCounterparty")
	mark := st.Prices[other].Mark.Decimal
	side, cside := spec.Short, spec.Long
	if held.Side == spec.Short {
		side, cside = spec.Long, spec.Short
	}
	for _, x := range []struct {
		id string
		s  spec.Side
	}{{h, side}, {cp, cside}} {
		acc := st.Accounts[x.id]
		set := specutilSetting(acc, other, st.Markets[other])
		acc.Positions = append(acc.Positions, spec.Position{Market: other, Side: x.s, Size: held.Size, EntryPrice: mark, MarginMode: set.MarginMode, Leverage: set.Leverage})
		sort.Slice(acc.Positions, func(i, j int) bool { return acc.Positions[i].Market < acc.Positions[j].Market })
		st.Accounts[x.id] = acc
	}
}
