package spec

import (
	"maps"
	"slices"

	"github.com/shopspring/decimal"
)

// CheckConservation checks SPEC LED-4 between two states of any ledger
// implementation: the sum of all ledger accounts of after (every wallet,
// the insurance fund, every isolated margin, feePool, dust, settlement)
// equals that of before plus deposits minus withdrawals, and after is
// balanced (CheckBalanced). It returns an *Error with Rule "LED-4" naming
// the first violation. Arithmetic is exact decimal arithmetic.
func CheckConservation(before, after *State, deposits, withdrawals decimal.Decimal) error {
	want := ledgerSum(before).Add(deposits).Sub(withdrawals)
	if got := ledgerSum(after); !got.Equal(want) {
		return &Error{Rule: "LED-4", Msg: "sum of ledger accounts " + got.String() + " != " + want.String() + " (before + deposits - withdrawals)"}
	}
	return CheckBalanced(after)
}

// CheckBalanced checks the part of SPEC LED-4 that one state shows: the
// settlement plus the signed sum of the open positions' cost bases is 0
// (an absent settlement is derived and so satisfies it), and long and short
// open interest are equal in every market. It returns an *Error with Rule
// "LED-4" naming the first violation.
func CheckBalanced(st *State) error {
	if st.Settlement.Valid {
		if r := st.Settlement.Decimal.Add(signedCostBases(st)); !r.IsZero() {
			return &Error{Path: "settlement", Rule: "LED-4", Msg: "settlement + sum s*V = " + r.String() + ", not 0"}
		}
	}
	oi := map[string]decimal.Decimal{}
	st.eachAccount(func(_ string, a *Account) {
		for _, p := range a.Positions {
			oi[p.Market] = oi[p.Market].Add(p.Size.Mul(decimal.NewFromInt(int64(p.Side.Sign()))))
		}
	})
	for _, m := range slices.Sorted(maps.Keys(oi)) {
		if !oi[m].IsZero() {
			return &Error{Path: "markets." + PathKey(m), Rule: "LED-4", Msg: "long - short open interest = " + oi[m].String()}
		}
	}
	return nil
}

// CostBasis is the position's entry value V (SPEC POS-2): EntryValue when
// given, else size * entry price.
func (p Position) CostBasis() decimal.Decimal {
	if p.EntryValue.Valid {
		return p.EntryValue.Decimal
	}
	return p.Size.Mul(p.EntryPrice)
}

// eachAccount calls f for every trader account in ascending id order, then
// for the insurance fund (id InsuranceAccount).
func (st *State) eachAccount(f func(id string, a *Account)) {
	for _, id := range slices.Sorted(maps.Keys(st.Accounts)) {
		a := st.Accounts[id]
		f(id, &a)
	}
	f(InsuranceAccount, &st.InsuranceFund)
}

// signedCostBases is the sum over open positions of s*V.
func signedCostBases(st *State) decimal.Decimal {
	s := decimal.Zero
	st.eachAccount(func(_ string, a *Account) {
		for _, p := range a.Positions {
			v := p.CostBasis()
			if p.Side == Short {
				v = v.Neg()
			}
			s = s.Add(v)
		}
	})
	return s
}

// ledgerSum is the sum of every ledger account of st (LED-3), with an absent
// settlement derived.
func ledgerSum(st *State) decimal.Decimal {
	settlement := signedCostBases(st).Neg()
	if st.Settlement.Valid {
		settlement = st.Settlement.Decimal
	}
	s := st.FeePool.Add(st.Dust).Add(settlement)
	st.eachAccount(func(_ string, a *Account) {
		s = s.Add(a.WalletBalance)
		for _, p := range a.Positions {
			if p.IsolatedMargin.Valid {
				s = s.Add(p.IsolatedMargin.Decimal)
			}
		}
	})
	return s
}
