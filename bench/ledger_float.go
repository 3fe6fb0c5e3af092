package bench

import (
	"math"
	"sort"

	"github.com/perpcheck/perpcheck/spec"
)

// floatLedger is decimalLedger's one-market, cross-only ledger written in
// plain float64: the speed floor of BenchmarkLedger. It runs the same rules
// (TRD-2, TRD-4, TRD-5, FND-1..4, LQ-1..5 without ADL) with the same
// formulas, but, like floatAccount, without rounding to the 1e-8 grid: fees,
// funding payments, the removed cost basis Vr and the liquidation fee are
// used unrounded, so the funding remainder that SPEC posts to dust is zero
// up to float64 error. Only the liquidation execution price is put on the
// tick grid (LQ-2), with the quotient mark/tick nudged by a relative 1e-12
// so that a mark on the grid (0.3 / 0.1 is 2.9999999999999996 in float64)
// is not moved a whole tick by representation error, and a reduce that
// comes within half a lot of the position's size closes it (sizes drift by
// float64 error: 0.014+0.013+1.01+0.01 filled against 0.01+0.017+1.01+0.01
// leaves 8.7e-18, not 0).
//
// Its balances therefore differ from the model's by the model's roundings
// (less than one unit of 1e-8 per rounded amount) plus float64 error; see
// TestAgreeLedger for the bound that is checked.
type floatLedger struct {
	Market string
	Tick   float64
	// Lot is the size increment; sizes within half a lot are equal.
	Lot                        float64
	Tiers                      []floatTier
	MaxNotional                float64
	TakerFee, MakerFee, LiqFee float64
	FundingCap                 float64
	HasFundingCap              bool
	Mark                       float64
	Accounts                   []floatLedgerAccount // ascending id
	Fund                       floatLedgerAccount
	FeePool, Dust, Settlement  float64
}

// floatLedgerAccount is a trader (or the insurance fund) of a floatLedger.
type floatLedgerAccount struct {
	ID       string
	Wallet   float64
	Leverage float64
	// Sign is +1 for a long, -1 for a short (meaningless when flat).
	Sign float64
	// Size is the position's size (0 when flat) and Value its cost basis V.
	Size, Value float64
}

// newFloatLedger converts st under the same conditions as newDecimalLedger.
func newFloatLedger(st *spec.State) (*floatLedger, error) {
	name, m, mark, accs, fund, settlement, err := ledgerMarket(st)
	if err != nil {
		return nil, err
	}
	fm := newFloatMarket(m)
	l := &floatLedger{Market: name, Tick: fm.Tick, Lot: m.LotSize.InexactFloat64(), Tiers: fm.Tiers,
		MaxNotional: m.Tiers[len(m.Tiers)-1].MaxNotional.InexactFloat64(),
		TakerFee:    nullOrZero(m.TakerFeeRate).InexactFloat64(), MakerFee: nullOrZero(m.MakerFeeRate).InexactFloat64(),
		LiqFee: nullOrZero(m.LiquidationFeeRate).InexactFloat64(), FundingCap: nullOrZero(m.FundingRateCap).InexactFloat64(),
		HasFundingCap: m.FundingRateCap.Valid, Mark: mark.InexactFloat64(),
		FeePool: st.FeePool.InexactFloat64(), Dust: st.Dust.InexactFloat64(), Settlement: settlement.InexactFloat64()}
	conv := func(a ledgerAccount) floatLedgerAccount {
		fa := floatLedgerAccount{ID: a.id, Wallet: a.wallet.InexactFloat64(), Leverage: a.lev.InexactFloat64(),
			Sign: 1, Size: a.size.InexactFloat64(), Value: a.value.InexactFloat64()}
		if a.hasPos && !a.long {
			fa.Sign = -1
		}
		return fa
	}
	for _, a := range accs {
		l.Accounts = append(l.Accounts, conv(a))
	}
	l.Fund = conv(fund)
	return l, nil
}

// CopyFrom makes l a copy of src, reusing l's account slice.
func (l *floatLedger) CopyFrom(src *floatLedger) {
	accs := append(l.Accounts[:0], src.Accounts...)
	*l = *src
	l.Accounts = accs
}

// Index returns the index in l.Accounts of trader id, or -1.
func (l *floatLedger) Index(id string) int {
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
func (l *floatLedger) Trade(buyer, seller int, size, price float64, makerBuyer bool) error {
	if buyer == seller {
		return errLedgerSelfTrade
	}
	b, s := &l.Accounts[buyer], &l.Accounts[seller]
	sb, ss, feePool, settlement := *b, *s, l.FeePool, l.Settlement
	incB := l.update(b, 1, size, price)
	incS := l.update(s, -1, size, price)
	val := size * price
	bRate, sRate := l.TakerFee, l.MakerFee
	if makerBuyer {
		bRate, sRate = l.MakerFee, l.TakerFee
	}
	bFee, sFee := val*bRate, val*sRate
	b.Wallet -= bFee
	s.Wallet -= sFee
	l.FeePool += bFee + sFee
	if (incB && !l.imOK(b, price)) || (incS && !l.imOK(s, price)) {
		*b, *s, l.FeePool, l.Settlement = sb, ss, feePool, settlement
		return errLedgerIM
	}
	return nil
}

// update is TRD-2 for one side (sign +1: the buyer) of size q at px; it
// reports whether the side's risk increased.
func (l *floatLedger) update(a *floatLedgerAccount, sign, q, px float64) bool {
	if a.Size != 0 && a.Sign != sign {
		// Sizes drift by float64 error, so "q closes the position" is
		// decided to within half a lot.
		if q < a.Size-l.Lot/2 {
			l.reduce(a, q, px)
			return false
		}
		x := a.Size
		l.reduce(a, x, px)
		if q -= x; q < l.Lot/2 {
			return false
		}
	}
	if a.Size == 0 {
		a.Sign = sign
	}
	a.Size += q
	a.Value += q * px
	return true
}

// reduce closes q <= a.Size at px and posts the realized PnL (TRD-2).
func (l *floatLedger) reduce(a *floatLedgerAccount, q, px float64) {
	vr := a.Value
	if q != a.Size {
		vr = a.Value * q / a.Size
	}
	r := a.Sign * (q*px - vr)
	a.Value -= vr
	a.Size -= q
	a.Wallet += r
	l.Settlement -= r
}

func (l *floatLedger) equity(a *floatLedgerAccount) float64 {
	if a.Size == 0 {
		return a.Wallet
	}
	return a.Wallet + a.Sign*(a.Size*l.Mark-a.Value)
}

// imOK is TRD-5 for a's cross pool after an increase at price.
func (l *floatLedger) imOK(a *floatLedgerAccount, price float64) bool {
	n := a.Size * l.Mark
	t := floatTierOf(l.Tiers, n)
	return l.equity(a) >= n/math.Min(a.Leverage, t.MaxLev) && a.Size*price <= l.MaxNotional
}

func (l *floatLedger) liquidatable(a *floatLedgerAccount) bool {
	var mm float64
	if a.Size != 0 {
		n := a.Size * l.Mark
		t := floatTierOf(l.Tiers, n)
		mm = n*t.MMR - t.Cum
	}
	return l.equity(a) < mm
}

// Funding applies funding rate (FND-1..4, unrounded) and then the sweep; it
// returns the number of positions liquidated.
func (l *floatLedger) Funding(rate float64) (int, error) {
	if l.HasFundingCap {
		rate = math.Max(-l.FundingCap, math.Min(rate, l.FundingCap))
	}
	if rate != 0 {
		var pool float64
		pay := func(a *floatLedgerAccount) {
			if a.Size == 0 {
				return
			}
			// Payers (sign*rate > 0) lose a, receivers gain it.
			amt := a.Sign * a.Size * l.Mark * rate
			a.Wallet -= amt
			pool += amt
		}
		pay(&l.Fund)
		for i := range l.Accounts {
			pay(&l.Accounts[i])
		}
		l.Dust += pool
	}
	return l.sweep()
}

// SetMark sets the mark and runs the sweep; it returns the number of
// positions liquidated.
func (l *floatLedger) SetMark(mark float64) (int, error) {
	l.Mark = mark
	return l.sweep()
}

func (l *floatLedger) sweep() (int, error) {
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

func (l *floatLedger) liquidate(a *floatLedgerAccount) (int, error) {
	if a.Size == 0 {
		l.Fund.Wallet += a.Wallet // the fund posts the deficit -wallet
		a.Wallet = 0
		return 0, nil
	}
	// LQ-2, nudged so that an on-grid mark stays on its tick.
	var p float64
	if a.Sign > 0 {
		p = math.Floor(l.Mark/l.Tick*(1+1e-12)) * l.Tick
	} else {
		p = math.Ceil(l.Mark/l.Tick*(1-1e-12)) * l.Tick
	}
	q := a.Size
	ex := a.Wallet + a.Sign*(q*p-a.Value)
	switch {
	case ex >= 0:
		l.update(&l.Fund, a.Sign, q, p)
		l.reduce(a, q, p)
		fee := math.Min(q*p*l.LiqFee, math.Max(0, a.Wallet))
		a.Wallet -= fee
		l.Fund.Wallet += fee
	case l.Fund.Wallet >= -ex:
		l.update(&l.Fund, a.Sign, q, p)
		l.reduce(a, q, p)
		l.Fund.Wallet += ex
		a.Wallet -= ex
	default:
		return 0, errLedgerADL
	}
	return 1, nil
}
