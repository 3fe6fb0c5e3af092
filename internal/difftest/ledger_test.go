package difftest

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

var accountIDs = []string{"a", "b", "c", "d"}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func nd(s string) decimal.NullDecimal { return decimal.NewNullDecimal(dec(s)) }

func units(r *rand.Rand, lo, hi int64, exp int32) decimal.NullDecimal {
	return decimal.NewNullDecimal(decimal.New(lo+r.Int64N(hi-lo+1), exp))
}

// initialState is two markets with Binance-like brackets, four funded flat
// accounts and an insurance fund of random size (sometimes empty, for ADL).
func initialState(r *rand.Rand) *spec.State {
	tiers := binanceBTCTiers()
	flat := []spec.Tier{{MinNotional: dec("0"), MaxNotional: dec("10000000"), MaintenanceMarginRate: dec("0.05"), MaxLeverage: dec("10")}}
	st := &spec.State{
		Markets: map[string]spec.Market{
			"BTC": {TickSize: dec("0.1"), LotSize: dec("0.001"), Tiers: tiers,
				LiquidationFeeRate: nd("0.0125"), TakerFeeRate: nd("0.0005"), MakerFeeRate: nd("0.0002"), FundingRateCap: nd("0.003")},
			"XRP": {TickSize: dec("0.0001"), LotSize: dec("1"), Tiers: flat, MMBasis: spec.BasisEntry,
				LiquidationFeeRate: nd("0.01")},
		},
		Prices: map[string]spec.Price{
			"BTC": {Mark: nd("60000")},
			"XRP": {Mark: nd("1")},
		},
		Accounts:      map[string]spec.Account{},
		InsuranceFund: spec.Account{WalletBalance: decimal.New(r.Int64N(3)*r.Int64N(5000), 0)},
	}
	for _, id := range accountIDs {
		st.Accounts[id] = spec.Account{WalletBalance: decimal.New(100+r.Int64N(20000), 0)}
	}
	return st
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// randomEvent draws an event; about half of them are valid.
func randomEvent(r *rand.Rand, marks map[string]decimal.Decimal) spec.Event {
	m := pick(r, []string{"BTC", "XRP"})
	acct := pick(r, accountIDs)
	switch r.IntN(10) {
	case 0:
		return spec.Event{Type: spec.EventDeposit, Account: acct, Amount: units(r, 1, 500000, -2)}
	case 1:
		return spec.Event{Type: spec.EventWithdraw, Account: acct, Amount: units(r, 1, 500000, -2)}
	case 2, 3, 4:
		buyer, seller := acct, pick(r, append(accountIDs, spec.InsuranceAccount))
		// Trade near the mark, on the tick grid.
		var size, price decimal.NullDecimal
		if m == "BTC" {
			size = units(r, 1, 300, -3)
			p := marks[m].Mul(decimal.New(95+r.Int64N(11), -2)).Round(1)
			price = decimal.NewNullDecimal(p)
		} else {
			size = units(r, 1, 5000, 0)
			p := marks[m].Mul(decimal.New(95+r.Int64N(11), -2)).Round(4)
			price = decimal.NewNullDecimal(p)
		}
		maker := pick(r, []string{"", "buyer", "seller"})
		return spec.Event{Type: spec.EventTrade, Market: m, Buyer: buyer, Seller: seller, Size: size, Price: price, Maker: maker}
	case 5, 6:
		// A price move of up to +-20%, sometimes a gap of 50%.
		f := decimal.New(80+r.Int64N(41), -2)
		if r.IntN(8) == 0 {
			f = pick(r, []decimal.Decimal{dec("0.5"), dec("1.5")})
		}
		p := marks[m].Mul(f)
		if m == "BTC" {
			p = p.Round(1)
		} else {
			p = p.Round(4)
		}
		if p.Sign() <= 0 {
			p = dec("1")
		}
		return spec.Event{Type: spec.EventPrice, Market: m, Mark: decimal.NewNullDecimal(p)}
	case 7:
		return spec.Event{Type: spec.EventFunding, Market: m, Rate: decimal.NewNullDecimal(decimal.New(r.Int64N(2001)-1000, -6))}
	case 8:
		if r.IntN(2) == 0 {
			return spec.Event{Type: spec.EventAddMargin, Account: acct, Market: m, Amount: units(r, 1, 100000, -2)}
		}
		return spec.Event{Type: spec.EventRemoveMargin, Account: acct, Market: m, Amount: units(r, 1, 100000, -2)}
	default:
		if r.IntN(2) == 0 {
			return spec.Event{Type: spec.EventSetLeverage, Account: acct, Market: m, Leverage: units(r, 1, 20, 0)}
		}
		return spec.Event{Type: spec.EventSetMarginMode, Account: acct, Market: m, MarginMode: pick(r, []spec.MarginMode{spec.Cross, spec.Isolated})}
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func errKey(err error) string {
	if err == nil {
		return "ok"
	}
	if e, ok := err.(*spec.Error); ok {
		return e.Path + " " + e.Rule
	}
	return "non-model error: " + err.Error()
}

// TestLedgerModelEqualsReference applies the same random event sequences to both
// ledgers and requires identical effects, error Path/Rule, and states after every
// event, plus LED-4 conservation on both. LEDGER_DIFF_N sets the number of runs.
func TestLedgerModelEqualsReference(t *testing.T) {
	runs, steps := 200, 40
	if testing.Short() {
		runs = 40
	}
	if v := os.Getenv("LEDGER_DIFF_N"); v != "" {
		runs, _ = strconv.Atoi(v)
	}
	applied, rejected, liquidations := 0, 0, 0
	for run := 0; run < runs; run++ {
		r := rand.New(rand.NewPCG(uint64(run), 99))
		st := initialState(r)
		ml, err := model.NewLedger(st)
		if err != nil {
			t.Fatalf("run %d: model.NewLedger: %v", run, err)
		}
		rl, err := reference.NewLedger(st)
		if err != nil {
			t.Fatalf("run %d: reference.NewLedger: %v", run, err)
		}
		marks := map[string]decimal.Decimal{"BTC": dec("60000"), "XRP": dec("1")}
		var history []spec.Event
		for step := 0; step < steps; step++ {
			ev := randomEvent(r, marks)
			history = append(history, ev)
			meff, merr := ml.Apply(ev)
			reff, rerr := rl.Apply(ev)
			fail := func(what string, got, want any) {
				t.Fatalf("run %d step %d (%s): %s differs\nmodel:     %v\nreference: %v\nevents so far:\n%s",
					run, step, ev.Type, what, got, want, mustJSON(history))
			}
			if errKey(merr) != errKey(rerr) {
				fail("error", merr, rerr)
			}
			if merr != nil {
				rejected++
			} else {
				applied++
				if ev.Type == spec.EventPrice {
					marks[ev.Market] = ev.Mark.Decimal
				}
			}
			if a, b := effectsJSON(meff), effectsJSON(reff); a != b {
				fail("effects", a, b)
			}
			for _, e := range meff {
				if e.Type == spec.EffectLiquidation {
					liquidations++
				}
			}
			if a, b := mustJSON(ml.State()), mustJSON(rl.State()); a != b {
				fail("state", a, b)
			}
			if err := ml.Check(); err != nil {
				fail("model LED-4 check", err, nil)
			}
			if err := rl.Check(); err != nil {
				fail("reference LED-4 check", nil, err)
			}
		}
	}
	t.Logf("%d events applied, %d rejected, %d liquidations, identical in both ledgers", applied, rejected, liquidations)
	if applied == 0 || liquidations == 0 {
		t.Errorf("the generator must exercise applied events and liquidations (applied %d, liquidations %d)", applied, liquidations)
	}
}

// effectsJSON treats no effects and an empty list alike.
func effectsJSON(e []spec.Effect) string {
	if len(e) == 0 {
		return "[]"
	}
	return mustJSON(e)
}

// binanceBTCTiers returns the real Binance BTCUSDT brackets of October 2024
// shipped in the venue package (research notes §1.3(a)), rather than a copy.
func binanceBTCTiers() []spec.Tier {
	m, err := venue.Lookup("binance@2024-10-01", "BTCUSDT")
	if err != nil {
		panic(err) // the profile is embedded in the binary; its absence is a build defect
	}
	return m.Tiers
}
