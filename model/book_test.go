package model_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/model"
	"github.com/perpcheck/perpcheck/spec"
)

// portfolioLiq is what Book.Liquidatable must return, computed with a
// Portfolio: the cross trigger, any isolated trigger, or the first error of
// Cross and then Isolated in position order.
func portfolioLiq(p *model.Portfolio) (cross, iso bool, err error) {
	h, err := p.Cross()
	if err != nil {
		return false, false, err
	}
	for j := 0; j < p.NumPositions(); j++ {
		hi, err := p.Isolated(j)
		if errors.Is(err, model.ErrNotIsolated) {
			continue
		}
		if err != nil {
			return false, false, err
		}
		iso = iso || hi.Liquidatable
	}
	return h.Liquidatable, iso, nil
}

// sameErr reports whether the Book's error for account i is the Portfolio's
// with the account prefix.
func sameErr(i int, got, want error) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	var g, w *spec.Error
	if !errors.As(got, &g) || !errors.As(want, &w) {
		return false
	}
	return g.Rule == w.Rule && g.Msg == w.Msg && g.Path == "accounts["+itoa(i)+"]."+w.Path
}

func itoa(i int) string { return decimal.NewFromInt(int64(i)).String() }

// bookMarks returns the reference mark of every market of s (the given mark,
// or the index for a computed one): a scale for generated positions.
func bookRefMark(s *spec.Scenario, name string) decimal.Decimal {
	pr := s.Prices[name]
	if pr.Mark.Valid {
		return pr.Mark.Decimal
	}
	return pr.Index.Decimal
}

// genBookAccount generates an account over the markets of s (which it does
// not modify): random sides, modes, leverages and isolated margins, sizes
// and entries of ordinary or (extreme) any magnitude.
func genBookAccount(r *rand.Rand, s *spec.Scenario, extreme bool) spec.Account {
	names := make([]string, 0, len(s.Markets))
	for n := range s.Markets {
		names = append(names, n)
	}
	sort.Strings(names)
	var acc spec.Account
	acc.WalletBalance = fixedDec(pick(r, 0, logUnits(r), r.Int64N(1_000_000_000_000)))
	for _, name := range names {
		if r.IntN(3) == 0 {
			continue
		}
		if _, ok := s.Prices[name]; !ok {
			continue
		}
		m := s.Markets[name]
		lot, _ := model.FixedFromDecimal(m.LotSize)
		ref, _ := model.FixedFromDecimal(bookRefMark(s, name))
		var k int64
		var ep int64
		if extreme || r.IntN(10) == 0 {
			k = max(1, logUnits(r)/int64(lot))
			ep = logUnits(r)
		} else {
			k = r.Int64N(100_000) + 1
			if int64(lot) > (1<<63-1)/k {
				k = 1
			}
			ep = max(1, int64(float64(ref)*(0.8+0.4*r.Float64())))
		}
		p := spec.Position{Market: name, Side: pick(r, spec.Long, spec.Short),
			Size: fixedDec(int64(lot) * k), EntryPrice: fixedDec(ep), MarginMode: pick(r, spec.Cross, spec.Isolated)}
		if len(m.MarginModes) == 1 {
			p.MarginMode = m.MarginModes[0]
		}
		if r.IntN(2) == 0 {
			maxLev, _ := model.FixedFromDecimal(m.Tiers[0].MaxLeverage)
			p.Leverage = nul(fixedDec(100_000_000 + r.Int64N(int64(maxLev)-100_000_000+1)))
		}
		if p.MarginMode == spec.Isolated && r.IntN(2) == 0 {
			p.IsolatedMargin = nul(fixedDec(pick(r, 0, logUnits(r), r.Int64N(1_000_000_000_000))))
		}
		if r.IntN(10) == 0 {
			p.EntryValue = nul(p.Size.Mul(p.EntryPrice))
		}
		acc.Positions = append(acc.Positions, p)
	}
	return acc
}

// nearBoundary moves the wallet so that the cross pool's equity is about its
// maintenance margin (E = MM when the values are exact at 1e-8).
func nearBoundary(s *spec.Scenario) {
	p, err := model.Load(s)
	if err != nil {
		return
	}
	h, err := p.Cross()
	if err != nil {
		return
	}
	w, _ := model.FixedFromDecimal(s.Account.WalletBalance)
	nw := int64(w) + int64(h.MaintenanceMargin) - int64(h.Equity)
	if nw >= 0 && (h.MaintenanceMargin-h.Equity) < model.MaxFixed/2 && (h.Equity-h.MaintenanceMargin) < model.MaxFixed/2 {
		s.Account.WalletBalance = fixedDec(nw)
	}
}

type bookCase struct {
	s        *spec.Scenario // the markets and prices
	accounts []spec.Account
	ps       []*model.Portfolio
}

// genBookCase builds a market set from genScenario or genExtreme and up to n
// valid accounts over it (invalid ones are dropped).
func genBookCase(r *rand.Rand, n int) *bookCase {
	for {
		var s *spec.Scenario
		extreme := r.IntN(3) == 0
		if extreme {
			s = genExtreme(r)
		} else {
			s = genScenario(r)
		}
		s.Account = spec.Account{}
		if _, err := model.Load(s); err != nil {
			continue
		}
		c := &bookCase{s: s}
		for len(c.accounts) < n {
			sc := &spec.Scenario{Markets: s.Markets, Prices: s.Prices, Account: genBookAccount(r, s, extreme && r.IntN(2) == 0)}
			if r.IntN(3) == 0 {
				nearBoundary(sc)
			}
			p, err := model.Load(sc)
			if err != nil {
				continue
			}
			c.accounts = append(c.accounts, sc.Account)
			c.ps = append(c.ps, p)
		}
		return c
	}
}

func checkBook(t *testing.T, b *model.Book, c *bookCase, what string) (liq, errs int) {
	t.Helper()
	var want []int32
	var wantErr error
	for i, p := range c.ps {
		wc, wi, werr := portfolioLiq(p)
		gc, gi, gerr := b.Liquidatable(i)
		if gc != wc || gi != wi || !sameErr(i, gerr, werr) {
			t.Fatalf("%s: account %d: Book (%v, %v, %v), Portfolio (%v, %v, %v)\naccount: %+v", what, i, gc, gi, gerr, wc, wi, werr, c.accounts[i])
		}
		if werr != nil {
			errs++
			if wantErr == nil {
				wantErr = gerr
			}
		} else if wc || wi {
			want = append(want, int32(i))
		}
	}
	got, err := b.Scan(nil)
	if !slices.Equal(got, want) || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("%s: Scan = %v, %v; want %v, %v", what, got, err, want, wantErr)
	}
	// Two halves give the same.
	h := len(c.ps) / 2
	got2, _ := b.ScanRange(0, h, nil)
	got2, _ = b.ScanRange(h, len(c.ps), got2)
	if !slices.Equal(got2, want) {
		t.Fatalf("%s: ScanRange halves = %v, want %v", what, got2, want)
	}
	return len(want), errs
}

// TestBookAgreesWithPortfolio compares Book with one Portfolio per account on
// random market sets (genScenario, genExtreme), random accounts (some of
// extreme magnitude, some moved to E about MM) and random mark updates.
func TestBookAgreesWithPortfolio(t *testing.T) {
	r := rand.New(rand.NewPCG(20261121, 7))
	cases, per, updates := 60, 60, 8
	if testing.Short() {
		cases = 15
	}
	var accounts, liq, errs, checks int
	for ci := 0; ci < cases; ci++ {
		c := genBookCase(r, per)
		b, err := model.NewBook(c.s.Markets, c.s.Prices, c.accounts)
		if err != nil {
			t.Fatalf("case %d: NewBook: %v", ci, err)
		}
		if b.NumAccounts() != len(c.accounts) {
			t.Fatalf("NumAccounts = %d, want %d", b.NumAccounts(), len(c.accounts))
		}
		accounts += len(c.accounts)
		l, e := checkBook(t, b, c, "initial marks")
		liq, errs, checks = liq+l, errs+e, checks+len(c.ps)
		names := make([]string, 0, len(c.s.Markets))
		for n := range c.s.Markets {
			names = append(names, n)
		}
		sort.Strings(names)
		for u := 0; u < updates; u++ {
			name := pick(r, names...)
			mi, ok := b.MarketIndex(name)
			if !ok {
				t.Fatalf("MarketIndex(%q) not found", name)
			}
			var mark int64
			if r.IntN(4) == 0 {
				mark = logUnits(r)
			} else {
				ref, _ := model.FixedFromDecimal(bookRefMark(c.s, name))
				mark = max(1, int64(float64(ref)*(0.85+0.3*r.Float64())))
			}
			if err := b.SetMark(mi, model.Fixed(mark)); err != nil {
				t.Fatal(err)
			}
			for _, p := range c.ps {
				pi, _ := p.MarketIndex(name)
				if err := p.SetMark(pi, model.Fixed(mark)); err != nil {
					t.Fatal(err)
				}
			}
			l, e := checkBook(t, b, c, "after SetMark("+name+", "+model.Fixed(mark).String()+")")
			liq, errs, checks = liq+l, errs+e, checks+len(c.ps)
		}
	}
	t.Logf("%d accounts, %d account checks: %d liquidatable, %d range errors", accounts, checks, liq, errs)
	if liq == 0 || errs == 0 || liq == checks {
		t.Errorf("weak test: %d liquidatable, %d errors of %d checks", liq, errs, checks)
	}
}

// TestBookExactBoundary builds accounts exactly at E == MM (round values, so
// that every quantity is exact at 1e-8): not liquidatable; one unit less of
// wallet is.
func TestBookExactBoundary(t *testing.T) {
	tiers := []spec.Tier{
		{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125")},
		{MinNotional: d("50000"), MaxNotional: d("600000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")},
		{MinNotional: d("600000"), MaxNotional: d("9000000"), MaintenanceMarginRate: d("0.01"), MaxLeverage: d("50")},
	}
	markets := map[string]spec.Market{
		"X": {TickSize: d("0.1"), LotSize: d("0.001"), Tiers: tiers},
		"Y": {TickSize: d("0.01"), LotSize: d("0.01"), Tiers: tiers, MMBasis: spec.BasisEntry},
	}
	prices := map[string]spec.Price{"X": {Mark: nul(d("60000"))}, "Y": {Mark: nul(d("2500"))}}
	r := rand.New(rand.NewPCG(1, 2))
	var accounts []spec.Account
	var want []bool
	for i := 0; i < 400; i++ {
		acc := spec.Account{}
		for _, m := range []string{"X", "Y"} {
			if m == "Y" && r.IntN(2) == 0 {
				continue
			}
			mode := spec.Cross
			if i%4 == 3 {
				mode = spec.Isolated
			}
			ref := map[string]int64{"X": 60000, "Y": 2500}[m]
			acc.Positions = append(acc.Positions, spec.Position{Market: m, Side: pick(r, spec.Long, spec.Short),
				Size: decimal.New(r.Int64N(200_000)+1, -2), EntryPrice: decimal.New(ref*int64(90+r.IntN(20))/100, 0),
				MarginMode: mode})
		}
		p, err := model.Load(&spec.Scenario{Markets: markets, Prices: prices, Account: acc})
		if err != nil {
			t.Fatal(err)
		}
		if acc.Positions[0].MarginMode == spec.Isolated {
			// isolated margin = MM - U of each position's pool (0 if that is
			// negative: then E > MM).
			liq := false
			for j := range acc.Positions {
				pm, err := p.Position(j)
				if err != nil {
					t.Fatal(err)
				}
				target := pm.MaintenanceMargin - pm.UnrealizedPnl
				im := target
				if i%8 == 7 && j == 0 {
					im-- // one unit below: liquidatable
				}
				im = max(im, 0)
				liq = liq || im < target
				acc.Positions[j].IsolatedMargin = nul(im.Decimal())
			}
			want = append(want, liq)
		} else {
			h, err := p.Cross()
			if err != nil {
				t.Fatal(err)
			}
			w := h.MaintenanceMargin - h.Equity // the wallet was 0
			below := r.IntN(2) == 0
			if below {
				w--
			}
			if w < 0 {
				w, below = 0, false // U >= MM: E = U >= MM at wallet 0
			}
			acc.WalletBalance = w.Decimal()
			want = append(want, below)
		}
		accounts = append(accounts, acc)
	}
	b, err := model.NewBook(markets, prices, accounts)
	if err != nil {
		t.Fatal(err)
	}
	var equal int
	for i, acc := range accounts {
		p, err := model.Load(&spec.Scenario{Markets: markets, Prices: prices, Account: acc})
		if err != nil {
			t.Fatal(err)
		}
		wc, wi, werr := portfolioLiq(p)
		gc, gi, gerr := b.Liquidatable(i)
		if werr != nil || gerr != nil || gc != wc || gi != wi {
			t.Fatalf("account %d: Book (%v, %v, %v), Portfolio (%v, %v, %v)", i, gc, gi, gerr, wc, wi, werr)
		}
		if (wc || wi) != want[i] {
			t.Fatalf("account %d: liquidatable %v, constructed %v", i, wc || wi, want[i])
		}
		if h, _ := p.Cross(); acc.Positions[0].MarginMode == spec.Cross && h.Equity == h.MaintenanceMargin && h.MaintenanceMargin > 0 {
			equal++
		}
	}
	if equal < 50 {
		t.Errorf("only %d cross accounts exactly at E == MM", equal)
	}
}

// TestBookDoesNotAllocate checks 0 allocs for SetMark, Liquidatable, Scan and
// ScanRange on accounts of ordinary magnitude.
func TestBookDoesNotAllocate(t *testing.T) {
	markets := map[string]spec.Market{
		"BTC": {TickSize: d("0.1"), LotSize: d("0.001"), Tiers: []spec.Tier{
			{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125")},
			{MinNotional: d("50000"), MaxNotional: d("600000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")}}},
		"ETH": {TickSize: d("0.01"), LotSize: d("0.01"), MMBasis: spec.BasisEntry, Tiers: []spec.Tier{
			{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.005"), MaxLeverage: d("100")}}},
	}
	prices := map[string]spec.Price{"BTC": {Mark: nul(d("60000"))}, "ETH": {Mark: nul(d("2500"))}}
	var accounts []spec.Account
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 500; i++ {
		acc := spec.Account{WalletBalance: decimal.New(r.Int64N(20000), 0)}
		acc.Positions = append(acc.Positions,
			spec.Position{Market: "BTC", Side: pick(r, spec.Long, spec.Short), Size: decimal.New(r.Int64N(5000)+1, -3), EntryPrice: d("60000"), MarginMode: pick(r, spec.Cross, spec.Isolated)},
			spec.Position{Market: "ETH", Side: pick(r, spec.Long, spec.Short), Size: decimal.New(r.Int64N(5000)+1, -2), EntryPrice: d("2400"), MarginMode: pick(r, spec.Cross, spec.Isolated)})
		accounts = append(accounts, acc)
	}
	b, err := model.NewBook(markets, prices, accounts)
	if err != nil {
		t.Fatal(err)
	}
	btc, _ := b.MarketIndex("BTC")
	dst := make([]int32, 0, b.NumAccounts())
	v := 0
	marks := [2]model.Fixed{5_700_000_000_000, 6_300_000_000_000}
	check := func(name string, f func()) {
		if a := testing.AllocsPerRun(50, f); a != 0 {
			t.Errorf("%s: %v allocs per run", name, a)
		}
	}
	check("SetMark", func() { v ^= 1; _ = b.SetMark(btc, marks[v]) })
	check("Liquidatable", func() {
		for i := 0; i < b.NumAccounts(); i++ {
			if _, _, err := b.Liquidatable(i); err != nil {
				t.Fatal(err)
			}
		}
	})
	var n int
	check("Scan", func() {
		v ^= 1
		_ = b.SetMark(btc, marks[v])
		out, err := b.Scan(dst[:0])
		if err != nil {
			t.Fatal(err)
		}
		n += len(out)
	})
	check("ScanRange", func() {
		out, _ := b.ScanRange(0, 250, dst[:0])
		out, _ = b.ScanRange(250, b.NumAccounts(), out)
		n += len(out)
	})
	if n == 0 {
		t.Error("no liquidatable account found: weak test")
	}
}

// TestBookErrors checks the errors of NewBook and of the queries.
func TestBookErrors(t *testing.T) {
	markets := map[string]spec.Market{
		"BTC": {TickSize: d("0.1"), LotSize: d("0.001"), Tiers: []spec.Tier{
			{MinNotional: d("0"), MaxNotional: d("50000"), MaintenanceMarginRate: d("0.004"), MaxLeverage: d("125")}}},
	}
	prices := map[string]spec.Price{"BTC": {Mark: nul(d("60000"))}}
	good := spec.Account{WalletBalance: d("100"), Positions: []spec.Position{
		{Market: "BTC", Side: spec.Long, Size: d("0.01"), EntryPrice: d("60000"), MarginMode: spec.Cross}}}
	wantErr := func(err error, path, rule string) {
		t.Helper()
		var e *spec.Error
		if !errors.As(err, &e) || e.Path != path || e.Rule != rule {
			t.Errorf("error %v, want %s %s", err, path, rule)
		}
	}
	bad := good
	bad.Positions = []spec.Position{good.Positions[0]}
	bad.Positions[0].Size = d("0.0005")
	_, err := model.NewBook(markets, prices, []spec.Account{good, good, bad})
	wantErr(err, "accounts[2].positions[0].size", "POS-2")
	bad.Positions[0] = good.Positions[0]
	bad.Positions[0].Market = "ETH"
	_, err = model.NewBook(markets, prices, []spec.Account{bad})
	wantErr(err, "accounts[0].positions[0].market", "POS-1")
	_, err = model.NewBook(markets, prices, []spec.Account{good, {WalletBalance: d("-1")}})
	wantErr(err, "accounts[1].walletBalance", "ACC-1")
	bm := map[string]spec.Market{"BTC": markets["BTC"]}
	m := bm["BTC"]
	m.TickSize = d("0")
	bm["BTC"] = m
	_, err = model.NewBook(bm, prices, []spec.Account{good})
	wantErr(err, "markets.BTC.tickSize", "MKT-1")
	_, err = model.NewBook(markets, map[string]spec.Price{"BTC": {Mark: nul(d("-1"))}}, nil)
	wantErr(err, "prices.BTC.mark", "MARK-1")
	_, err = model.NewBook(markets, map[string]spec.Price{}, []spec.Account{good})
	wantErr(err, "accounts[0].positions[0].market", "PRICE-2")

	b, err := model.NewBook(markets, prices, []spec.Account{good, good})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.MarketIndex("ETH"); ok {
		t.Error("MarketIndex(ETH) found")
	}
	if err := b.SetMark(1, 1); !errors.Is(err, model.ErrIndex) {
		t.Errorf("SetMark(1) = %v", err)
	}
	if err := b.SetMark(-1, 1); !errors.Is(err, model.ErrIndex) {
		t.Errorf("SetMark(-1) = %v", err)
	}
	wantErr(b.SetMark(0, 0), "prices.BTC.mark", "MARK-1")
	if _, _, err := b.Liquidatable(2); !errors.Is(err, model.ErrIndex) {
		t.Errorf("Liquidatable(2) = %v", err)
	}
	if _, _, err := b.Liquidatable(-1); !errors.Is(err, model.ErrIndex) {
		t.Errorf("Liquidatable(-1) = %v", err)
	}
	if _, err := b.ScanRange(1, 3, nil); !errors.Is(err, model.ErrIndex) {
		t.Errorf("ScanRange(1, 3) = %v", err)
	}
	if _, err := b.ScanRange(2, 1, nil); !errors.Is(err, model.ErrIndex) {
		t.Errorf("ScanRange(2, 1) = %v", err)
	}
	// A reporting range error: a huge short at a huge mark overflows equity.
	huge := spec.Account{WalletBalance: d("0"), Positions: []spec.Position{
		{Market: "BTC", Side: spec.Short, Size: d("90000000000"), EntryPrice: d("1"), MarginMode: spec.Cross}}}
	b, err = model.NewBook(markets, prices, []spec.Account{good, huge, good})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = b.Liquidatable(1)
	wantErr(err, "accounts[1].pools[0].equity", "NUM-2")
	got, err := b.Scan(nil)
	wantErr(err, "accounts[1].pools[0].equity", "NUM-2")
	if len(got) != 0 {
		t.Errorf("Scan = %v", got)
	}
}

// TestBookMMRangeError reaches the maintenance-margin range check (NUM-2):
// an entry-basis short whose MM at the entry notional (2^64 units * 0.5)
// exceeds MAX while its equity and initial margin do not, in a cross and an
// isolated pool.
func TestBookMMRangeError(t *testing.T) {
	markets := map[string]spec.Market{"E": {TickSize: d("0.00000001"), LotSize: d("0.00000001"), MMBasis: spec.BasisEntry,
		Tiers: []spec.Tier{{MinNotional: d("0"), MaxNotional: d("1"), MaintenanceMarginRate: d("0.5"), MaxLeverage: d("2")}}}}
	prices := map[string]spec.Price{"E": {Mark: nul(d("46116860184.27387903"))}}
	pos := spec.Position{Market: "E", Side: spec.Short, Size: d("4"), EntryPrice: d("46116860184.27387904"),
		MarginMode: spec.Cross, Leverage: nul(d("2"))}
	iso := pos
	iso.MarginMode, iso.IsolatedMargin = spec.Isolated, nul(d("0"))
	accounts := []spec.Account{
		{WalletBalance: d("1"), Positions: []spec.Position{pos}},
		{WalletBalance: d("1"), Positions: []spec.Position{iso}},
	}
	b, err := model.NewBook(markets, prices, accounts)
	if err != nil {
		t.Fatal(err)
	}
	for i, acc := range accounts {
		p, err := model.Load(&spec.Scenario{Markets: markets, Prices: prices, Account: acc})
		if err != nil {
			t.Fatal(err)
		}
		wc, wi, werr := portfolioLiq(p)
		gc, gi, gerr := b.Liquidatable(i)
		var e *spec.Error
		if !errors.As(werr, &e) || e.Rule != "NUM-2" || !strings.HasSuffix(e.Path, ".maintenanceMargin") {
			t.Fatalf("account %d: Portfolio error %v, want a maintenanceMargin range error", i, werr)
		}
		if gc != wc || gi != wi || !sameErr(i, gerr, werr) {
			t.Fatalf("account %d: Book (%v, %v, %v), Portfolio (%v, %v, %v)", i, gc, gi, gerr, wc, wi, werr)
		}
	}
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// TestBookConcurrentScan scans two halves concurrently (run with -race).
func TestBookConcurrentScan(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	c := genBookCase(r, 400)
	b, err := model.NewBook(c.s.Markets, c.s.Prices, c.accounts)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := b.Scan(nil)
	h := b.NumAccounts() / 2
	var lo, hi []int32
	done := make(chan bool)
	go func() { lo, _ = b.ScanRange(0, h, nil); done <- true }()
	go func() { hi, _ = b.ScanRange(h, b.NumAccounts(), nil); done <- true }()
	<-done
	<-done
	if got := append(lo, hi...); !slices.Equal(got, want) {
		t.Fatalf("concurrent halves %v, want %v", got, want)
	}
}
