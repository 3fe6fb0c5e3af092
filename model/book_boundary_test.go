package model_test

import (
	"encoding/json"
	"fmt"
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
