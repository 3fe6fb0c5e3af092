package bench

import (
	"fmt"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/reference"
	"github.com/perpcheck/perpcheck/venue"
	"github.com/shopspring/decimal"
)

// ledgerImpl is the part of a ledger the benchmarks drive.
type ledgerImpl interface {
	Apply(model.Event) ([]model.Effect, error)
}

var ledgerImpls = []struct {
	name string
	make func(*model.State) (ledgerImpl, error)
}{
	{"model", func(st *model.State) (ledgerImpl, error) { return model.NewLedger(st) }},
	{"reference", func(st *model.State) (ledgerImpl, error) { return reference.NewLedger(st) }},
}

func ldec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func lnd(s string) decimal.NullDecimal { return decimal.NewNullDecimal(ldec(s)) }

// ledgerState has one BTC market with the 2024-10 Binance brackets (tiers 1-3),
// n trader accounts holding alternating long/short 0.01 BTC at 60,000 on
// wallet, and a funded insurance fund.
func ledgerState(n int, wallet string) *model.State {
	tiers := binanceBTCTiers()
	st := &model.State{
		Markets: map[string]model.Market{"BTC": {TickSize: ldec("0.1"), LotSize: ldec("0.001"), Tiers: tiers,
			LiquidationFeeRate: lnd("0.0125"), TakerFeeRate: lnd("0.0005"), MakerFeeRate: lnd("0.0002")}},
		Prices:        map[string]model.Price{"BTC": {Mark: lnd("60000")}},
		Accounts:      map[string]model.Account{},
		InsuranceFund: model.Account{WalletBalance: ldec("1000000")},
	}
	for i := 0; i < n; i++ {
		side := model.Long
		if i%2 == 1 {
			side = model.Short
		}
		st.Accounts[fmt.Sprintf("acct%05d", i)] = model.Account{
			WalletBalance: ldec(wallet),
			Positions: []model.Position{{Market: "BTC", Side: side, Size: ldec("0.01"),
				EntryPrice: ldec("60000"), MarginMode: model.Cross, Leverage: lnd("20")}},
			Settings: map[string]model.AccountSettings{"BTC": {Leverage: lnd("20"), MarginMode: model.Cross}},
		}
	}
	return st
}

// BenchmarkLedger measures ledger events (SPEC LED, TRD, FND, LQ):
//   - event=trade: one trade between two funded accounts (increase, then
//     reduce, alternating so the state stays bounded), with fees and the IM check;
//   - event=funding/accounts=N: one funding payment over N positions (alternating
//     sign), including the liquidation sweep that follows it;
//   - event=cascade/accounts=N: one price event that liquidates every long of N
//     accounts at once (insurance takeover); each op rebuilds the ledger outside
//     the timer.
//
// Only model and reference have a ledger; there is no shopspring or float64
// ledger to compare with.
func BenchmarkLedger(b *testing.B) {
	for _, impl := range ledgerImpls {
		b.Run("impl="+impl.name+"/event=trade", func(b *testing.B) {
			l, err := impl.make(ledgerState(2, "100000"))
			if err != nil {
				b.Fatal(err)
			}
			buy := model.Event{Type: model.EventTrade, Market: "BTC", Buyer: "acct00000", Seller: "acct00001",
				Size: lnd("0.001"), Price: lnd("60000")}
			sell := buy
			sell.Buyer, sell.Seller = buy.Seller, buy.Buyer
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ev := buy
				if i%2 == 1 {
					ev = sell
				}
				if _, err := l.Apply(ev); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, n := range []int{100} {
			b.Run(fmt.Sprintf("impl=%s/event=funding/accounts=%d", impl.name, n), func(b *testing.B) {
				l, err := impl.make(ledgerState(n, "100000"))
				if err != nil {
					b.Fatal(err)
				}
				up := model.Event{Type: model.EventFunding, Market: "BTC", Rate: lnd("0.0001")}
				down := up
				down.Rate = lnd("-0.0001")
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ev := up
					if i%2 == 1 {
						ev = down
					}
					if _, err := l.Apply(ev); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/position")
			})
			b.Run(fmt.Sprintf("impl=%s/event=cascade/accounts=%d", impl.name, n), func(b *testing.B) {
				// Wallet 40 on 0.01 BTC at 60,000: a 20% drop liquidates every long.
				st := ledgerState(n, "40")
				crash := model.Event{Type: model.EventPrice, Market: "BTC", Mark: lnd("48000")}
				b.ReportAllocs()
				var liquidations int
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					l, err := impl.make(st)
					if err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					eff, err := l.Apply(crash)
					if err != nil {
						b.Fatal(err)
					}
					liquidations = 0
					for _, e := range eff {
						if e.Type == model.EffectLiquidation {
							liquidations++
						}
					}
				}
				if liquidations != n/2 {
					b.Fatalf("cascade liquidated %d accounts, want %d", liquidations, n/2)
				}
			})
		}
	}
}

// binanceBTCTiers returns the real Binance BTCUSDT brackets of October 2024
// shipped in the venue package (research notes §1.3(a)), rather than a copy.
func binanceBTCTiers() []model.Tier {
	m, err := venue.Lookup("binance@2024-10-01", "BTCUSDT")
	if err != nil {
		panic(err) // the profile is embedded in the binary; its absence is a build defect
	}
	return m.Tiers
}
