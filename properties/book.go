package properties

import (
	"fmt"
	"maps"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/properties/internal/specutil"
	"github.com/perpcheck/perpcheck/spec"
)

// This file holds the book: the ledger accounts and positions of a state,
// as the LED-4 and LED-6 checks see them.

// ledgerPos is a position as the book sees it: signed size x, cost basis V
// and margin mode.
type ledgerPos struct {
	x    decimal.Decimal
	v    decimal.Decimal
	mode spec.MarginMode
}

// book is the balances of the ledger accounts (LED-3; "external" excluded)
// and the positions (by posKey) of a state.
type book struct {
	bal map[string]decimal.Decimal
	pos map[string]ledgerPos
}

func posKey(id, market string) string { return id + "|" + market }

// stateAccounts returns the accounts of st with the insurance fund's under
// model.InsuranceAccount.
func stateAccounts(st *spec.State) map[string]spec.Account {
	out := make(map[string]spec.Account, len(st.Accounts)+1)
	for id, a := range st.Accounts {
		out[id] = a
	}
	out[spec.InsuranceAccount] = st.InsuranceFund
	return out
}

// bookOf reads st's ledger accounts and positions.
func bookOf(st *spec.State) *book {
	b := &book{bal: map[string]decimal.Decimal{}, pos: map[string]ledgerPos{}}
	sv := decimal.Zero
	for id, a := range stateAccounts(st) {
		b.bal["wallet:"+id] = a.WalletBalance
		for _, p := range a.Positions {
			x := p.Size
			if p.Side == spec.Short {
				x = x.Neg()
			}
			mode := p.MarginMode
			if mode == "" {
				mode = spec.Cross
			}
			v := p.CostBasis()
			b.pos[posKey(id, p.Market)] = ledgerPos{x: x, v: v, mode: mode}
			if mode == spec.Isolated {
				b.bal["isolated:"+id+":"+p.Market] = p.IsolatedMargin.Decimal
			}
			if p.Side == spec.Short {
				v = v.Neg()
			}
			sv = sv.Add(v)
		}
	}
	b.bal["fees"] = st.FeePool
	b.bal["dust"] = st.Dust
	if st.Settlement.Valid {
		b.bal["settlement"] = st.Settlement.Decimal
	} else {
		b.bal["settlement"] = sv.Neg() // absent means derived (LED-4)
	}
	return b
}

// total is the sum of every ledger account except external (LED-4).
func (b *book) total() decimal.Decimal {
	s := decimal.Zero
	for _, v := range b.bal {
		s = s.Add(v)
	}
	return s
}

// get returns a balance (0 for an account that does not exist).
func (b *book) get(name string) decimal.Decimal { return b.bal[name] }

// clone returns a copy of b that shares no map with it.
func (b *book) clone() *book {
	return &book{bal: maps.Clone(b.bal), pos: maps.Clone(b.pos)}
}

// add changes a balance.
func (b *book) add(name string, d decimal.Decimal) { b.bal[name] = b.bal[name].Add(d) }

// checkLED4 checks SPEC LED-4's identities on a state alone: settlement +
// sum s * V = 0 and, per market, long open interest = short open interest.
func checkLED4(st *spec.State) string { return checkLED4Book(st, bookOf(st)) }

// checkLED4Book is checkLED4 with the book of st given.
func checkLED4Book(st *spec.State, bk *book) string {
	if err := spec.CheckBalanced(st); err != nil {
		return err.Error()
	}
	for name, b := range bk.bal {
		if strings.HasPrefix(name, "funding:") && !b.IsZero() {
			return fmt.Sprintf("LED-3: %s holds %s after the event", name, b)
		}
	}
	return ""
}

// validAccountName says whether name is a ledger account of LED-3 for the
// accounts and markets of st.
func validAccountName(st *spec.State, name string) bool {
	accts := stateAccounts(st)
	switch {
	case name == "fees" || name == "dust" || name == "settlement" || name == "external":
		return true
	case strings.HasPrefix(name, "wallet:"):
		_, ok := accts[strings.TrimPrefix(name, "wallet:")]
		return ok
	case strings.HasPrefix(name, "funding:"):
		_, ok := st.Markets[strings.TrimPrefix(name, "funding:")]
		return ok
	case strings.HasPrefix(name, "isolated:"):
		rest := strings.TrimPrefix(name, "isolated:")
		i := strings.LastIndex(rest, ":")
		if i < 0 {
			return false
		}
		_, okA := accts[rest[:i]]
		_, okM := st.Markets[rest[i+1:]]
		return okA && okM && rest[:i] != spec.InsuranceAccount
	}
	return false
}

// postingReasons are LED-6's reasons.
var postingReasons = map[string]bool{
	"deposit": true, "withdraw": true, "fee": true, "realized-pnl": true, "margin": true,
	"funding": true, "liquidation-fee": true, "insurance": true, "dust": true,
}

// fillKinds are LED-6's fill kinds.
var fillKinds = map[string]bool{"trade": true, "liquidation": true, "adl": true}

// poolName is the ledger account of the pool holding id's position in
// market: its isolated margin or its wallet.
func poolName(id, market string, mode spec.MarginMode) string {
	if mode == spec.Isolated {
		return "isolated:" + id + ":" + market
	}
	return "wallet:" + id
}

// upUnits and downUnits round x to the 1e-8 grid (SPEC NUM-4).
func upUnits(x decimal.Decimal) decimal.Decimal { return specutil.CeilGrid(x, units(1)) }

func downUnits(x decimal.Decimal) decimal.Decimal { return specutil.FloorGrid(x, units(1)) }

// rateOf returns an optional rate's value (absent: 0).
func rateOf(r decimal.NullDecimal) decimal.Decimal {
	if !r.Valid {
		return decimal.Zero
	}
	return r.Decimal
}

// sideSign is +1 for long, -1 for short.
func sideSign(s spec.Side) int {
	if s == spec.Short {
		return -1
	}
	return 1
}

// roundQuo returns a / b (b > 0) rounded to the 1e-8 grid, up or down,
// exactly.
func roundQuo(a, b decimal.Decimal, up bool) decimal.Decimal {
	q := new(big.Rat).Quo(a.Rat(), b.Rat())
	q.Mul(q, big.NewRat(100_000_000, 1))
	f := new(big.Int).Div(q.Num(), q.Denom()) // floor (the denominator is positive)
	if up && new(big.Rat).SetInt(f).Cmp(q) != 0 {
		f.Add(f, big.NewInt(1))
	}
	return decimal.NewFromBigInt(f, -8)
}
