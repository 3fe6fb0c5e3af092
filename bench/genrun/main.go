// Command genrun writes a large, deterministic perpcheck run (a state and an
// event list, the input of `perpcheck run`) to stdout: the load test of
// issue 15 section 3 ("100,000 events over 1,000 accounts").
//
//	go run ./bench/genrun -events 100000 -accounts 1000 > /tmp/big-run.json
//	/usr/bin/time -v go run ./cmd/perpcheck run -compact /tmp/big-run.json > /dev/null
//
// Two markets (BTC, ETH), every account funded with two small cross positions
// (longs and shorts balanced, so LED-4 holds), an insurance fund; the events
// are trades between random accounts (about 70%), deposits and withdrawals
// (10%), price events moving the marks a few percent (10%) and funding
// payments (10%). Some trades and withdrawals are rejected by the ledger,
// some price moves liquidate: what a real feed does.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
)

func main() {
	events := flag.Int("events", 100000, "number of events")
	accounts := flag.Int("accounts", 1000, "number of trader accounts (even)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *accounts < 2 || *accounts%2 != 0 || *events < 0 {
		fmt.Fprintln(os.Stderr, "genrun: -accounts must be even and >= 2, -events >= 0")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<16)
	defer w.Flush()
	r := rand.New(rand.NewPCG(*seed, 15))
	tier := `"tiers":[{"minNotional":"0","maxNotional":"1000000","maintenanceMarginRate":"0.005","maxLeverage":"50"},` +
		`{"minNotional":"1000000","maxNotional":"100000000","maintenanceMarginRate":"0.01","maxLeverage":"20"}]`
	fmt.Fprintf(w, `{"markets":{`+
		`"BTC":{"tickSize":"0.1","lotSize":"0.001","liquidationFeeRate":"0.0125","takerFeeRate":"0.0005","makerFeeRate":"0.0002",%s},`+
		`"ETH":{"tickSize":"0.01","lotSize":"0.01","liquidationFeeRate":"0.0125","takerFeeRate":"0.0005","makerFeeRate":"0.0002",%s}},`+"\n", tier, tier)
	fmt.Fprint(w, `"prices":{"BTC":{"mark":"60000"},"ETH":{"mark":"3000"}},`+"\n"+`"accounts":{`)
	for i := 0; i < *accounts; i++ {
		if i > 0 {
			w.WriteString(",")
		}
		bs, es := "long", "short"
		if i%2 == 1 {
			bs, es = "short", "long"
		}
		fmt.Fprintf(w, "\n"+`"acct%05d":{"walletBalance":"%d","positions":[`+
			`{"market":"BTC","side":"%s","size":"0.1","entryPrice":"60000","marginMode":"cross"},`+
			`{"market":"ETH","side":"%s","size":"1","entryPrice":"3000","marginMode":"cross"}]}`,
			i, 2000+r.IntN(20000), bs, es)
	}
	fmt.Fprint(w, "},\n"+`"insuranceFund":{"walletBalance":"1000000"},`+"\n"+`"events":[`)
	mark := map[string]int64{"BTC": 600000, "ETH": 300000} // in ticks
	acct := func() string { return fmt.Sprintf("acct%05d", r.IntN(*accounts)) }
	for k := 0; k < *events; k++ {
		if k > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n")
		m := "BTC"
		if r.IntN(3) == 0 {
			m = "ETH"
		}
		switch x := r.IntN(10); {
		case x < 7:
			b, s := acct(), acct()
			for s == b {
				s = acct()
			}
			lots := 1 + r.IntN(50)
			size := fmt.Sprintf("%d.%03d", lots/1000, lots%1000) // BTC lots of 0.001
			px := fmt.Sprintf("%d.%d", mark[m]/10, mark[m]%10)
			if m == "ETH" {
				size = fmt.Sprintf("%d.%02d", lots/100, lots%100) // ETH lots of 0.01
				px = fmt.Sprintf("%d.%d0", mark[m]/100, mark[m]%100/10)
			}
			maker := "seller"
			if r.IntN(2) == 0 {
				maker = "buyer"
			}
			fmt.Fprintf(w, `{"type":"trade","market":"%s","buyer":"%s","seller":"%s","size":"%s","price":"%s","maker":"%s"}`, m, b, s, size, px, maker)
		case x == 7:
			typ := "deposit"
			if r.IntN(2) == 0 {
				typ = "withdraw"
			}
			fmt.Fprintf(w, `{"type":"%s","account":"%s","amount":"%d"}`, typ, acct(), 1+r.IntN(500))
		case x == 8:
			// A move of up to +-3%, on the tick grid.
			mark[m] += mark[m] * int64(r.IntN(61)-30) / 1000
			px := fmt.Sprintf("%d.%d", mark[m]/10, mark[m]%10)
			if m == "ETH" {
				px = fmt.Sprintf("%d.%d0", mark[m]/100, mark[m]%100/10)
			}
			fmt.Fprintf(w, `{"type":"price","market":"%s","mark":"%s"}`, m, px)
		default:
			fmt.Fprintf(w, `{"type":"funding","market":"%s","rate":"%s0.000%d"}`, m, []string{"", "-"}[r.IntN(2)], 1+r.IntN(9))
		}
	}
	w.WriteString("\n]}\n")
}
