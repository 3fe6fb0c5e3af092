package model_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// The Book's exact boundaries that gremlins found untested (issue 16,
// properties/README.md): the tier of a size exactly at a tier's minimum
// quantity, the carry of the maintenance amounts' sum, and an empty
// ScanRange. The expected answers are computed by hand (below), not by the
// Book.

// bookTierMarket: tier 1 [0, 50000) MMR 0.01 x50; tier 2 [50000, 1e9) MMR 0.5
// x2, maintenanceAmount 50000 * (0.5 - 0.01) = 24500 (TIER-6).
const bookTierMarket = `{"tickSize": "0.01", "lotSize": "0.00000001", "marginModes": ["cross", "isolated"],
  "tiers": [{"minNotional": "0", "maxNotional": "50000", "maintenanceMarginRate": "0.01", "maxLeverage": "50"},
            {"minNotional": "50000", "maxNotional": "1000000000", "maintenanceMarginRate": "0.5", "maxLeverage": "2", "maintenanceAmount": "24500"}]}`

func bookBoundaryBook(t *testing.T, markets int, accounts string) *model.Book {
	t.Helper()
	var m spec.Market
	if err := json.Unmarshal([]byte(bookTierMarket), &m); err != nil {
		t.Fatal(err)
	}
	ms, ps := map[string]spec.Market{}, map[string]spec.Price{}
	for i := range markets {
		name := fmt.Sprintf("M%d", i)
		ms[name] = m
		var p spec.Price
		if err := json.Unmarshal([]byte(`{"mark": "30000"}`), &p); err != nil {
			t.Fatal(err)
		}
		ps[name] = p
	}
	var accts []spec.Account
	if err := json.Unmarshal([]byte(accounts), &accts); err != nil {
		t.Fatal(err)
	}
	b, err := model.NewBook(ms, ps, accts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBookTierAtMinQuantity: at mark 30000 the smallest size in tier 2 is
// qmin = ceil(50000 / 30000) = 1.66666667 (lot 1e-8), N = 50000.0001 >= 50000:
// tier 2, MM = 0.5 * 50000.0001 - 24500 = 500.00005 (tier 1 would give
// 0.01 * 50000.0001 = 500.000001). With entry 30000 (U = 0) and wallet or
// margin 500.00002, E = 500.00002 < 500.00005: liquidatable; 500.00005:
// not (E = MM). A Book that puts qmin in tier 1 (q > qmin instead of
// q >= qmin, gremlins book.go:367 cross and :416 isolated) says "not
// liquidatable" for 500.00002.
func TestBookTierAtMinQuantity(t *testing.T) {
	for _, tc := range []struct {
		mode, amount string
		want         bool
	}{
		{"cross", "500.00002", true}, {"cross", "500.00005", false},
		{"isolated", "500.00002", true}, {"isolated", "500.00005", false},
	} {
		wallet, margin := tc.amount, ""
		if tc.mode == "isolated" {
			wallet, margin = "0", `, "isolatedMargin": "`+tc.amount+`"`
		}
		b := bookBoundaryBook(t, 1, `[{"walletBalance": "`+wallet+`", "positions": [{"market": "M0", "side": "long", "size": "1.66666667", "entryPrice": "30000", "marginMode": "`+tc.mode+`", "leverage": "2"`+margin+`}]}]`)
		cross, iso, err := b.Liquidatable(0)
		if err != nil {
			t.Fatal(err)
		}
		if got := cross || iso; got != tc.want || (tc.mode == "cross" && iso) || (tc.mode == "isolated" && cross) {
			t.Errorf("%s %s: Liquidatable = %v, %v; want %v in the %s pool", tc.mode, tc.amount, cross, iso, tc.want, tc.mode)
		}
	}
}

// TestBookMaintenanceAmountCarry: four cross positions, each in tier 2 of
// its own market (as above: MM 500.00005 each, 2000.0002 in all). Each
// maintenance amount 24500 is 2.45e20 at scale 1e-16, whose low 64-bit word
// is 2.45e20 - 13 * 2^64 = 5192327041775828992; four of them exceed 2^64, so
// their sum carries into the high word (gremlins book.go:379). Wallet 2000.0002
// is exactly MM (not liquidatable), 2000.0001 is below.
func TestBookMaintenanceAmountCarry(t *testing.T) {
	for _, tc := range []struct {
		wallet string
		want   bool
	}{{"2000.0002", false}, {"2000.0001", true}} {
		pos := ""
		for i := range 4 {
			if i > 0 {
				pos += ","
			}
			pos += fmt.Sprintf(`{"market": "M%d", "side": "long", "size": "1.66666667", "entryPrice": "30000", "marginMode": "cross", "leverage": "2"}`, i)
		}
		b := bookBoundaryBook(t, 4, `[{"walletBalance": "`+tc.wallet+`", "positions": [`+pos+`]}]`)
		cross, _, err := b.Liquidatable(0)
		if err != nil {
			t.Fatal(err)
		}
		if cross != tc.want {
			t.Errorf("wallet %s: cross liquidatable = %v, want %v", tc.wallet, cross, tc.want)
		}
	}
}

// TestBookEmptyScanRange: ScanRange(i, i) is an empty range, not an index
// error, for every i in [0, NumAccounts()] (gremlins book.go:299 lo >= hi).
func TestBookEmptyScanRange(t *testing.T) {
	b := bookBoundaryBook(t, 1, `[{"walletBalance": "1"}, {"walletBalance": "2"}]`)
	for i := 0; i <= b.NumAccounts(); i++ {
		if got, err := b.ScanRange(i, i, nil); err != nil || len(got) != 0 {
			t.Errorf("ScanRange(%d, %d) = %v, %v; want [], nil", i, i, got, err)
		}
	}
}

// TestBookIMExactlyMax: an initial margin of exactly MAX fits (NUM-2 is for
// values above MAX). Markets: one tier [0, 1e9) MMR 0.01 x2, tick and lot
// 1e-8; mark = MAX = 92233720368.54775807. Isolated: size 1 at leverage 1 (a
// setting below the tier's x2), N = MAX, IM = N/1 = MAX (gremlins book.go:443
// N16 >= MAX*l). Cross: two positions of size 1 at leverage 2 in two
// markets, N = MAX each (2*MAX > MAX: the exact path), IM = MAX/2 + MAX/2 =
// MAX (book.go:410 F < MAX). Entry at the mark (U = 0), margin 1e9 or wallet 2e9
// >= MM = 0.01 * MAX (or twice that): no error, not liquidatable.
func TestBookIMExactlyMax(t *testing.T) {
	const max = "92233720368.54775807"
	market := `{"tickSize": "0.00000001", "lotSize": "0.00000001", "marginModes": ["cross", "isolated"],
	  "tiers": [{"minNotional": "0", "maxNotional": "1000000000", "maintenanceMarginRate": "0.01", "maxLeverage": "2"}]}`
	for _, tc := range []struct {
		name     string
		markets  int
		accounts string
	}{
		{"isolated", 1, `[{"walletBalance": "0", "positions": [{"market": "M0", "side": "long", "size": "1", "entryPrice": "` + max + `", "marginMode": "isolated", "leverage": "1", "isolatedMargin": "1000000000"}]}]`},
		{"cross", 2, `[{"walletBalance": "2000000000", "positions": [
		  {"market": "M0", "side": "long", "size": "1", "entryPrice": "` + max + `", "marginMode": "cross", "leverage": "2"},
		  {"market": "M1", "side": "long", "size": "1", "entryPrice": "` + max + `", "marginMode": "cross", "leverage": "2"}]}]`},
	} {
		var m spec.Market
		if err := json.Unmarshal([]byte(market), &m); err != nil {
			t.Fatal(err)
		}
		ms, ps := map[string]spec.Market{}, map[string]spec.Price{}
		for i := range tc.markets {
			var p spec.Price
			if err := json.Unmarshal([]byte(`{"mark": "`+max+`"}`), &p); err != nil {
				t.Fatal(err)
			}
			ms[fmt.Sprintf("M%d", i)], ps[fmt.Sprintf("M%d", i)] = m, p
		}
		var accts []spec.Account
		if err := json.Unmarshal([]byte(tc.accounts), &accts); err != nil {
			t.Fatal(err)
		}
		b, err := model.NewBook(ms, ps, accts)
		if err != nil {
			t.Fatal(err)
		}
		cross, iso, err := b.Liquidatable(0)
		if err != nil || cross || iso {
			t.Errorf("%s: Liquidatable = %v, %v, %v; want false, false, nil (IM = MAX fits)", tc.name, cross, iso, err)
		}
	}
}

// TestCrossMMCarryIntoTopWord: the exact cross maintenance margin sum
// N*rate (scale 1e-24, three words; rate = MMR + takerFeeRate under
// QTY-5:taker) carries into its top word once it reaches 2^128 * 1e-24 =
// 3.4e14, far above MAX: the right answer is then NUM-2 on the pool's MM.
// Gremlins' `h1 + c + c2` to `h1 - c + c2` and `h1 + c - c2` at book.go's
// and portfolio.go's sums (open since session 5) leave the top word two
// short, so a sum just below 2^129 * 1e-24 reads as a small negative MM
// that fits. TIER-5 (MMR * maxLeverage <= 1) makes IM >= MM without a close
// fee, so IM's NUM-2 would come first: QTY-5:taker (MMR 0.0001, maxLeverage
// and leverage 10,000) lets MM reach 2^129 * 1e-24 with IM <= MAX. Two
// cross longs, entry = mark, wallet 0, found by exact integer search:
//   - carry c (of the middle word): 343,719,562 each at 1,000,000, fee
//     0.9899 (rate 0.99): MM = 0.99 * 687,439,124,000,000 =
//     680,564,732,760,000, 1,081,876.93 below 2^129 * 1e-24; IM =
//     68,743,912,400;
//   - carry c2 (of the product's middle words, l1 + h0): 83,915,907,977.1698609
//     at 4,096, whose N at 1e-16 has high word nHi with nHi * 99,000,001 =
//     2^64 - (2^64 mod 99,000,001), and 92,125,643,427.47907049 at 3,730,
//     fee 0.98990001 (rate 0.99000001): MM = 680,474,733,841,876.93, 9e10
//     below 2^129 * 1e-24; IM = 68,734,820,905.89846832.
//
// Portfolio.Cross must fail NUM-2 at pools[0].maintenanceMargin and
// Book.Liquidatable at accounts[0].pools[0].maintenanceMargin.
func TestCrossMMCarryIntoTopWord(t *testing.T) {
	market := `{"tickSize": "1", "lotSize": "0.00000001", "marginModes": ["cross"], "takerFeeRate": "FEE", "variants": {"closeFee": "taker"},
	    "tiers": [{"minNotional": "0", "maxNotional": "92233720368.54775807", "maintenanceMarginRate": "0.0001", "maxLeverage": "10000"}]}`
	for _, tc := range []struct {
		name, fee          string
		size0, size1       string
		mark0, mark1, what string
	}{
		{"carry c", "0.9899", "343719562", "343719562", "1000000", "1000000", "MM = 680,564,732,760,000"},
		{"carry c2", "0.98990001", "83915907977.1698609", "92125643427.47907049", "4096", "3730", "MM = 680,474,733,841,876.93"},
	} {
		m := strings.ReplaceAll(market, "FEE", tc.fee)
		js := `{"markets": {"M0": ` + m + `, "M1": ` + m + `},
		  "prices": {"M0": {"mark": "` + tc.mark0 + `"}, "M1": {"mark": "` + tc.mark1 + `"}},
		  "account": {"walletBalance": "0", "positions": [
		    {"market": "M0", "side": "long", "size": "` + tc.size0 + `", "entryPrice": "` + tc.mark0 + `", "marginMode": "cross", "leverage": "10000"},
		    {"market": "M1", "side": "long", "size": "` + tc.size1 + `", "entryPrice": "` + tc.mark1 + `", "marginMode": "cross", "leverage": "10000"}]}}`
		var s spec.Scenario
		if err := json.Unmarshal([]byte(js), &s); err != nil {
			t.Fatal(err)
		}
		p, err := model.Load(&s)
		if err != nil {
			t.Fatal(err)
		}
		h, err := p.Cross()
		var me *spec.Error
		if !errors.As(err, &me) || me.Path != "pools[0].maintenanceMargin" || me.Rule != "NUM-2" {
			t.Errorf("%s: Cross() = %+v, %v; want NUM-2 at pools[0].maintenanceMargin (%s > MAX)", tc.name, h, err, tc.what)
		}
		b, err := model.NewBook(s.Markets, s.Prices, []spec.Account{s.Account})
		if err != nil {
			t.Fatal(err)
		}
		if cross, iso, err := b.Liquidatable(0); !errors.As(err, &me) || me.Path != "accounts[0].pools[0].maintenanceMargin" || me.Rule != "NUM-2" {
			t.Errorf("%s: Book.Liquidatable(0) = %v, %v, %v; want NUM-2 at accounts[0].pools[0].maintenanceMargin", tc.name, cross, iso, err)
		}
	}
}
