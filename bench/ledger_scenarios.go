package bench

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
	"github.com/perpcheck/perpcheck/venue"
)

// The ledger scenarios of BenchmarkLedger, TestAgreeLedger and the engine
// harness (Run).

func ldec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func lnd(s string) decimal.NullDecimal { return decimal.NewNullDecimal(ldec(s)) }

// ledgerState has one BTC market with the 2024-10 Binance brackets (tiers 1-3),
// n trader accounts holding alternating long/short 0.01 BTC at 60,000 on
// wallet, and a funded insurance fund.
func ledgerState(n int, wallet string) *spec.State {
	tiers := binanceBTCTiers()
	st := &spec.State{
		Markets: map[string]spec.Market{"BTC": {TickSize: ldec("0.1"), LotSize: ldec("0.001"), Tiers: tiers,
			LiquidationFeeRate: lnd("0.0125"), TakerFeeRate: lnd("0.0005"), MakerFeeRate: lnd("0.0002")}},
		Prices:        map[string]spec.Price{"BTC": {Mark: lnd("60000")}},
		Accounts:      map[string]spec.Account{},
		InsuranceFund: spec.Account{WalletBalance: ldec("1000000")},
	}
	for i := 0; i < n; i++ {
		side := spec.Long
		if i%2 == 1 {
			side = spec.Short
		}
		st.Accounts[fmt.Sprintf("acct%05d", i)] = spec.Account{
			WalletBalance: ldec(wallet),
			Positions: []spec.Position{{Market: "BTC", Side: side, Size: ldec("0.01"),
				EntryPrice: ldec("60000"), MarginMode: spec.Cross, Leverage: lnd("20")}},
			Settings: map[string]spec.AccountSettings{"BTC": {Leverage: lnd("20"), MarginMode: spec.Cross}},
		}
	}
	return st
}

// The benchmarks' event sequences, shared with TestAgreeLedger.

// ledgerTradeEvents is event=trade: acct00000 buys 0.001 BTC from acct00001
// (both increase), then sells it back (both reduce).
func ledgerTradeEvents() []spec.Event {
	buy := spec.Event{Type: spec.EventTrade, Market: "BTC", Buyer: "acct00000", Seller: "acct00001",
		Size: lnd("0.001"), Price: lnd("60000")}
	sell := buy
	sell.Buyer, sell.Seller = buy.Seller, buy.Buyer
	return []spec.Event{buy, sell}
}

// ledgerFundingEvents is event=funding: a rate of +0.0001, then -0.0001.
func ledgerFundingEvents() []spec.Event {
	up := spec.Event{Type: spec.EventFunding, Market: "BTC", Rate: lnd("0.0001")}
	down := up
	down.Rate = lnd("-0.0001")
	return []spec.Event{up, down}
}

// ledgerCascadeEvents is event=cascade: the mark drops 20%, from 60,000 to
// 48,000. With ledgerState(n, "40") (wallet 40 on 0.01 BTC) every long is
// bankrupt and the fund takes it over (LQ-5).
func ledgerCascadeEvents() []spec.Event {
	return []spec.Event{{Type: spec.EventPrice, Market: "BTC", Mark: lnd("48000")}}
}

// ledgerTradeReset is how many event=trade ops run before the ledger is
// reset (outside the timer). The fees (0.042 per account per pair of trades)
// would otherwise drain the 100,000 wallets below the initial margin after
// about 4.7 million trades, which float64 reaches within 200 ms. It is even,
// so the buy/sell alternation goes on across a reset.
const ledgerTradeReset = 1 << 16

// cascadeBatch is how many prepared ledgers event=cascade uses between two
// pauses of the timer.
const cascadeBatch = 64

// binanceBTCTiers returns the real Binance BTCUSDT brackets of October 2024
// shipped in the venue package (research notes §1.3(a)), rather than a copy.
func binanceBTCTiers() []spec.Tier {
	m, err := venue.Lookup("binance@2024-10-01", "BTCUSDT")
	if err != nil {
		panic(err) // the profile is embedded in the binary; its absence is a build defect
	}
	return m.Tiers
}
