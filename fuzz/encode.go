package fuzz

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// encodeScenario returns fuzz input that DecodeScenario decodes to s, with
// its markets renamed, in ascending byte order, to MarketNames (so the
// meaning is unchanged). It exists to turn example scenarios into seeds of
// the differential targets. s must use plain markets (resolve profiles with
// venue.Resolve first), at most 4 markets and 16 tiers per market, at most one
// position per market, valid Fixed values only, a computed mark's index equal
// to its mark when both are given, and no isolatedMargin on a cross position.
func encodeScenario(s *spec.Scenario) ([]byte, error) {
	w := &writer{}
	if err := writeScenario(w, s); err != nil {
		return nil, err
	}
	if err := checkRoundTrip(s, DecodeScenario(w.b)); err != nil {
		return nil, err
	}
	return w.b, nil
}

// checkRoundTrip checks that got, a decoded scenario, is want with its
// markets renamed to MarketNames.
func checkRoundTrip(want, got *spec.Scenario) error {
	names := slices.Sorted(maps.Keys(want.Markets))
	ren := make(map[string]string, len(names))
	for i, n := range names {
		ren[n] = MarketNames[i]
	}
	w := want.Clone()
	w.Markets, w.Prices = map[string]spec.Market{}, map[string]spec.Price{}
	for n, m := range want.Markets {
		if len(m.MarginModes) == 2 {
			m.MarginModes = []spec.MarginMode{spec.Isolated, spec.Cross}
		}
		if len(m.MarginModes) == 0 {
			m.MarginModes = nil
		}
		w.Markets[ren[n]] = m
	}
	for n, p := range want.Prices {
		w.Prices[ren[n]] = p
	}
	for i := range w.Account.Positions {
		w.Account.Positions[i].Market = ren[w.Account.Positions[i].Market]
	}
	if d := spec.Diff(w, got); d != nil {
		return fmt.Errorf("fuzz: encoding does not round-trip: %s", strings.Join(d, "; "))
	}
	return nil
}

// encodeQueries returns fuzz input that DecodeQueries decodes to s and the
// given updates (Kind "", "liq" or "bkr"; Value > 0 when Kind is "").
func encodeQueries(s *spec.Scenario, ups []MarkUpdate) ([]byte, error) {
	if len(ups) < 1 || len(ups) > 3 {
		return nil, errors.New("fuzz: 1 to 3 updates")
	}
	w := &writer{}
	if err := writeScenario(w, s); err != nil {
		return nil, err
	}
	w.u8(byte(len(ups) - 1))
	for _, mu := range ups {
		if mu.Market < 0 || mu.Market >= len(s.Markets) {
			return nil, errors.New("fuzz: update of an unknown market")
		}
		w.u8(byte(mu.Market))
		switch mu.Kind {
		case "":
			if mu.Value <= 0 {
				return nil, errors.New("fuzz: update value must be > 0")
			}
			w.u8(0)
			w.val(mu.Value)
			continue
		case "liq":
			w.u8(5)
		case "bkr":
			w.u8(7)
		default:
			return nil, fmt.Errorf("fuzz: unknown update kind %q", mu.Kind)
		}
		if mu.Delta < -128 || mu.Delta > 127 {
			return nil, errors.New("fuzz: update delta must fit an int8 (units)")
		}
		w.u8(byte(int8(mu.Delta)))
		w.u8(0)
	}
	return w.b, nil
}

func writeScenario(w *writer, s *spec.Scenario) error {
	names := slices.Sorted(maps.Keys(s.Markets))
	if len(names) == 0 || len(names) > len(MarketNames) {
		return fmt.Errorf("fuzz: %d markets, want 1..%d", len(names), len(MarketNames))
	}
	index := make(map[string]int, len(names))
	for i, n := range names {
		index[n] = i
	}
	w.u8(byte((len(names) + 2) % len(MarketNames)))
	for _, n := range names {
		if err := encodeMarket(w, s.Markets[n]); err != nil {
			return fmt.Errorf("market %s: %w", n, err)
		}
	}
	for _, n := range names {
		p, ok := s.Prices[n]
		if err := encodePrice(w, p, ok); err != nil {
			return fmt.Errorf("prices %s: %w", n, err)
		}
	}
	for n := range s.Prices {
		if _, ok := index[n]; !ok {
			return fmt.Errorf("fuzz: prices of unknown market %s", n)
		}
	}
	if err := w.dval(s.Account.WalletBalance); err != nil {
		return err
	}
	np := len(s.Account.Positions)
	if np > len(names) {
		return errors.New("fuzz: more positions than markets")
	}
	w.u8(byte(len(names) - np))
	used := make([]bool, len(names))
	for i, p := range s.Account.Positions {
		mi, ok := index[p.Market]
		if !ok || used[mi] {
			return fmt.Errorf("fuzz: position %d: unknown or repeated market", i)
		}
		used[mi] = true
		w.u8(byte(mi))
		if err := encodePosition(w, p); err != nil {
			return fmt.Errorf("position %d: %w", i, err)
		}
	}
	w.u8(0) // no margin snap
	w.u8(0) // no mark snap
	w.u8(0) // no corruption
	return nil
}

func encodeMarket(w *writer, m spec.Market) error {
	if m.Profile != "" || m.Symbol != "" {
		return errors.New("fuzz: resolve profile markets first")
	}
	if err := w.dval(m.TickSize); err != nil {
		return err
	}
	if err := w.dval(m.LotSize); err != nil {
		return err
	}
	switch m.MMBasis {
	case "":
		w.u8(0)
	case spec.BasisMark:
		w.u8(1)
	case spec.BasisEntry:
		w.u8(2)
	default:
		return fmt.Errorf("fuzz: mmBasis %q", m.MMBasis)
	}
	var cross, iso bool
	for _, mm := range m.MarginModes {
		switch mm {
		case spec.Cross:
			cross = true
		case spec.Isolated:
			iso = true
		default:
			return fmt.Errorf("fuzz: margin mode %q", mm)
		}
	}
	switch {
	case len(m.MarginModes) == 0:
		w.u8(0)
	case cross && iso:
		w.u8(7)
	case cross:
		w.u8(5)
	default:
		w.u8(6)
	}
	if err := encodeNulls(w, m.LiquidationFeeRate, m.FundingIntervalHours, m.MarkPriceBand,
		m.MakerFeeRate, m.TakerFeeRate, m.FundingRateCap); err != nil {
		return err
	}
	if len(m.Tiers) > maxExplicitTiers {
		return fmt.Errorf("fuzz: %d tiers, at most %d", len(m.Tiers), maxExplicitTiers)
	}
	w.u8(7)
	w.u8(byte(len(m.Tiers)))
	for _, t := range m.Tiers {
		if err := encodeVals(w, t.MinNotional, t.MaxNotional, t.MaintenanceMarginRate, t.MaxLeverage); err != nil {
			return err
		}
		if err := w.nval(t.MaintenanceAmount); err != nil {
			return err
		}
	}
	return nil
}

func encodeNulls(w *writer, ds ...decimal.NullDecimal) error {
	for _, d := range ds {
		if err := w.nval(d); err != nil {
			return err
		}
	}
	return nil
}

func encodeVals(w *writer, ds ...decimal.Decimal) error {
	for _, d := range ds {
		if err := w.dval(d); err != nil {
			return err
		}
	}
	return nil
}

func encodePrice(w *writer, p spec.Price, ok bool) error {
	computed := p.Index.Valid || p.Last.Valid || p.FundingRate.Valid ||
		p.SecondsToFunding.Valid || p.BasisAverage.Valid
	switch {
	case !ok:
		w.u8(7)
		return nil
	case !computed:
		if !p.Mark.Valid {
			return errors.New("fuzz: a prices entry without mark or index")
		}
		w.u8(0)
		return w.dval(p.Mark.Decimal)
	case !p.Index.Valid || !p.Last.Valid:
		return errors.New("fuzz: a computed mark needs index and last")
	case p.Mark.Valid:
		if !p.Mark.Decimal.Equal(p.Index.Decimal) {
			return errors.New("fuzz: mark and index given and different")
		}
		w.u8(6)
	default:
		w.u8(4)
	}
	if err := w.dval(p.Index.Decimal); err != nil {
		return err
	}
	if err := w.dval(p.Last.Decimal); err != nil {
		return err
	}
	if err := w.nsval(p.FundingRate); err != nil {
		return err
	}
	if err := w.nval(p.SecondsToFunding); err != nil {
		return err
	}
	return w.nsval(p.BasisAverage)
}

func encodePosition(w *writer, p spec.Position) error {
	switch p.Side {
	case spec.Long:
		w.u8(0)
	case spec.Short:
		w.u8(1)
	default:
		return fmt.Errorf("fuzz: side %q", p.Side)
	}
	if err := w.dval(p.Size); err != nil {
		return err
	}
	w.u8(0) // on the lot grid as given
	switch {
	case p.EntryValue.Valid && p.EntryPrice.IsZero():
		w.u8(6)
		if err := w.dval(p.EntryValue.Decimal); err != nil {
			return err
		}
	case p.EntryValue.Valid:
		if !p.EntryValue.Decimal.Equal(p.Size.Mul(p.EntryPrice)) {
			return errors.New("fuzz: entryValue is not size * entryPrice")
		}
		w.u8(7)
		if err := w.dval(p.EntryPrice); err != nil {
			return err
		}
	default:
		w.u8(0)
		if err := w.dval(p.EntryPrice); err != nil {
			return err
		}
	}
	switch p.MarginMode {
	case spec.Cross:
		w.u8(0)
	case spec.Isolated:
		w.u8(1)
	default:
		return fmt.Errorf("fuzz: margin mode %q", p.MarginMode)
	}
	if err := w.nval(p.Leverage); err != nil {
		return err
	}
	if p.MarginMode == spec.Isolated {
		return w.nval(p.IsolatedMargin)
	}
	if p.IsolatedMargin.Valid {
		return errors.New("fuzz: a cross position with isolatedMargin")
	}
	return nil
}
