package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// universe is a set of Binance USDⓈ-M markets (real October 2024 tier
// tables from venue's binance profile) with synthetic mark prices.
type universe struct {
	// Names are the market names in ascending byte order: the market
	// indices of model.Portfolio.MarketIndex and of the kernels.
	Names []string
	// Index maps a name to its index in Names.
	Index map[string]int
	// Markets are the venue markets, by name.
	Markets map[string]spec.Market
	// Marks are the initial mark prices, by name.
	Marks map[string]decimal.Decimal
	// order is the order in which the symbols were chosen (BTCUSDT first).
	order []string
}

// realMarks are plausible marks (October 2024 levels) for the symbols whose
// tick and lot the venue profile has, plus a few majors; other symbols get a
// synthetic mark.
var realMarks = map[string]string{
	"BTCUSDT":  "67250.5",
	"ETHUSDT":  "2650.25",
	"LTCUSDT":  "72.31",
	"ADAUSDT":  "0.3512",
	"XRPUSDT":  "0.5431",
	"DOGEUSDT": "0.12345",
	"TRXUSDT":  "0.16012",
	"SOLUSDT":  "145.37",
	"BNBUSDT":  "580.2",
	"LINKUSDT": "11.83",
}

// scanSymbols are the ten markets of the scan universe; every scan account
// holds a position in the first (BTCUSDT), the market whose mark moves.
var scanSymbols = []string{"BTCUSDT", "ETHUSDT", "LTCUSDT", "ADAUSDT", "XRPUSDT",
	"DOGEUSDT", "TRXUSDT", "SOLUSDT", "BNBUSDT", "LINKUSDT"}

// binanceSymbols returns n USDT-settled perpetual symbols of the binance
// profile: BTCUSDT and ETHUSDT first, then the others in byte order.
func binanceSymbols(n int) ([]string, error) {
	var prof *venue.Profile
	ps := venue.Profiles()
	for i := range ps {
		if ps[i].Venue == "binance" {
			prof = &ps[i]
		}
	}
	if prof == nil {
		return nil, fmt.Errorf("bench: no binance profile")
	}
	out := []string{"BTCUSDT", "ETHUSDT"}
	var rest []string
	for name := range prof.Markets {
		if strings.HasSuffix(name, "USDT") && !strings.Contains(name, "_") && name != "BTCUSDT" && name != "ETHUSDT" {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	out = append(out, rest...)
	if n > len(out) {
		return nil, fmt.Errorf("bench: only %d binance USDT perpetuals, want %d", len(out), n)
	}
	return out[:n], nil
}

// newUniverse returns the universe of the given symbols (looked up in the
// binance profile).
func newUniverse(symbols []string) (*universe, error) {
	u := &universe{Index: map[string]int{}, Markets: map[string]spec.Market{}, Marks: map[string]decimal.Decimal{}}
	for k, sym := range symbols {
		m, err := venue.Lookup("binance", sym)
		if err != nil {
			return nil, err
		}
		u.Markets[sym] = m
		if s, ok := realMarks[sym]; ok {
			u.Marks[sym] = decimal.RequireFromString(s)
		} else {
			// A synthetic mark between 0.5 and ~330 with 4 decimals.
			u.Marks[sym] = decimal.New(5000+31700*int64(k%104), -4)
		}
		u.Names = append(u.Names, sym)
		u.order = append(u.order, sym)
	}
	sort.Strings(u.Names)
	for i, n := range u.Names {
		u.Index[n] = i
	}
	return u, nil
}

// healthUniverse returns a universe of n Binance USDT perpetuals.
func healthUniverse(n int) (*universe, error) {
	syms, err := binanceSymbols(n)
	if err != nil {
		return nil, err
	}
	return newUniverse(syms)
}

// sizeStep is the step sizes are rounded to: the market's lot, or for a
// market with the placeholder lot 1e-8 a realistic step for its price.
func sizeStep(m spec.Market, mark decimal.Decimal) decimal.Decimal {
	if m.LotSize.GreaterThan(decimal.New(1, -8)) {
		return m.LotSize
	}
	switch {
	case mark.GreaterThanOrEqual(decimal.NewFromInt(1000)):
		return decimal.New(1, -3)
	case mark.GreaterThanOrEqual(decimal.NewFromInt(10)):
		return decimal.New(1, -2)
	default:
		return decimal.NewFromInt(1)
	}
}

// sizeFor returns the largest multiple of the size step whose notional at
// the mark is at most target (at least one step).
func (u *universe) sizeFor(sym string, target float64) decimal.Decimal {
	mark := u.Marks[sym]
	step := sizeStep(u.Markets[sym], mark)
	q := decimal.NewFromFloat(target).Div(mark).Div(step).Floor()
	if q.Sign() <= 0 {
		q = decimal.NewFromInt(1)
	}
	return q.Mul(step)
}

// priceNear returns mark*factor rounded down to the market's tick.
func (u *universe) priceNear(sym string, factor float64) decimal.Decimal {
	tick := u.Markets[sym].TickSize
	p := u.Marks[sym].Mul(decimal.NewFromFloat(factor)).Div(tick).Floor().Mul(tick)
	if p.Sign() <= 0 {
		p = tick
	}
	return p
}

// Scenario returns a scenario with u's markets and marks restricted to the
// markets acc has positions in, and acc as its account (not copied).
func (u *universe) Scenario(acc spec.Account) *spec.Scenario {
	s := &spec.Scenario{
		Markets: make(map[string]spec.Market, len(acc.Positions)),
		Prices:  make(map[string]spec.Price, len(acc.Positions)),
		Account: acc,
	}
	for _, p := range acc.Positions {
		s.Markets[p.Market] = u.Markets[p.Market]
		s.Prices[p.Market] = spec.Price{Mark: decimal.NewNullDecimal(u.Marks[p.Market])}
	}
	return s
}

// NewBook returns accounts in one model.Book over all of u's markets and
// marks (impl=book of the scan benchmarks).
func (u *universe) NewBook(accounts []spec.Account) (*model.Book, error) {
	ms := make(map[string]spec.Market, len(u.Names))
	ps := make(map[string]spec.Price, len(u.Names))
	for _, n := range u.Names {
		ms[n] = u.Markets[n]
		ps[n] = spec.Price{Mark: decimal.NewNullDecimal(u.Marks[n])}
	}
	return model.NewBook(ms, ps, accounts)
}

// HealthAccount is the account of the health benchmarks: n cross positions,
// one on each market of u (in u's symbol order, BTCUSDT first), longs and
// shorts alternating, notionals cycling from 9,000 to 3,500,000 USDT (tiers
// 1 to 4 of Binance's tables), entries within a few percent of the mark,
// default leverage, and a wallet of 6% of the total notional.
func (u *universe) HealthAccount(n int) spec.Account {
	targets := []float64{25_000, 180_000, 45_000, 900_000, 9_000, 3_500_000}
	longF := []float64{0.97, 1.01, 0.985}
	shortF := []float64{1.03, 0.99, 1.02}
	var acc spec.Account
	total := decimal.Zero
	for i := 0; i < n; i++ {
		sym := u.order[i]
		p := spec.Position{Market: sym, Side: spec.Long, MarginMode: spec.Cross,
			Size: u.sizeFor(sym, targets[i%len(targets)])}
		if i%2 == 0 {
			p.EntryPrice = u.priceNear(sym, longF[(i/2)%3])
		} else {
			p.Side = spec.Short
			p.EntryPrice = u.priceNear(sym, shortF[(i/2)%3])
		}
		total = total.Add(p.Size.Mul(u.Marks[sym]))
		acc.Positions = append(acc.Positions, p)
	}
	acc.WalletBalance = total.Mul(decimal.RequireFromString("0.06")).Round(2)
	return acc
}

// LiqAccount is the account of the liquidation-price benchmarks; the solved
// position is position 0 (a BTCUSDT long). "isolated": one isolated BTCUSDT
// long of 0.75 BTC at 20x with 3,000 USDT margin. "cross": three cross
// positions (BTCUSDT long 1.5, ETHUSDT short 20, SOLUSDT long 300) and a
// wallet of 12,000 USDT, so the other positions' PnL and MM enter K (LIQ-8).
func (u *universe) LiqAccount(mode spec.MarginMode) spec.Account {
	d := decimal.RequireFromString
	lev := decimal.NewNullDecimal(d("20"))
	if mode == spec.Isolated {
		return spec.Account{WalletBalance: d("10000"), Positions: []spec.Position{{
			Market: "BTCUSDT", Side: spec.Long, Size: d("0.75"), EntryPrice: d("66000.0"),
			MarginMode: spec.Isolated, Leverage: lev, IsolatedMargin: decimal.NewNullDecimal(d("3000")),
		}}}
	}
	return spec.Account{WalletBalance: d("12000"), Positions: []spec.Position{
		{Market: "BTCUSDT", Side: spec.Long, Size: d("1.5"), EntryPrice: d("66000.0"), MarginMode: spec.Cross, Leverage: lev},
		{Market: "ETHUSDT", Side: spec.Short, Size: d("20"), EntryPrice: d("2600.00"), MarginMode: spec.Cross, Leverage: lev},
		{Market: "SOLUSDT", Side: spec.Long, Size: d("300"), EntryPrice: d("150.12"), MarginMode: spec.Cross, Leverage: lev},
	}}
}

// scanUniverse returns the universe of scanSymbols.
func scanUniverse() (*universe, error) { return newUniverse(scanSymbols) }

// ScanMarks are the two BTCUSDT marks the scan alternates between: 4% below
// and 4% above the initial mark (each scan is one mark update, and shorts
// and longs both get liquidated).
func (u *universe) ScanMarks() [2]decimal.Decimal {
	return [2]decimal.Decimal{u.priceNear("BTCUSDT", 0.96), u.priceNear("BTCUSDT", 1.04)}
}

// ScanAccount returns account i of the scan (deterministic in seed and i): a
// BTCUSDT position and two positions on two other markets of scanSymbols,
// random sides, notionals log-uniform in [2,000, 400,000) USDT, entries
// within 6% of the mark, cross margin at 20x (Binance's default), and a
// wallet that puts the maintenance margin ratio between about 25% and 98%
// at the initial marks, so that a 4% BTCUSDT move liquidates some accounts.
func (u *universe) ScanAccount(seed uint64, i int) spec.Account {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	syms := []string{scanSymbols[0]}
	perm := r.Perm(len(scanSymbols) - 1)
	syms = append(syms, scanSymbols[1+perm[0]], scanSymbols[1+perm[1]])
	acc := spec.Account{Positions: make([]spec.Position, 0, len(syms))}
	var upnl, mm float64
	for _, sym := range syms {
		target := math.Exp(math.Log(2000) + r.Float64()*math.Log(200))
		p := spec.Position{Market: sym, Side: spec.Long, MarginMode: spec.Cross,
			Size: u.sizeFor(sym, target), EntryPrice: u.priceNear(sym, 0.94+0.12*r.Float64())}
		s := 1.0
		if r.IntN(2) == 1 {
			p.Side, s = spec.Short, -1
		}
		q, ep, mp := p.Size.InexactFloat64(), p.EntryPrice.InexactFloat64(), u.Marks[sym].InexactFloat64()
		upnl += s * q * (mp - ep)
		mm += floatMM(u.Markets[sym].Tiers, q*mp)
		acc.Positions = append(acc.Positions, p)
	}
	// E = wallet + U = MM / ratio, ratio in [0.25, 0.98).
	ratio := 0.25 + 0.73*r.Float64()
	w := mm/ratio - upnl
	if w < 0 {
		w = 0
	}
	acc.WalletBalance = decimal.NewFromFloat(w).RoundCeil(2)
	return acc
}

// floatMM is MM(N) of TIER-8 in float64 (used only to generate accounts).
func floatMM(tiers []spec.Tier, n float64) float64 {
	t := 0
	for t+1 < len(tiers) && n >= tiers[t+1].MinNotional.InexactFloat64() {
		t++
	}
	return n*tiers[t].MaintenanceMarginRate.InexactFloat64() - tiers[t].MaintenanceAmount.Decimal.InexactFloat64()
}

// defaultLeverage is POS-4's default: min(20, maxLeverage_1).
func defaultLeverage(m spec.Market) decimal.Decimal {
	return decimal.Min(decimal.NewFromInt(20), m.Tiers[0].MaxLeverage)
}

// cumOf returns the maintenance amounts of a tier table: the given ones, or
// the TIER-6 recursion where absent.
func cumOf(tiers []spec.Tier) []decimal.Decimal {
	out := make([]decimal.Decimal, len(tiers))
	for t, tr := range tiers {
		switch {
		case tr.MaintenanceAmount.Valid:
			out[t] = tr.MaintenanceAmount.Decimal
		case t > 0:
			out[t] = out[t-1].Add(tr.MinNotional.Mul(tr.MaintenanceMarginRate.Sub(tiers[t-1].MaintenanceMarginRate)))
		}
	}
	return out
}

// liqUniverse returns the universe of the liquidation-price benchmarks.
func liqUniverse() (*universe, error) {
	return newUniverse([]string{"BTCUSDT", "ETHUSDT", "SOLUSDT"})
}

// scanSeed seeds ScanAccount in the benchmarks and tests.
const scanSeed = 20241001

// healthMarks are the two BTCUSDT marks the health benchmarks alternate
// between (1% below and above the initial mark), so that every benchmark
// operation is a mark update followed by a health check.
func healthMarks(u *universe) [2]decimal.Decimal {
	return [2]decimal.Decimal{u.priceNear("BTCUSDT", 0.99), u.priceNear("BTCUSDT", 1.01)}
}
