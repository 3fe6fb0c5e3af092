package spec

import "maps"

// Clone methods return deep copies: a copy shares no slice or map with the
// original, so either may be modified without the other seeing it. A nil map
// or slice stays nil and an empty one stays empty, so a clone is equal to its
// original under DiffExact. Decimals are values (shopspring never modifies a
// decimal in place) and are copied as such.

// Clone returns a deep copy of s; nil gives nil.
func (s *Scenario) Clone() *Scenario {
	if s == nil {
		return nil
	}
	c := *s
	c.Markets = cloneMarkets(s.Markets)
	c.Prices = maps.Clone(s.Prices)
	c.Account = s.Account.Clone()
	return &c
}

// Clone returns a deep copy of m.
func (m Market) Clone() Market {
	m.Tiers = cloneSlice(m.Tiers)
	for i := range m.Tiers {
		if r := m.Tiers[i].InitialMarginRate; r != nil {
			c := *r
			m.Tiers[i].InitialMarginRate = &c
		}
	}
	m.MarginModes = cloneSlice(m.MarginModes)
	if m.Variants != nil {
		v := *m.Variants
		m.Variants = &v
	}
	if m.Expiry != nil {
		e := *m.Expiry
		m.Expiry = &e
	}
	m.PortfolioMargin = m.PortfolioMargin.Clone()
	return m
}

// Clone returns a deep copy of a.
func (a Account) Clone() Account {
	a.Positions = cloneSlice(a.Positions)
	a.Settings = maps.Clone(a.Settings)
	return a
}

// Clone returns a deep copy of r; nil gives nil.
func (r *Report) Clone() *Report {
	if r == nil {
		return nil
	}
	c := *r
	c.Prices = maps.Clone(r.Prices)
	c.Positions = cloneSlice(r.Positions)
	c.Pools = cloneSlice(r.Pools)
	c.Portfolio = r.Portfolio.Clone()
	return &c
}

// Clone returns a deep copy of st; nil gives nil.
func (st *State) Clone() *State {
	if st == nil {
		return nil
	}
	c := *st
	c.Markets = cloneMarkets(st.Markets)
	c.Prices = maps.Clone(st.Prices)
	if st.Accounts != nil {
		c.Accounts = make(map[string]Account, len(st.Accounts))
		for id, a := range st.Accounts {
			c.Accounts[id] = a.Clone()
		}
	}
	c.InsuranceFund = st.InsuranceFund.Clone()
	return &c
}

// Clone returns a deep copy of r; nil gives nil.
func (r *Run) Clone() *Run {
	if r == nil {
		return nil
	}
	c := Run{State: *r.State.Clone(), Events: cloneSlice(r.Events)}
	return &c
}

// Clone returns a copy of e; nil gives nil.
func (e *Error) Clone() *Error {
	if e == nil {
		return nil
	}
	c := *e
	return &c
}

func cloneMarkets(m map[string]Market) map[string]Market {
	if m == nil {
		return nil
	}
	c := make(map[string]Market, len(m))
	for k, v := range m {
		c[k] = v.Clone()
	}
	return c
}

// cloneSlice copies a slice of values without references, keeping nil nil
// and empty empty (slices.Clone turns an empty slice into nil).
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}
