package bench

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// decimalLedger is a one-market, cross-margin-only ledger in shopspring
// decimals: what a Go trading engineer would typically write with
// github.com/shopspring/decimal to move money on trades, funding and
// liquidations. It implements just enough of SPEC LED/TRD/FND/LQ for
// BenchmarkLedger's events on its state (one market, cross positions, a
// cost basis V per position):
//
//   - Trade: TRD-2 (open/increase adds size*price to V; a reduce removes
//     Vr = V*size/|x| rounded up for a long and down for a short and posts
//     the realized PnL s*(size*price - Vr) from settlement to the wallet; a
//     flip is a close then an open), TRD-4 (fees up(size*price*rate) to the
//     fee pool, the maker rate for the maker side), TRD-5 (after an
//     increase E >= IM exactly at the mark, and the notional at the trade
//     price at most the last tier's maxNotional), atomically (LED-7);
//   - Funding: FND-1..4 (payers post up(|Q*mark*rate|), receivers get
//     down(...), the remainder goes to dust; the insurance fund's position
//     pays and receives like any other), then the sweep;
//   - SetMark: a new mark, then the sweep (LQ-1: passes in id order until
//     one liquidates nothing) with LQ-2 (execution at tickDown(mark) for a
//     long, tickUp(mark) for a short), LQ-3 (solvency), LQ-4 (a solvent
//     cross pool closes against the fund and pays the liquidation fee
//     min(up(rate*size*p), max(0, down(E')))) and LQ-5 (a bankrupt pool
//     closes against the fund, which posts exactly the deficit).
//
// It has no isolated margin, no ADL (LQ-6/7: a deficit the fund cannot pay
// is returned as an error, after which the ledger must not be used), no
// validation beyond what newDecimalLedger checks, and no effects: it only
// keeps balances. Multiplications are exact; every quantity SPEC rounds to
// 1e-8 or to the tick is rounded with RoundCeil/RoundFloor or an exact
// QuoRem, and the initial-margin test E >= N/L is written as E*L >= N, so
// nothing depends on Div's 16-digit truncation.
type decimalLedger struct {
	Market string
	Tick   decimal.Decimal
	Tiers  []decimalTier
	// MaxNotional is the last tier's maxNotional (TRD-5).
	MaxNotional                 decimal.Decimal
	TakerFee, MakerFee, LiqFee  decimal.Decimal
	FundingCap                  decimal.Decimal
	HasFundingCap               bool
	Mark                        decimal.Decimal
	Accounts                    []decimalLedgerAccount // ascending id
	Fund                        decimalLedgerAccount
	FeePool, Dust, Settlement   decimal.Decimal
	scratchBuyer, scratchSeller decimalLedgerAccount
}

// decimalLedgerAccount is a trader (or the insurance fund) of a
// decimalLedger: its cross wallet, its leverage setting and its one-way
// position in the ledger's market (Size zero when flat).
type decimalLedgerAccount struct {
	ID       string
	Wallet   decimal.Decimal
	Leverage decimal.Decimal
	Long     bool
	// Size is the position's size (>= 0) and Value its cost basis V.
	Size, Value decimal.Decimal
}

// errLedgerADL is returned when a liquidation needs auto-deleveraging
// (SPEC LQ-6), which the bench ledgers do not implement.
var errLedgerADL = errors.New("bench ledger: the insurance fund cannot pay a deficit (ADL is not implemented)")

// errLedgerSelfTrade is returned by a trade whose buyer is its seller (TRD-1).
var errLedgerSelfTrade = errors.New("bench ledger: buyer and seller are the same account (TRD-1)")

// errLedgerIM is returned by a trade that fails SPEC TRD-5.
var errLedgerIM = errors.New("bench ledger: trade rejected by the initial margin check (TRD-5)")

// ledgerAccount is one account of st in a bench ledger's terms: its wallet,
// leverage setting and its position in market (if any).
type ledgerAccount struct {
	id           string
	wallet, lev  decimal.Decimal
	long, hasPos bool
	size, value  decimal.Decimal
}

// ledgerMarket checks that st is something the bench ledgers can run (one
// market, mark basis, cross positions only) and returns its market, the
// accounts in ascending id order, the fund and the settlement.
func ledgerMarket(st *spec.State) (name string, m spec.Market, mark decimal.Decimal, accs []ledgerAccount, fund ledgerAccount, settlement decimal.Decimal, err error) {
	if len(st.Markets) != 1 {
		return "", m, mark, nil, fund, settlement, fmt.Errorf("bench ledger: want exactly one market, got %d", len(st.Markets))
	}
	for n, mk := range st.Markets {
		name, m = n, mk
	}
	if m.MMBasis == spec.BasisEntry {
		return "", m, mark, nil, fund, settlement, errors.New("bench ledger: entry basis is not implemented")
	}
	pr, ok := st.Prices[name]
	if !ok || !pr.Mark.Valid {
		return "", m, mark, nil, fund, settlement, errors.New("bench ledger: the market needs a given mark")
	}
	mark = pr.Mark.Decimal
	defLev := defaultLeverage(m)
	signed := decimal.Zero // sum s*V
	conv := func(id string, a spec.Account) (ledgerAccount, error) {
		la := ledgerAccount{id: id, wallet: a.WalletBalance, lev: defLev}
		if s, ok := a.Settings[name]; ok {
			if s.MarginMode == spec.Isolated {
				return la, fmt.Errorf("bench ledger: account %q: isolated margin is not implemented", id)
			}
			if s.Leverage.Valid {
				la.lev = s.Leverage.Decimal
			}
		}
		for _, p := range a.Positions {
			if p.Market != name || p.MarginMode == spec.Isolated || la.hasPos {
				return la, fmt.Errorf("bench ledger: account %q: only one cross position in %q is implemented", id, name)
			}
			la.hasPos, la.long, la.size = true, p.Side == spec.Long, p.Size
			if p.EntryValue.Valid {
				la.value = p.EntryValue.Decimal
			} else {
				la.value = p.Size.Mul(p.EntryPrice)
			}
			if la.long {
				signed = signed.Add(la.value)
			} else {
				signed = signed.Sub(la.value)
			}
		}
		return la, nil
	}
	ids := slices.Sorted(maps.Keys(st.Accounts))
	for _, id := range ids {
		la, err := conv(id, st.Accounts[id])
		if err != nil {
			return "", m, mark, nil, fund, settlement, err
		}
		accs = append(accs, la)
	}
	if fund, err = conv(spec.InsuranceAccount, st.InsuranceFund); err != nil {
		return "", m, mark, nil, fund, settlement, err
	}
	settlement = signed.Neg()
	if st.Settlement.Valid {
		settlement = st.Settlement.Decimal
	}
	return name, m, mark, accs, fund, settlement, nil
}

func nullOrZero(d decimal.NullDecimal) decimal.Decimal {
	if d.Valid {
		return d.Decimal
	}
	return decimal.Zero
}

// newDecimalLedger converts st, which must have exactly one market (mark
// basis, with a given mark) and only cross positions in it; positions may
// give entryValue or entryPrice. A missing settlement is derived (LED-4).
func newDecimalLedger(st *spec.State) (*decimalLedger, error) {
	name, m, mark, accs, fund, settlement, err := ledgerMarket(st)
	if err != nil {
		return nil, err
	}
	dm := newDecimalMarket(m)
	l := &decimalLedger{Market: name, Tick: dm.Tick, Tiers: dm.Tiers,
		MaxNotional: m.Tiers[len(m.Tiers)-1].MaxNotional,
		TakerFee:    nullOrZero(m.TakerFeeRate), MakerFee: nullOrZero(m.MakerFeeRate),
		LiqFee: nullOrZero(m.LiquidationFeeRate), FundingCap: nullOrZero(m.FundingRateCap),
		HasFundingCap: m.FundingRateCap.Valid, Mark: mark,
		FeePool: st.FeePool, Dust: st.Dust, Settlement: settlement}
	conv := func(a ledgerAccount) decimalLedgerAccount {
		return decimalLedgerAccount{ID: a.id, Wallet: a.wallet, Leverage: a.lev, Long: a.long, Size: a.size, Value: a.value}
	}
	for _, a := range accs {
		l.Accounts = append(l.Accounts, conv(a))
	}
	l.Fund = conv(fund)
	return l, nil
}

// CopyFrom makes l a copy of src, reusing l's account slice (decimals are
// immutable values, so sharing them is safe).
func (l *decimalLedger) CopyFrom(src *decimalLedger) {
	accs := append(l.Accounts[:0], src.Accounts...)
	*l = *src
	l.Accounts = accs
}

// Index returns the index in l.Accounts of trader id, or -1.
func (l *decimalLedger) Index(id string) int {
	i := sort.Search(len(l.Accounts), func(i int) bool { return l.Accounts[i].ID >= id })
	if i < len(l.Accounts) && l.Accounts[i].ID == id {
		return i
	}
	return -1
}

// Trade fills size at price between traders buyer and seller (indices in
// l.Accounts); the seller is the maker unless makerBuyer. It returns
// errLedgerIM, with nothing changed, when a side whose risk increased fails
// TRD-5.
func (l *decimalLedger) Trade(buyer, seller int, size, price decimal.Decimal, makerBuyer bool) error {
	if buyer == seller {
		return errLedgerSelfTrade
	}
	b, s := &l.Accounts[buyer], &l.Accounts[seller]
	// LED-7: keep what the trade may change, to restore it on rejection.
	l.scratchBuyer, l.scratchSeller = *b, *s
	feePool, settlement := l.FeePool, l.Settlement
	incB := l.update(b, true, size, price)
	incS := l.update(s, false, size, price)
	val := size.Mul(price)
	bRate, sRate := l.TakerFee, l.MakerFee
	if makerBuyer {
		bRate, sRate = l.MakerFee, l.TakerFee
	}
	l.payFee(b, val.Mul(bRate).RoundCeil(8))
	l.payFee(s, val.Mul(sRate).RoundCeil(8))
	if (incB && !l.imOK(b, price)) || (incS && !l.imOK(s, price)) {
		*b, *s = l.scratchBuyer, l.scratchSeller
		l.FeePool, l.Settlement = feePool, settlement
		return errLedgerIM
	}
	return nil
}

func (l *decimalLedger) payFee(a *decimalLedgerAccount, fee decimal.Decimal) {
	a.Wallet = a.Wallet.Sub(fee)
	l.FeePool = l.FeePool.Add(fee)
}

// update is TRD-2 for one side (long: the buyer) of size q at px; it
// reports whether the side's risk increased (open, increase, flip).
func (l *decimalLedger) update(a *decimalLedgerAccount, long bool, q, px decimal.Decimal) bool {
	if !a.Size.IsZero() && a.Long != long {
		if q.LessThanOrEqual(a.Size) {
			l.reduce(a, q, px)
			return false
		}
		x := a.Size
		l.reduce(a, x, px)
		q = q.Sub(x)
	}
	if a.Size.IsZero() {
		a.Long = long
	}
	a.Size = a.Size.Add(q)
	a.Value = a.Value.Add(q.Mul(px))
	return true
}

// reduce closes q <= a.Size at px and posts the realized PnL (TRD-2).
func (l *decimalLedger) reduce(a *decimalLedgerAccount, q, px decimal.Decimal) {
	vr := a.Value
	if !q.Equal(a.Size) {
		// Vr = V*q/|x| on the 1e-8 grid, up for a long, down for a short.
		var rem decimal.Decimal
		vr, rem = a.Value.Mul(q).QuoRem(a.Size, 8)
		if a.Long && rem.IsPositive() {
			vr = vr.Add(decUnit)
		}
	}
	r := q.Mul(px).Sub(vr)
	if !a.Long {
		r = r.Neg()
	}
	a.Value = a.Value.Sub(vr)
	a.Size = a.Size.Sub(q)
	a.Wallet = a.Wallet.Add(r)
	l.Settlement = l.Settlement.Sub(r)
}

var decUnit = decimal.New(1, -8)

// equity is the cross pool's exact equity at the mark (POOL-1).
func (l *decimalLedger) equity(a *decimalLedgerAccount) decimal.Decimal {
	if a.Size.IsZero() {
		return a.Wallet
	}
	u := a.Size.Mul(l.Mark).Sub(a.Value)
	if !a.Long {
		u = u.Neg()
	}
	return a.Wallet.Add(u)
}

// imOK is TRD-5 for a's cross pool after an increase at price.
func (l *decimalLedger) imOK(a *decimalLedgerAccount, price decimal.Decimal) bool {
	n := a.Size.Mul(l.Mark)
	t := decimalTierOf(l.Tiers, n)
	lev := decimal.Min(a.Leverage, t.MaxLev)
	// E >= N/L, written without a division.
	return l.equity(a).Mul(lev).GreaterThanOrEqual(n) && a.Size.Mul(price).LessThanOrEqual(l.MaxNotional)
}

// liquidatable is POOL-5 on a's cross pool.
func (l *decimalLedger) liquidatable(a *decimalLedgerAccount) bool {
	mm := decimal.Zero
	if !a.Size.IsZero() {
		n := a.Size.Mul(l.Mark)
		t := decimalTierOf(l.Tiers, n)
		mm = n.Mul(t.MMR).Sub(t.Cum)
	}
	return l.equity(a).LessThan(mm)
}

// Funding applies funding rate (FND-1..4) and then the sweep; it returns
// the number of positions liquidated.
func (l *decimalLedger) Funding(rate decimal.Decimal) (int, error) {
	if l.HasFundingCap {
		rate = decimal.Max(l.FundingCap.Neg(), decimal.Min(rate, l.FundingCap))
	}
	if !rate.IsZero() {
		abs := rate.Abs()
		pool := decimal.Zero // funding:<market>
		pay := func(a *decimalLedgerAccount) {
			if a.Size.IsZero() {
				return
			}
			amt := a.Size.Mul(l.Mark).Mul(abs)
			if a.Long == rate.IsPositive() {
				amt = amt.RoundCeil(8)
				a.Wallet = a.Wallet.Sub(amt)
				pool = pool.Add(amt)
			} else {
				amt = amt.RoundFloor(8)
				a.Wallet = a.Wallet.Add(amt)
				pool = pool.Sub(amt)
			}
		}
		pay(&l.Fund)
		for i := range l.Accounts {
			pay(&l.Accounts[i])
		}
		l.Dust = l.Dust.Add(pool)
	}
	return l.sweep()
}

// SetMark sets the mark and runs the sweep; it returns the number of
// positions liquidated.
func (l *decimalLedger) SetMark(mark decimal.Decimal) (int, error) {
	l.Mark = mark
	return l.sweep()
}

// sweep is LQ-1.
func (l *decimalLedger) sweep() (int, error) {
	n := 0
	for {
		did := false
		for i := range l.Accounts {
			a := &l.Accounts[i]
			if !l.liquidatable(a) {
				continue
			}
			closed, err := l.liquidate(a)
			if err != nil {
				return n, err
			}
			n += closed
			did = true
		}
		if !did {
			return n, nil
		}
	}
}

// liquidate liquidates a's cross pool (LQ-2..5) and returns the number of
// positions closed (0 or 1).
func (l *decimalLedger) liquidate(a *decimalLedgerAccount) (int, error) {
	if a.Size.IsZero() {
		// A flat pool with a negative wallet: the fund posts the deficit.
		d := a.Wallet.Neg()
		l.Fund.Wallet = l.Fund.Wallet.Sub(d)
		a.Wallet = decimal.Zero
		return 0, nil
	}
	// LQ-2: tickDown(mark) for a long, tickUp(mark) for a short.
	ticks, rem := l.Mark.QuoRem(l.Tick, 0)
	if !a.Long && rem.IsPositive() {
		ticks = ticks.Add(decOne)
	}
	p := ticks.Mul(l.Tick)
	q := a.Size
	// LQ-3: equity with the position closed at p.
	r := q.Mul(p).Sub(a.Value)
	if !a.Long {
		r = r.Neg()
	}
	ex := a.Wallet.Add(r)
	switch {
	case !ex.IsNegative():
		// LQ-4: close against the fund; the fee is capped at what is left.
		l.update(&l.Fund, a.Long, q, p)
		l.reduce(a, q, p)
		fee := q.Mul(p).Mul(l.LiqFee).RoundCeil(8)
		fee = decimal.Min(fee, decimal.Max(decimal.Zero, a.Wallet.RoundFloor(8)))
		a.Wallet = a.Wallet.Sub(fee)
		l.Fund.Wallet = l.Fund.Wallet.Add(fee)
	case l.Fund.Wallet.GreaterThanOrEqual(ex.Neg()):
		// LQ-5: the fund takes the position and pays the deficit exactly.
		l.update(&l.Fund, a.Long, q, p)
		l.reduce(a, q, p)
		d := ex.Neg()
		l.Fund.Wallet = l.Fund.Wallet.Sub(d)
		a.Wallet = a.Wallet.Add(d)
	default:
		return 0, errLedgerADL
	}
	return 1, nil
}
