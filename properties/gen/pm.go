package gen

import (
	"fmt"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// PMConfig shapes PMScenario.
type PMConfig struct {
	// Underlyings is the largest number of risk units (1 when 0).
	Underlyings int
	// Isolated adds isolated positions beside the portfolio ones.
	Isolated bool
	// NearTrigger: every other draw sets the wallet so that the portfolio
	// pool's equity E is up(MM) - 1 unit, up(MM) or up(MM) + 1 unit (MM
	// exact, PM-10; E = MM exactly when MM is on the 1e-8 grid, which the
	// drawn rates and integer marks make it almost always), the two sides
	// of PM-10's strict trigger E < MM and of PM-11's already-liquidatable.
	// The wallet is left as drawn when it would be negative (ACC-1).
	NearTrigger bool
	// DownRootAtZero: every other draw not taken by NearTrigger sets the
	// wallet so that one unit's PM-11 loss line E(r) - A(r) (A the unit's
	// max(MR1, MR6) + MR4 + C) is 0 exactly at r = -1, all the unit's marks
	// at 0: K = E - (MM - MM_u) equal to the unit's net delta D_u, the
	// boundary of PM-11's r > -1 (a fully collateralized long's down
	// move). Left as drawn when the wallet would be negative or off the
	// 1e-8 grid.
	DownRootAtZero bool
}

func dnull(d decimal.Decimal) decimal.NullDecimal {
	return decimal.NullDecimal{Decimal: d, Valid: true}
}

// PMParams draws portfolio-margin parameters (SPEC PM-1): a grid of 1 to 7
// (fewer when draws repeat) distinct moves on the 0.01 grid in [-0.3, 0.3], rates on small grids, 1 to
// 3 minimum-charge bands with non-decreasing multipliers.
func PMParams() *rapid.Generator[*spec.PortfolioParams] {
	return rapid.Custom(func(t *rapid.T) *spec.PortfolioParams {
		n := rapid.IntRange(1, 7).Draw(t, "shocks")
		seen := map[int]bool{}
		var shocks []decimal.Decimal
		// At most 4n draws: a fuzzer's bitstream (rapid.MakeFuzz) that runs
		// out draws the same move forever, so an unbounded loop would hang.
		for tries := 0; len(shocks) < n && tries < 4*n; tries++ {
			k := rapid.IntRange(-30, 30).Draw(t, "shock")
			if !seen[k] {
				seen[k] = true
				shocks = append(shocks, decimal.New(int64(k), -2))
			}
		}
		pp := &spec.PortfolioParams{Shocks: shocks,
			ExtremeMove:       dnull(decimal.New(int64(rapid.IntRange(0, 50).Draw(t, "extreme")), -2)),
			ExtremeFraction:   dnull(decimal.New(int64(rapid.IntRange(0, 20).Draw(t, "fraction")), -1).Div(decimal.NewFromInt(2)).Round(2)),
			BasisRate:         dnull(decimal.New(int64(rapid.IntRange(0, 30).Draw(t, "basis")), -2)),
			ContingencyRate:   dnull(decimal.New(int64(rapid.IntRange(0, 5).Draw(t, "contingency")), -2)),
			MinimumChargeRate: dnull(decimal.New(int64(rapid.IntRange(0, 50).Draw(t, "rate")), -3)),
		}
		bands := rapid.IntRange(0, 3).Draw(t, "bands")
		lo, mult := int64(0), int64(1)
		for b := range bands {
			hi := lo + rapid.Int64Range(1, 100_000).Draw(t, "band")
			if b == bands-1 {
				hi = 92233720368
			}
			pp.MinimumChargeTiers = append(pp.MinimumChargeTiers, spec.ChargeTier{MinCharge: decimal.NewFromInt(lo), MaxCharge: decimal.NewFromInt(hi), Multiplier: decimal.NewFromInt(mult)})
			lo, mult = hi, mult+rapid.Int64Range(0, 4).Draw(t, "multStep")
		}
		if rapid.Bool().Draw(t, "imFactor") {
			pp.InitialMarginFactor = dnull(decimal.New(int64(rapid.IntRange(100, 300).Draw(t, "k")), -2))
		}
		return pp
	})
}

// PMScenario draws a valid account in portfolio mode (SPEC PM): 1 to
// c.Underlyings underlyings, each with 1 to 3 markets (perpetuals and dated
// futures) sharing one parameter set, integer marks (so that every move of
// the marks on the 1e-8 grid gives marks on the grid), sizes on a 0.001 lot.
func PMScenario(c PMConfig) *rapid.Generator[*spec.Scenario] {
	return rapid.Custom(func(t *rapid.T) *spec.Scenario {
		s := &spec.Scenario{Markets: map[string]spec.Market{}, Prices: map[string]spec.Price{}}
		nu := rapid.IntRange(1, max(1, c.Underlyings)).Draw(t, "underlyings")
		tiers := []spec.Tier{{MinNotional: decimal.Zero, MaxNotional: decimal.NewFromInt(1_000_000_000), MaintenanceMarginRate: decimal.RequireFromString("0.005"), MaxLeverage: decimal.NewFromInt(100)}}
		s.Account.WalletBalance = decimal.NewFromInt(rapid.Int64Range(0, 2_000_000).Draw(t, "wallet"))
		for u := range nu {
			und := []string{"BTC", "ETH", "SOL"}[u]
			pp := PMParams().Draw(t, "params")
			nm := rapid.IntRange(1, 3).Draw(t, "markets")
			for k := range nm {
				name := fmt.Sprintf("%s-%d", und, k)
				m := spec.Market{TickSize: decimal.RequireFromString("0.1"), LotSize: decimal.RequireFromString("0.001"), Tiers: tiers,
					Underlying: und, PortfolioMargin: pp.Clone(), MarginModes: []spec.MarginMode{spec.Cross, spec.Isolated, spec.Portfolio}}
				if k > 0 && rapid.Bool().Draw(t, "dated") {
					e := decimal.New(int64(rapid.IntRange(1, 100).Draw(t, "expiry")), -2)
					m.Expiry = &e
				}
				s.Markets[name] = m
				mark := rapid.Int64Range(1, 100_000).Draw(t, "mark")
				s.Prices[name] = spec.Price{Mark: dnull(decimal.NewFromInt(mark))}
				if k > 0 && !rapid.Bool().Draw(t, "position") {
					continue
				}
				side := spec.Long
				if rapid.Bool().Draw(t, "short") {
					side = spec.Short
				}
				mode := spec.Portfolio
				if c.Isolated && rapid.IntRange(0, 4).Draw(t, "iso") == 0 {
					mode = spec.Isolated
				}
				ep := max(1, mark+rapid.Int64Range(-mark/5, mark/5).Draw(t, "entryOffset"))
				s.Account.Positions = append(s.Account.Positions, spec.Position{Market: name, Side: side, MarginMode: mode,
					Size:       decimal.New(rapid.Int64Range(1, 100_000).Draw(t, "size"), -3),
					EntryPrice: decimal.NewFromInt(ep)})
			}
		}
		// Positions in any order (PM-3 reports units in byte order of
		// underlying whatever the positions' order; PM-2 reports at the
		// later position).
		s.Account.Positions = rapid.Permutation(s.Account.Positions).Draw(t, "positionOrder")
		if c.NearTrigger && rapid.Bool().Draw(t, "nearTrigger") {
			st := accountState(s)
			if setBase(st, "", "", specutil.UpUnits(specutil.Pool(st, s.Account, "").MM).Add(delta(t, "triggerDelta"))) {
				s.Account = st.Accounts[""]
			}
		} else if c.DownRootAtZero && rapid.Bool().Draw(t, "downRootAtZero") {
			downRootAtZero(t, s)
		}
		return s
	})
}

// downRootAtZero sets s's wallet so that a drawn unit u has K = E - (MM -
// MM_u) = D_u, its net delta (PM-11: the unit's loss line crosses 0 at r =
// -1), when that wallet is >= 0 and on the 1e-8 grid.
func downRootAtZero(t *rapid.T, s *spec.Scenario) {
	st := accountState(s)
	mm, _, units := specutil.PortfolioMargins(st, s.Account)
	u := units[rapid.IntRange(0, len(units)-1).Draw(t, "downRootUnit")]
	// E = D_u + MM - MM_u makes K = D_u (on the 1e-8 grid, NUM-1).
	if e := u.D.Add(mm).Sub(u.MM); e.Equal(e.Truncate(8)) && setBase(st, "", "", e) {
		s.Account = st.Accounts[""]
	}
}

// accountState is s as a ledger state whose one account, "", is s's (for
// the pool helpers of boundary.go and specutil, which take states).
func accountState(s *spec.Scenario) *spec.State {
	return &spec.State{Markets: s.Markets, Prices: s.Prices, Accounts: map[string]spec.Account{"": s.Account}}
}
