package venue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/perpcheck/perpcheck/internal/strictjson"
	"github.com/perpcheck/perpcheck/spec"
)

// Input bounds of the CCXT loaders. They keep hostile input from allocating
// without bound: the whole document is read into memory only up to
// MaxInputBytes, and the counts are checked before any table is built.
const (
	// MaxInputBytes is the largest CCXT document LoadCCXT and LoadCCXTList
	// accept (16 MiB; the full Binance USDⓈ-M table of 349 symbols is 1.1 MB).
	MaxInputBytes = 16 << 20
	// MaxSymbols is the largest number of symbols LoadCCXT accepts.
	MaxSymbols = 10000
	// MaxTiers is the largest number of tiers accepted for one symbol.
	MaxTiers = 256
	// MaxSymbolLen is the longest symbol name accepted, in bytes.
	MaxSymbolLen = 128
	// maxLiteralLen is the longest numeric literal accepted, in bytes.
	maxLiteralLen = 64
)

// ccxtTier is one element of a CCXT unified leverage-tier list as it appears
// in JSON. Fields stay raw so that numbers are read from their literal text.
type ccxtTier struct {
	Tier                  json.RawMessage `json:"tier"`
	MinNotional           json.RawMessage `json:"minNotional"`
	MaxNotional           json.RawMessage `json:"maxNotional"`
	MaintenanceMarginRate json.RawMessage `json:"maintenanceMarginRate"`
	MaxLeverage           json.RawMessage `json:"maxLeverage"`
	Info                  json.RawMessage `json:"info"`
}

// ccxtInfo is the part of a tier's raw exchange payload ("info") that is used:
// the maintenance amount, Binance's "cum" or Bybit's "mmDeduction".
type ccxtInfo struct {
	Cum         json.RawMessage `json:"cum"`
	MMDeduction json.RawMessage `json:"mmDeduction"`
}

// LoadCCXT reads the output of CCXT's fetchLeverageTiers (a JSON object that
// maps a unified symbol such as "BTC/USDT:USDT" to its list of tiers) and
// returns each symbol's tier table (SPEC CCXT-1, CCXT-2).
//
// For every tier, minNotional, maxNotional, maintenanceMarginRate and
// maxLeverage are read from their JSON literal text (a JSON number or a numeric
// string; never through float64); tiers are sorted by "tier". The maintenance
// amount is derived by the TIER-6 recursion and returned in MaintenanceAmount;
// when the tier's info.cum (Binance) or, without it, info.mmDeduction
// (Bybit) is present, as a string or a number, it must equal the recursion
// exactly, or the table is rejected (rule CCXT-2). Every table must
// satisfy TIER-1..5 and every value NUM-1/NUM-2. One exception: a last tier
// whose maxNotional is the exchanges' "no cap" sentinel (int64 max,
// 9223372036854775807, or its float64 rendering 9.223372036854776E+18) is
// loaded with maxNotional = 92233720368.54775807 (the NUM-2 maximum); this
// changes no margin figure because the last tier extends upward anyway
// (TIER-7).
//
// Errors are *spec.Error with Path "<symbol>[<t>].<field>" (t is the 0-based
// position after sorting by tier; the message names the CCXT tier number),
// e.g. Path "BTC/USDT:USDT[3].info.cum", Rule "CCXT-2". Input larger than
// MaxInputBytes, with more than MaxSymbols symbols or MaxTiers tiers per
// symbol, is rejected (rule CCXT-1).
func LoadCCXT(r io.Reader) (map[string][]spec.Tier, error) {
	data, err := readBounded(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, errAt("", "CCXT-1", "not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errAt("", "CCXT-1", "fetchLeverageTiers output must be a JSON object mapping symbol to tier list")
	}
	out := make(map[string][]spec.Tier)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errAt("", "CCXT-1", "malformed JSON: %v", err)
		}
		sym, _ := tok.(string)
		if sym == "" || len(sym) > MaxSymbolLen {
			return nil, errAt("", "CCXT-1", "symbol names must be 1 to %d bytes long", MaxSymbolLen)
		}
		if _, dup := out[sym]; dup {
			return nil, errAt(symPath(sym), "CCXT-1", "symbol %q appears twice", sym)
		}
		if len(out) >= MaxSymbols {
			return nil, errAt(symPath(sym), "CCXT-1", "more than %d symbols", MaxSymbols)
		}
		var list []json.RawMessage
		if err := dec.Decode(&list); err != nil {
			return nil, errAt(symPath(sym), "CCXT-1", "the tiers of %q must be a JSON list of tier objects: %v", sym, err)
		}
		if list == nil {
			return nil, errAt(symPath(sym), "CCXT-1", "the tiers of %q are null", sym)
		}
		tiers, err := loadList(sym, list)
		if err != nil {
			return nil, err
		}
		out[sym] = tiers
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, errAt("", "CCXT-1", "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errAt("", "CCXT-1", "unexpected data after the JSON object")
	}
	return out, nil
}

// LoadCCXTList reads the output of CCXT's fetchMarketLeverageTiers (one JSON
// list of tiers for one market) and returns its tier table. It applies the
// same rules, bounds and error paths as LoadCCXT, with an empty symbol: paths
// read "[<t>].<field>".
func LoadCCXTList(r io.Reader) ([]spec.Tier, error) {
	data, err := readBounded(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var list []json.RawMessage
	if err := dec.Decode(&list); err != nil {
		return nil, errAt("", "CCXT-1", "fetchMarketLeverageTiers output must be a JSON list of tier objects: %v", err)
	}
	if list == nil {
		return nil, errAt("", "CCXT-1", "the tier list is null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errAt("", "CCXT-1", "unexpected data after the JSON list")
	}
	return loadList("", list)
}

// readBounded reads all of r, refusing more than MaxInputBytes.
func readBounded(r io.Reader) ([]byte, error) {
	if r == nil {
		return nil, errAt("", "CCXT-1", "nil reader")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, errAt("", "CCXT-1", "reading input: %v", err)
	}
	if len(data) > MaxInputBytes {
		return nil, errAt("", "CCXT-1", "input larger than %d bytes", MaxInputBytes)
	}
	return data, nil
}

// loadList turns one symbol's raw tier list into a validated tier table.
func loadList(sym string, list []json.RawMessage) ([]spec.Tier, error) {
	if len(list) > MaxTiers {
		return nil, errAt(symPath(sym), "CCXT-1", "more than %d tiers", MaxTiers)
	}
	type entry struct {
		raw ccxtTier
		no  decimal.Decimal
	}
	entries := make([]entry, len(list))
	for i, el := range list {
		el = bytes.TrimSpace(el)
		path := fmt.Sprintf("%s[%d]", symPath(sym), i)
		if len(el) == 0 || el[0] != '{' {
			return nil, errAt(path, "CCXT-1", "a tier must be a JSON object")
		}
		if err := json.Unmarshal(el, &entries[i].raw); err != nil {
			return nil, errAt(path, "CCXT-1", "malformed tier: %v", err)
		}
		no, present, perr := parseRaw(path+".tier", entries[i].raw.Tier)
		if perr != nil {
			return nil, perr
		}
		if !present {
			return nil, errAt(path+".tier", "CCXT-1", "missing tier number")
		}
		entries[i].no = no
	}
	sort.SliceStable(entries, func(a, b int) bool { return entries[a].no.Cmp(entries[b].no) < 0 })
	rows := make([]rawTier, len(entries))
	for t, e := range entries {
		if t > 0 && e.no.Equal(entries[t-1].no) {
			return nil, errAt(fmt.Sprintf("%s[%d].tier", symPath(sym), t), "CCXT-1", "tier %s appears twice", e.no.String())
		}
		r := &rows[t]
		r.label = "tier " + e.no.String()
		for _, f := range []struct {
			name string
			raw  json.RawMessage
			dst  *decimal.Decimal
		}{
			{"minNotional", e.raw.MinNotional, &r.min},
			{"maxNotional", e.raw.MaxNotional, &r.max},
			{"maintenanceMarginRate", e.raw.MaintenanceMarginRate, &r.mmr},
			{"maxLeverage", e.raw.MaxLeverage, &r.lev},
		} {
			path := fmt.Sprintf("%s[%d].%s", symPath(sym), t, f.name)
			v, present, err := parseRaw(path, f.raw)
			if err != nil {
				return nil, err
			}
			if !present {
				return nil, errAt(path, "CCXT-1", "%s: missing %s", r.label, f.name)
			}
			*f.dst = v
		}
		if t == len(entries)-1 && isNoCapSentinel(r.max) {
			r.max, r.noCapMax = maxDecimal, true
		}
		if info := bytes.TrimSpace(e.raw.Info); len(info) > 0 && info[0] == '{' {
			var ci ccxtInfo
			path := fmt.Sprintf("%s[%d].info", sym, t)
			if err := json.Unmarshal(info, &ci); err != nil {
				return nil, errAt(path, "CCXT-1", "malformed info: %v", err)
			}
			v, present, err := parseRaw(path+".cum", ci.Cum)
			if err != nil {
				return nil, err
			}
			if !present { // Bybit's name for the same amount (CCXT-2)
				if v, present, err = parseRaw(path+".mmDeduction", ci.MMDeduction); err != nil {
					return nil, err
				}
				r.cumField = "info.mmDeduction"
			}
			r.cum, r.hasCum = v, present
		}
	}
	return validateTable(sym, rows, ccxtStyle)
}

// parseRaw reads a decimal from a raw JSON value: a JSON number (its literal
// text) or a string holding a decimal. Absent, null and "" are "not present".
// Literals must follow the EVAL-4 decimal grammar (strictjson.ValidDecimal,
// applied to CCXT numbers and numeric strings too) and be at most 64 bytes;
// a non-zero value whose exponent is beyond +-100 is refused (NUM-2 or NUM-1)
// before any arithmetic could blow up.
func parseRaw(path string, raw json.RawMessage) (decimal.Decimal, bool, *spec.Error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return decimal.Decimal{}, false, nil
	}
	var lit string
	switch c := raw[0]; {
	case c == '"':
		if err := json.Unmarshal(raw, &lit); err != nil {
			return decimal.Decimal{}, false, errAt(path, "CCXT-1", "malformed string: %v", err)
		}
		if lit == "" {
			return decimal.Decimal{}, false, nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		lit = string(raw)
	default:
		return decimal.Decimal{}, false, errAt(path, "CCXT-1", "%s is not a number or a numeric string", abbrev(string(raw)))
	}
	if len(lit) > maxLiteralLen {
		return decimal.Decimal{}, false, errAt(path, "CCXT-1", "numeric literal %s is longer than %d bytes", abbrev(lit), maxLiteralLen)
	}
	if !strictjson.ValidDecimal(lit) {
		return decimal.Decimal{}, false, errAt(path, "CCXT-1", "%q is not a decimal of the grammar %s", abbrev(lit), strictjson.DecimalGrammar)
	}
	d, err := decimal.NewFromString(lit)
	if err != nil {
		return decimal.Decimal{}, false, errAt(path, "CCXT-1", "%q is not a decimal", lit)
	}
	if d.IsZero() {
		return decimal.Zero, true, nil
	}
	if exp := d.Exponent(); exp > 100 {
		return decimal.Decimal{}, false, errAt(path, "NUM-2", "%s is outside [-%s, %s]", lit, maxDecimal.String(), maxDecimal.String())
	} else if exp < -100 {
		return decimal.Decimal{}, false, errAt(path, "NUM-1", "%s has a non-zero digit beyond the 8th fractional digit", lit)
	}
	return d, true, nil
}

// abbrev shortens s for an error message.
func abbrev(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// symPath is how a CCXT symbol starts an error path: spec.PathKey of it
// (SPEC EVAL-3), or nothing for the single list of LoadCCXTList.
func symPath(sym string) string {
	if sym == "" {
		return ""
	}
	return spec.PathKey(sym)
}
