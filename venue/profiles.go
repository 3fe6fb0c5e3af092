package venue

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/spec"
)

// Profile is a dated snapshot of one venue's margin parameters: the headline
// figures the venue publishes and the markets (tier tables, tick and lot
// sizes, switches) a scenario can name with "profile" and "symbol"
// (SPEC PROF-1..3).
type Profile struct {
	// ID is "<venue>@<asOf>", e.g. "binance@2024-10-01".
	ID string
	// Venue is the lower-case venue name, e.g. "binance".
	Venue string
	// AsOf is the date of the data, YYYY-MM-DD. When a source is dated only
	// by year, the first day of that year is used and Notes say so.
	AsOf string
	// Sources names every source of a fact in the profile: URLs, or
	// repository + path + commit.
	Sources []string
	// MaxLeverage, IMRange and MMRange are the venue's headline figures as
	// published (for every venue here: the seed article's table). They are
	// informational; the markets' tier tables are what evaluation uses, and
	// they may differ (Notes say where).
	MaxLeverage decimal.Decimal
	// IMRange is the published [lowest, highest] initial margin rate.
	IMRange [2]decimal.Decimal
	// MMRange is the published [lowest, highest] maintenance margin rate.
	MMRange [2]decimal.Decimal
	// MarginModes are the modes the venue offers; every market of the
	// profile lists exactly these.
	MarginModes []spec.MarginMode
	// MMBasis is the maintenance-margin basis of the venue's markets.
	MMBasis spec.MMBasis
	// LiquidationFeeRate is a venue-wide liquidation fee rate, null when it
	// is unknown or differs per market (then see the markets).
	LiquidationFeeRate decimal.NullDecimal
	// FundingIntervalHours is the venue's usual funding interval.
	FundingIntervalHours decimal.Decimal
	// Notes say what is approximated, assumed or unknown.
	Notes string
	// Markets maps the venue's symbol to its market. Markets have Profile
	// and Symbol empty.
	Markets map[string]spec.Market
}

// copyProfile returns a deep copy of p (no shared slice or map).
func copyProfile(p Profile) Profile {
	q := p
	q.Sources = append([]string(nil), p.Sources...)
	q.MarginModes = append([]spec.MarginMode(nil), p.MarginModes...)
	q.Markets = make(map[string]spec.Market, len(p.Markets))
	for k, m := range p.Markets {
		q.Markets[k] = m.Clone()
	}
	return q
}

var (
	registryOnce sync.Once
	registry     []Profile // sorted by ID, immutable once built
)

// profiles returns the registry, building it on first use. The shipped data
// is constant and checked by the package tests, so a failure here is a bug in
// this package, not bad input: it panics with the reason.
func profiles() []Profile {
	registryOnce.Do(func() {
		ps := []Profile{mustBinance(), mustBybit(), hyperliquidProfile(), seedProfile()}
		ps = append(ps, staticProfiles()...)
		ps = append(ps, pmProfiles()...)
		for i := range ps {
			for sym, m := range ps[i].Markets {
				if _, err := ValidateTiers(ps[i].ID+"."+sym, m.Tiers); err != nil {
					panic("venue: shipped profile " + ps[i].ID + " is invalid: " + err.Error())
				}
			}
		}
		sort.Slice(ps, func(a, b int) bool { return ps[a].ID < ps[b].ID })
		registry = ps
	})
	return registry
}

// Profiles returns every shipped profile, sorted by ID. The result is a deep
// copy: changing it does not change what Lookup and Resolve return.
func Profiles() []Profile {
	ps := profiles()
	out := make([]Profile, len(ps))
	for i, p := range ps {
		out[i] = copyProfile(p)
	}
	return out
}

// findProfile resolves a profile name: a dated id ("binance@2024-10-01")
// exactly, or a bare venue name ("binance") to that venue's newest snapshot.
func findProfile(name string) (*Profile, error) {
	ps := profiles()
	var best *Profile
	for i := range ps {
		p := &ps[i]
		if p.ID == name {
			return p, nil
		}
		if p.Venue == name && (best == nil || p.AsOf > best.AsOf) {
			best = p
		}
	}
	if best != nil {
		return best, nil
	}
	ids := make([]string, 0, len(ps))
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	return nil, errAt("profile", "PROF-1", "unknown profile %q (known: %s, or a bare venue name for its newest snapshot)",
		name, strings.Join(ids, ", "))
}

// Lookup returns the market a profile lists under symbol. profile is a dated
// id ("binance@2024-10-01") or a bare venue name ("binance", meaning the
// newest snapshot of that venue). The result is a copy the caller may change.
// Errors are *spec.Error with Rule "PROF-1" and Path "profile" (unknown
// profile) or "symbol" (a symbol the profile does not list).
func Lookup(profile, symbol string) (spec.Market, error) {
	p, err := findProfile(profile)
	if err != nil {
		return spec.Market{}, err
	}
	m, ok := p.Markets[symbol]
	if !ok {
		return spec.Market{}, errAt("symbol", "PROF-1", "profile %s does not list symbol %q (%s)", p.ID, symbol, symbolHint(p))
	}
	return m.Clone(), nil
}

// symbolHint lists a few symbols of p for an error message.
func symbolHint(p *Profile) string {
	syms := slices.Sorted(maps.Keys(p.Markets))
	if len(syms) > 8 {
		return fmt.Sprintf("it lists %d symbols, e.g. %s", len(syms), strings.Join(syms[:8], ", "))
	}
	return "it lists " + strings.Join(syms, ", ")
}

// venueDisplayName is how messages name a venue.
func venueDisplayName(venue string) string {
	switch venue {
	case "binance":
		return "Binance"
	case "bybit":
		return "Bybit"
	case "okx":
		return "OKX"
	case "kucoin":
		return "KuCoin"
	case "bitstamp":
		return "Bitstamp"
	case "coinbase":
		return "Coinbase"
	case "hyperliquid":
		return "Hyperliquid"
	case "seed":
		return "the seed documents"
	}
	return venue
}
