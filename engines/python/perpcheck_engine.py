"""perpcheck query layer, written from SPEC.md alone (Python 3.11, stdlib only).

Numbers are parsed from their literal text with `decimal.Decimal` (never through a float) and every
computation is done in exact rational arithmetic (`fractions.Fraction`): SPEC.md says "All arithmetic
in this document is exact (rational) unless a rounding operator of NUM-4 is written", so each reported
value is the exact value rounded once, by the NUM-4 operator its rule names.

Public API:
    parse_scenario(text)          -> raw tree, or raises SpecError (EVAL-4)
    evaluate(scenario)            -> report dict (decimals as strings), or raises SpecError
    evaluate_json(text)           -> ("report", dict) or ("error", {"path","rule","msg"})
    evaluate_safe(scenario)       -> ("report", dict) or ("error", {...})

SPEC VAR: the query variants (POOL-5 trigger, TIER-7 bound, TIER-8 schedule, TIER-3 maintenance rate,
QTY-5 close fee) and explicit per-tier initial margin rates are implemented; the ledger-only choices
are validated (VAR-1) and unused.

Environment: PERPCHECK_PY_MUTANT=mm-round-down makes reported maintenance margins round down
(a deliberately broken engine, to show that the conformance suite catches it).
"""

from __future__ import annotations

import json
import math
import os
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

__all__ = [
    "SpecError", "NotSupported", "parse_scenario", "evaluate", "evaluate_json", "evaluate_safe",
    "fmt", "MAX",
]

UNIT = Fraction(1, 10**8)
SCALE = 10**8
MAX = Fraction(9223372036854775807, SCALE)  # NUM-2
DEC_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]{1,3})?")  # EVAL-4 grammar


def mutant() -> str:
    return os.environ.get("PERPCHECK_PY_MUTANT", "")


class SpecError(Exception):
    """A rule violation: EVAL-1's Error{Path, Rule, Msg}."""

    def __init__(self, path: str, rule: str, msg: str):
        super().__init__(f"{path}: {rule}: {msg}")
        self.path, self.rule, self.msg = path, rule, msg

    def as_dict(self):
        return {"path": self.path, "rule": self.rule, "msg": self.msg}


class NotSupported(Exception):
    """An input feature this engine does not implement (protocol code 10)."""


# ---------------------------------------------------------------------------------------------
# NUM-4 rounding operators and NUM-5 output
# ---------------------------------------------------------------------------------------------

def up(x: Fraction) -> Fraction:
    return Fraction(math.ceil(x * SCALE), SCALE)


def down(x: Fraction) -> Fraction:
    return Fraction(math.floor(x * SCALE), SCALE)


def tick_up(x: Fraction, k: Fraction) -> Fraction:
    return k * math.ceil(x / k)


def tick_down(x: Fraction, k: Fraction) -> Fraction:
    return k * math.floor(x / k)


def fmt(x: Fraction) -> str:
    """Shortest decimal text of a multiple of 1e-8 (NUM-5)."""
    n = x * SCALE
    if n.denominator != 1:
        raise ValueError(f"{x} is not on the 1e-8 grid")
    n = n.numerator
    sign = "-" if n < 0 else ""
    n = abs(n)
    ip, fp = divmod(n, SCALE)
    if fp == 0:
        return f"{sign}{ip}"
    return f"{sign}{ip}." + f"{fp:08d}".rstrip("0")


# ---------------------------------------------------------------------------------------------
# EVAL-4: strict JSON
# ---------------------------------------------------------------------------------------------

class JNum:
    """A JSON number literal, kept as its text."""
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


class JObj:
    """A JSON object, kept as its list of (key, value) pairs (duplicates included)."""
    __slots__ = ("pairs",)

    def __init__(self, pairs):
        self.pairs = pairs


def _reject_constant(name):
    raise ValueError(f"not a JSON value: {name}")


def parse_raw(text, surrogates=True):
    """Parse JSON text into a raw tree (JObj, list, str, JNum, bool, None); EVAL-4 at $ on syntax.
    surrogates=False leaves unpaired surrogate escapes to parse_scenario (a request line, whose
    scenario member is checked on its own)."""
    if isinstance(text, (bytes, bytearray)):
        if text.startswith(b"\xef\xbb\xbf"):  # EVAL-4
            raise SpecError("$", "EVAL-4", "the document starts with a UTF-8 byte-order mark (U+FEFF), which is not allowed")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:  # EVAL-4: an error of the JSON text, at $
            raise SpecError("$", "EVAL-4", f"invalid UTF-8 at byte offset {e.start}")
    elif text.startswith("\ufeff"):
        raise SpecError("$", "EVAL-4", "the document starts with a UTF-8 byte-order mark (U+FEFF), which is not allowed")
    try:
        raw = json.loads(text, object_pairs_hook=JObj, parse_float=JNum, parse_int=JNum,
                         parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":
            raise SpecError("$", "EVAL-4", "unexpected data after the JSON document")
        raise SpecError("$", "EVAL-4", f"invalid JSON: {e.msg} at offset {e.pos}")
    except ValueError as e:
        raise SpecError("$", "EVAL-4", str(e))
    # SPEC EVAL-4: a \u escape of half a surrogate pair is an error of the JSON text, at $, before
    # duplicate keys and typed errors (json.loads accepts it and leaves a lone surrogate).
    if surrogates and _tree_has_surrogate(raw):
        raise SpecError("$", "EVAL-4", "an unpaired UTF-16 surrogate escape")
    return raw


def _tree_has_surrogate(v):
    if isinstance(v, str):
        return _has_surrogate(v)
    if isinstance(v, JObj):
        return any(_has_surrogate(k) or _tree_has_surrogate(x) for k, x in v.pairs)
    if isinstance(v, list):
        return any(_tree_has_surrogate(x) for x in v)
    return False


def from_python(v):
    """Turn a plain Python value (dicts, lists, str, int, Decimal, ...) into a raw tree."""
    if isinstance(v, dict):
        return JObj([(k, from_python(x)) for k, x in v.items()])
    if isinstance(v, (list, tuple)):
        return [from_python(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, (int, Decimal)):
        return JNum(str(v))
    if isinstance(v, (JObj, JNum)):
        return v
    if isinstance(v, float):
        raise SpecError("$", "EVAL-4", "binary floats are not accepted; pass a string or Decimal")
    raise SpecError("$", "EVAL-4", f"unsupported value {v!r}")


def _kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, JObj):
        return "an object"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, str):
        return "a string"
    return "a number"


MAX_ECHO = 40  # EVAL-3, EVAL-4


def go_quote(s):
    """SPEC EVAL-4: a string of the input as messages and paths repeat it: its first 40 bytes
    (cut at a UTF-8 boundary), double-quoted with Go's strconv.Quote escapes, then "..." if cut."""
    b = s.encode("utf-8", "surrogatepass")
    cut = b[:MAX_ECHO].decode("utf-8", "ignore") if len(b) > MAX_ECHO else s
    out = ['"']
    for ch in cut:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in "\a\b\f\n\r\t\v":
            out.append({"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}[ch])
        elif o < 0x20 or o == 0x7f:
            out.append(f"\\x{o:02x}")
        elif o < 0x80 or ch.isprintable():
            out.append(ch)
        elif o > 0xFFFF:
            out.append(f"\\U{o:08x}")
        else:
            out.append(f"\\u{o:04x}")
    out.append('"')
    return "".join(out) + ("..." if len(b) > MAX_ECHO else "")


def path_key(name):
    """SPEC EVAL-3: a name as it appears in a path: bare when plain, else quoted and cut."""
    if 0 < len(name) <= MAX_ECHO and all(0x20 < ord(c) < 0x7f and c not in '.[]"\\' for c in name):
        return name
    return go_quote(name)


def _join(path, key):
    key = path_key(key)
    return key if path == "" else f"{path}.{key}"


def _has_surrogate(s):
    return any(0xD800 <= ord(c) <= 0xDFFF for c in s)


# Schema: ("obj", {field: schema}), ("map", schema), ("list", schema), "dec", "str",
# nullable flags follow the oracle's observed decoding (documented in AMBIGUITIES.md):
#   decimals, arrays, maps: null == absent; strings and nested structs: null is an error.
DEC, DECR, STR = "dec", "decr", "str"  # DECR: a required decimal, for which null is an error
# SPEC EVAL-5: REQUIRED[schema] lists (field, unless) in order; absent or null is EVAL-4.
TIER_S = ("obj", {"minNotional": DECR, "maxNotional": DECR, "maintenanceMarginRate": DECR,
                  "maxLeverage": DECR, "maintenanceAmount": DEC, "initialMarginRate": DEC})
MARKET_S = ("obj", {"profile": STR, "symbol": STR, "tickSize": DECR, "lotSize": DECR, "mmBasis": STR,
                    "tiers": ("list", TIER_S), "marginModes": ("list", STR),
                    "liquidationFeeRate": DEC, "fundingIntervalHours": DEC, "markPriceBand": DEC,
                    "makerFeeRate": DEC, "takerFeeRate": DEC, "fundingRateCap": DEC})
# SPEC VAR: a market's variants (VAR-1). This engine implements every query variant (POOL-5,
# TIER-7, TIER-8, TIER-3, QTY-5) and declares them (VAR-2, engine.py); the ledger-only choices
# (LQ-4, TRD-4, ADL-2, FND-1, LED-9) are validated (VAR-1) and otherwise unused: no query reads them.
VARIANT_DEFAULTS = {"trigger": "strict", "tierBound": "lower-inclusive", "tierSchedule": "progressive",
                    "maintenanceRate": "given", "closeFee": "none", "isolatedLeftover": "trader",
                    "isolatedFeePayer": "wallet", "adlRanking": "position", "fundingCap": "fixed",
                    "setLeverage": "checked"}
VARIANTS_S = ("obj", dict({k: STR for k in VARIANT_DEFAULTS}, liquidatorShare=DEC, fundingCapFactor=DEC))
MARKET_S = ("obj", dict(MARKET_S[1], variants=VARIANTS_S))
PRICE_S = ("obj", {"mark": DEC, "index": DEC, "last": DEC, "fundingRate": DEC,
                   "secondsToFunding": DEC, "basisAverage": DEC})
POSITION_S = ("obj", {"market": STR, "side": STR, "size": DECR, "entryPrice": DECR, "entryValue": DEC,
                      "marginMode": STR, "leverage": DEC, "isolatedMargin": DEC})
SETTING_S = ("obj", {"leverage": DEC, "marginMode": STR})
ACCOUNT_S = ("obj", {"walletBalance": DECR, "positions": ("list", POSITION_S),
                     "settings": ("map", SETTING_S)})
SCENARIO_S = ("obj", {"markets": ("map", MARKET_S), "prices": ("map", PRICE_S), "account": ACCOUNT_S})
REQUIRED = {
    id(SCENARIO_S): [("account", None)],
    id(ACCOUNT_S): [("walletBalance", None)],
    id(MARKET_S): [("tickSize", "profile"), ("lotSize", "profile")],
    id(TIER_S): [("minNotional", None), ("maxNotional", None), ("maintenanceMarginRate", None), ("maxLeverage", None)],
    # EVAL-5 lists entryPrice before marginMode (this engine first had them the other way round).
    id(POSITION_S): [("market", None), ("side", None), ("size", None), ("entryPrice", "entryValue"),
                     ("marginMode", None)],
}


def _decode(v, schema, path, nullable_struct=False):
    """Check v against schema in document order; return plain Python values:
    objects -> dict, decimals -> (text, Decimal), strings -> str. Absent/null -> None (dropped)."""
    if schema == DEC or schema == DECR:
        if v is None:
            if schema == DECR:
                raise SpecError(path, "EVAL-4", "a decimal is required, got null")
            return None
        if isinstance(v, JNum):
            text = v.text
        elif isinstance(v, str):
            text = v
        else:
            raise SpecError(path, "EVAL-4", f"want a decimal, got {_kind(v)}")
        if not DEC_RE.fullmatch(text):
            raise SpecError(path, "EVAL-4", f"not a decimal: {json.dumps(text)}")
        try:
            return Decimal(text)
        except InvalidOperation:  # cannot happen with the grammar above
            raise SpecError(path, "EVAL-4", f"not a decimal: {json.dumps(text)}")
    if schema == STR:
        if not isinstance(v, str):
            raise SpecError(path, "EVAL-4", f"want a string, got {_kind(v)}")
        return v
    kind = schema[0]
    if kind == "list":
        if v is None:
            return None
        if not isinstance(v, list):
            raise SpecError(path, "EVAL-4", f"want an array, got {_kind(v)}")
        return [_decode(x, schema[1], f"{path}[{i}]") for i, x in enumerate(v)]
    if kind == "map":
        if v is None:
            return None
        if not isinstance(v, JObj):
            raise SpecError(path, "EVAL-4", f"want an object, got {_kind(v)}")
        out = {}
        for k, x in v.pairs:
            p = _join(path, k)
            if k in out:
                raise SpecError(p, "EVAL-4", "duplicate key")
            out[k] = _decode(x, schema[1], p)
        return out
    # obj
    if v is None and nullable_struct:
        return None
    if not isinstance(v, JObj):
        raise SpecError(path if path else "$", "EVAL-4", f"want an object, got {_kind(v)}")
    fields = schema[1]
    out = {}
    seen = set()
    for k, x in v.pairs:
        p = _join(path, k)
        if k not in fields:
            raise SpecError(p, "EVAL-4", "unknown field")
        if k in seen:
            raise SpecError(p, "EVAL-4", "duplicate key")
        seen.add(k)
        if x is None:  # NUM-5: null is the same as absent
            continue
        val = _decode(x, fields[k], p)
        if val is not None:
            out[k] = val
    for name, unless in REQUIRED.get(id(schema), []):  # EVAL-5, when the object ends
        if name not in out and (unless is None or unless not in out):
            msg = "required field is absent or null"
            if unless:
                msg += f" (and {unless} is not given)"
            raise SpecError(_join(path, name), "EVAL-4", msg)
    return out


def check_duplicates(v, path=""):
    """EVAL-4 duplicate keys, a syntactic check of the whole document before any typed decoding,
    in document order (the second occurrence of a key is the error)."""
    if isinstance(v, JObj):
        seen = set()
        for k, x in v.pairs:
            p = _join(path, k)
            if k in seen:
                raise SpecError(p, "EVAL-4", "duplicate key")
            seen.add(k)
            check_duplicates(x, p)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            check_duplicates(x, f"{path}[{i}]")


def parse_scenario(src, path=""):
    """Strictly decode a scenario (JSON text, bytes, raw tree or plain dict) into plain values."""
    if isinstance(src, (str, bytes, bytearray)):
        raw = parse_raw(src)
    else:
        raw = from_python(src)
        if _tree_has_surrogate(raw):  # EVAL-4, as parse_raw
            raise SpecError("$", "EVAL-4", "an unpaired UTF-16 surrogate")
    check_duplicates(raw, path)
    return _decode(raw, SCENARIO_S, path)


# ---------------------------------------------------------------------------------------------
# NUM-1 / NUM-2 on inputs
# ---------------------------------------------------------------------------------------------

def _dtext(d: Decimal) -> str:
    return str(d)


def num(d, path):
    """NUM-1 then NUM-2 on an input decimal; return it as an exact Fraction (None stays None)."""
    if d is None:
        return None
    sign, digits, exp = d.as_tuple()
    digits = list(digits)
    while len(digits) > 1 and digits[-1] == 0:
        digits.pop()
        exp += 1
    if exp < -8 and any(digits):
        raise SpecError(path, "NUM-1", f"value {_dtext(d)} has a non-zero digit beyond the 8th fractional digit")
    # exact conversion (exp >= -8 here or the value is zero)
    n = 0
    for dg in digits:
        n = n * 10 + dg
    if not any(digits):
        return Fraction(0)
    if exp > 30:  # certainly outside the range; avoid building a huge integer
        raise SpecError(path, "NUM-2", f"value {_dtext(d)} is outside [-{fmt(MAX)}, {fmt(MAX)}]")
    v = Fraction(n * 10**exp) if exp >= 0 else Fraction(n, 10**(-exp))
    if sign:
        v = -v
    if abs(v) > MAX:
        raise SpecError(path, "NUM-2", f"value {_dtext(d)} is outside [-{fmt(MAX)}, {fmt(MAX)}]")
    return v


def f2s(x: Fraction) -> str:
    """Human text of an exact value (for messages only)."""
    if (x * SCALE).denominator == 1:
        return fmt(x)
    return str(x)


# ---------------------------------------------------------------------------------------------
# Markets and tiers
# ---------------------------------------------------------------------------------------------

class Tier:
    """One tier: lo/hi notional bounds, mmr the rate every formula uses (the given rate, or under
    TIER-3:half-initial 1/(2*lev)), rate = mmr (+ takerFeeRate under QTY-5:taker) the slope of MM,
    cum the deduction (TIER-6; 0 under TIER-8:flat), imr the explicit initial margin rate or None."""
    __slots__ = ("lo", "hi", "mmr", "lev", "cum", "rate", "imr")

    def __init__(self, lo, hi, mmr, lev, cum, rate=None, imr=None):
        self.lo, self.hi, self.mmr, self.lev, self.cum = lo, hi, mmr, lev, cum
        self.rate = mmr if rate is None else rate
        self.imr = imr


class Market:
    def __init__(self, name):
        self.name = name
        self.tick = self.lot = None
        self.basis = "mark"
        self.modes = ("cross", "isolated")
        self.H = Fraction(8)
        self.band = None
        self.taker = Fraction(0)
        self.tiers: list[Tier] = []
        self.variants = dict(VARIANT_DEFAULTS)

    @property
    def upper(self) -> bool:
        """TIER-7:upper-inclusive."""
        return self.variants["tierBound"] == "upper-inclusive"

    def tier_index(self, n: Fraction) -> int:
        """TIER-7: 0-based index of the tier of notional n >= 0. Default: lo <= n < hi; under
        upper-inclusive: lo < n <= hi, tier 1 also holding n = 0. Beyond the last tier's
        maxNotional: the last tier."""
        for i, t in enumerate(self.tiers):
            if self.upper:
                if (t.lo < n or (i == 0 and n == 0)) and n <= t.hi:
                    return i
            elif t.lo <= n < t.hi:
                return i
        return len(self.tiers) - 1

    def mm(self, n: Fraction) -> Fraction:
        """TIER-8 (with QTY-5): MM(N) = N * rate_t - cum_t, rate_t = MMR_t (+ takerFeeRate under
        QTY-5:taker), cum_t = 0 under TIER-8:flat (Tier holds both)."""
        t = self.tiers[self.tier_index(n)]
        return n * t.rate - t.cum

    def im(self, n: Fraction, lev: Fraction) -> Fraction:
        """QTY-4: IM = N / min(L, maxLeverage_t); with explicit rates N * max(1/L, IMR_t); t = tier(N)."""
        t = self.tiers[self.tier_index(n)]
        if t.imr is not None:
            return n * max(1 / lev, t.imr)
        return n / min(lev, t.lev)


# SPEC VAR: (rule, key, variant names with the default first).
VARIANT_CHOICES = [
    ("POOL-5", "trigger", ["strict", "at-equality"]),
    ("TIER-7", "tierBound", ["lower-inclusive", "upper-inclusive"]),
    ("TIER-8", "tierSchedule", ["progressive", "flat"]),
    ("TIER-3", "maintenanceRate", ["given", "half-initial"]),
    ("QTY-5", "closeFee", ["none", "taker"]),
    ("LQ-4", "isolatedLeftover", ["trader", "insurance", "liquidator-split"]),
    ("TRD-4", "isolatedFeePayer", ["wallet", "position"]),
    ("ADL-2", "adlRanking", ["position", "account"]),
    ("FND-1", "fundingCap", ["fixed", "margin-linked"]),
    ("LED-9", "setLeverage", ["checked", "unchecked"]),
]


def _variants(base: str, v) -> dict:
    """VAR-1: the variants object of a market (after fundingRateCap, before the tiers): each key in
    the table's order, liquidatorShare after isolatedLeftover, fundingCapFactor after fundingCap.
    Returns the selected names, defaults filled in ("" is the default)."""
    v = v or {}
    out = {}
    p = f"{base}.variants"
    for rule, key, names in VARIANT_CHOICES:
        name = v.get(key, "") or names[0]
        if name not in names:
            allowed = ", ".join(json.dumps(n) for n in names)
            raise SpecError(f"{p}.{key}", "VAR-1", f"{rule} variant must be one of {allowed}, got {json.dumps(name)}")
        out[key] = name
        if key == "isolatedLeftover":
            share = num(v.get("liquidatorShare"), f"{p}.liquidatorShare")
            split = name == "liquidator-split"
            if split and share is None:
                raise SpecError(f"{p}.liquidatorShare", "VAR-1", 'isolatedLeftover "liquidator-split" requires liquidatorShare')
            if not split and share is not None:
                raise SpecError(f"{p}.liquidatorShare", "VAR-1", 'liquidatorShare is only allowed with isolatedLeftover "liquidator-split"')
            if share is not None and not (0 <= share <= 1):
                raise SpecError(f"{p}.liquidatorShare", "VAR-1", f"liquidatorShare must be in [0, 1], got {f2s(share)}")
        if key == "fundingCap":
            k = num(v.get("fundingCapFactor"), f"{p}.fundingCapFactor")
            linked = name == "margin-linked"
            if linked and k is None:
                raise SpecError(f"{p}.fundingCapFactor", "VAR-1", 'fundingCap "margin-linked" requires fundingCapFactor')
            if not linked and k is not None:
                raise SpecError(f"{p}.fundingCapFactor", "VAR-1", 'fundingCapFactor is only allowed with fundingCap "margin-linked"')
            if k is not None and k <= 0:
                raise SpecError(f"{p}.fundingCapFactor", "VAR-1", f"fundingCapFactor must be > 0, got {f2s(k)}")
    return out


HALF_INITIAL_MAX_D = 10**6  # TIER-3:half-initial


def _market(name: str, m: dict, first=None, ctx=None) -> Market:
    """first is the first market of the scenario (None for the first): VAR-1 wants one trigger.
    ctx carries what spans markets: "D", the running lcm of TIER-3:half-initial."""
    if ctx is None:
        ctx = {"D": 1}
    base = f"markets.{name}"
    if "profile" in m or "symbol" in m:
        raise NotSupported(f"{base}: venue profiles are not implemented by this engine (PROTOCOL PR-6)")
    mk = Market(name)
    p = f"{base}.tickSize"
    mk.tick = num(m.get("tickSize"), p)
    if mk.tick is None or mk.tick <= 0:
        raise SpecError(p, "MKT-1", f"tickSize must be > 0, got {f2s(mk.tick or 0)}")
    p = f"{base}.lotSize"
    mk.lot = num(m.get("lotSize"), p)
    if mk.lot is None or mk.lot <= 0:
        raise SpecError(p, "MKT-1", f"lotSize must be > 0, got {f2s(mk.lot or 0)}")
    basis = m.get("mmBasis", "")
    if basis == "":
        basis = "mark"
    if basis not in ("mark", "entry"):
        raise SpecError(f"{base}.mmBasis", "MKT-3", f'mmBasis must be "mark" or "entry", got {json.dumps(basis)}')
    mk.basis = basis
    modes = m.get("marginModes")
    if modes:
        seen = []
        for md in modes:
            if md not in ("cross", "isolated"):
                raise SpecError(f"{base}.marginModes", "MKT-4",
                                f'margin mode must be "cross" or "isolated", got {json.dumps(md)}')
            if md in seen:
                raise SpecError(f"{base}.marginModes", "MKT-4", f"margin mode {json.dumps(md)} listed twice")
            seen.append(md)
        mk.modes = tuple(seen)

    def rate(field, lo_incl, lo, hi_excl_one):
        p = f"{base}.{field}"
        v = num(m.get(field), p)
        if v is None:
            return None
        ok = (v >= lo if lo_incl else v > lo) and v < 1
        if not ok:
            iv = "[0, 1)" if lo_incl else "(0, 1)"
            raise SpecError(p, "MKT-5", f"{field} must be in {iv}, got {f2s(v)}")
        return v

    rate("liquidationFeeRate", True, 0, True)
    p = f"{base}.fundingIntervalHours"
    h = num(m.get("fundingIntervalHours"), p)
    if h is not None:
        if h <= 0:
            raise SpecError(p, "MKT-5", f"fundingIntervalHours must be > 0, got {f2s(h)}")
        mk.H = h
    mk.band = rate("markPriceBand", False, 0, True)
    rate("makerFeeRate", True, 0, True)
    mk.taker = rate("takerFeeRate", True, 0, True) or Fraction(0)
    rate("fundingRateCap", False, 0, True)

    # VAR-1: the variants, then one trigger for every market.
    mk.variants = _variants(base, m.get("variants"))
    if first is not None and mk.variants["trigger"] != first.variants["trigger"]:
        raise SpecError(f"{base}.variants.trigger", "VAR-1",
                        f"trigger {json.dumps(mk.variants['trigger'])} differs from market {json.dumps(first.name)}'s; "
                        "all markets of a scenario share one trigger")

    # tiers: TIER-1, then each tier: its fields (NUM), TIER-2..6
    tiers = m.get("tiers") or []
    tb = f"{base}.tiers"
    if not tiers:
        raise SpecError(tb, "TIER-1", "a tier table needs at least one tier")
    p0 = f"{tb}[0].minNotional"
    lo0 = num(tiers[0].get("minNotional"), p0) or Fraction(0)
    if lo0 != 0:
        raise SpecError(p0, "TIER-1", f"tiers[0].minNotional must be 0, got {f2s(lo0)}")
    half = mk.variants["maintenanceRate"] == "half-initial"
    flat = mk.variants["tierSchedule"] == "flat"
    taker = mk.variants["closeFee"] == "taker"
    prev = None
    prev_given = None  # the previous tier's given maintenanceMarginRate (TIER-3 checks it)
    explicit = None  # whether tier 0 gives initialMarginRate (TIER-1: all tiers or none)
    for i, t in enumerate(tiers):
        tp = f"{tb}[{i}]"
        lo = num(t.get("minNotional"), f"{tp}.minNotional") or Fraction(0)
        hi = num(t.get("maxNotional"), f"{tp}.maxNotional") or Fraction(0)
        given = num(t.get("maintenanceMarginRate"), f"{tp}.maintenanceMarginRate") or Fraction(0)
        lev = num(t.get("maxLeverage"), f"{tp}.maxLeverage") or Fraction(0)
        amt = num(t.get("maintenanceAmount"), f"{tp}.maintenanceAmount")
        imr = num(t.get("initialMarginRate"), f"{tp}.initialMarginRate")
        # TIER-2
        if not lo < hi:
            raise SpecError(f"{tp}.maxNotional", "TIER-2", f"maxNotional {f2s(hi)} must be > minNotional {f2s(lo)}")
        if prev is not None and lo != prev.hi:
            raise SpecError(f"{tp}.minNotional", "TIER-2",
                            f"minNotional {f2s(lo)} must equal the previous tier's maxNotional {f2s(prev.hi)}")
        # TIER-3 (the given rate, also under half-initial, where it is required but unused)
        if not (0 <= given < 1):
            raise SpecError(f"{tp}.maintenanceMarginRate", "TIER-3",
                            f"maintenanceMarginRate must be in [0, 1), got {f2s(given)}")
        if prev_given is not None and given < prev_given:
            raise SpecError(f"{tp}.maintenanceMarginRate", "TIER-3",
                            f"maintenanceMarginRate {f2s(given)} is below the previous tier's {f2s(prev_given)}")
        mmr = given
        if half:
            # TIER-3:half-initial: MMR_t = 1 / (2 * maxLeverage_t), exact; maxLeverage_t an integer and
            # the scenario's common denominator D = lcm(2 * maxLeverage_t) <= 10^6, on the lcm of the
            # tiers checked so far over every half-initial market in EVAL-2's order (ctx["D"]).
            if lev.denominator != 1:
                raise SpecError(f"{tp}.maxLeverage", "TIER-3",
                                f"TIER-3:half-initial needs an integer maxLeverage, got {f2s(lev)}")
            # A maxLeverage below 1 has no derived rate and does not enter D: TIER-4 reports the tier
            # next (SPEC says so for QTY-5's check; for D it is the oracle's reading, AMBIGUITIES B-2).
            if lev >= 1:
                ctx["D"] = math.lcm(ctx["D"], 2 * lev.numerator)
                if ctx["D"] > HALF_INITIAL_MAX_D:
                    raise SpecError(f"{tp}.maxLeverage", "TIER-3",
                                    f"TIER-3:half-initial: the common denominator lcm(2 * maxLeverage) = {ctx['D']} "
                                    f"exceeds {HALF_INITIAL_MAX_D}")
                mmr = 1 / (2 * lev)
        # QTY-5:taker: MMR_t + takerFeeRate < 1; under half-initial with the derived rate, and only
        # when maxLeverage_t >= 1 (TIER-3: "otherwise TIER-4 reports the tier next")
        if taker and not (half and lev < 1) and not mmr + mk.taker < 1:
            raise SpecError(f"{tp}.maintenanceMarginRate", "QTY-5",
                            f"QTY-5:taker needs maintenance rate {f2s(mmr)} + takerFeeRate {f2s(mk.taker)} < 1")
        # TIER-4
        if lev < 1:
            raise SpecError(f"{tp}.maxLeverage", "TIER-4", f"maxLeverage must be >= 1, got {f2s(lev)}")
        if prev is not None and lev > prev.lev:
            raise SpecError(f"{tp}.maxLeverage", "TIER-4",
                            f"maxLeverage {f2s(lev)} is above the previous tier's {f2s(prev.lev)}")
        # TIER-5
        if mmr * lev > 1:
            raise SpecError(f"{tp}.maxLeverage", "TIER-5",
                            f"maintenanceMarginRate {f2s(mmr)} * maxLeverage {f2s(lev)} exceeds 1")
        # explicit initial margin rates: TIER-1 (all or none), TIER-3 (not with half-initial), then
        # TIER-5's four checks in SPEC's order, all at T.initialMarginRate
        ip = f"{tp}.initialMarginRate"
        if explicit is None:
            explicit = imr is not None
        elif explicit != (imr is not None):
            raise SpecError(ip, "TIER-1", "initialMarginRate must be given by every tier of the table or by none"
                            + (" (tier 1 gives it)" if explicit else " (tier 1 does not)"))
        if imr is not None:
            if half:
                raise SpecError(ip, "TIER-3", "an explicit initialMarginRate is not defined with TIER-3:half-initial")
            if not (0 < imr <= 1):
                raise SpecError(ip, "TIER-5", f"initialMarginRate must be in (0, 1], got {f2s(imr)}")
            if prev is not None and imr < prev.imr:
                raise SpecError(ip, "TIER-5", f"initialMarginRate {f2s(imr)} is below the previous tier's {f2s(prev.imr)}")
            if given > imr:
                raise SpecError(ip, "TIER-5", f"maintenanceMarginRate {f2s(given)} exceeds initialMarginRate {f2s(imr)}")
            if imr * lev > 1:
                raise SpecError(ip, "TIER-5", f"initialMarginRate {f2s(imr)} * maxLeverage {f2s(lev)} exceeds 1")
        # TIER-6 (on the rate in use; under TIER-8:flat no deduction, cum_t = 0)
        if flat:
            cum = Fraction(0)
        else:
            cum = Fraction(0) if prev is None else prev.cum + lo * (mmr - prev.mmr)
        if amt is not None and amt != cum:
            raise SpecError(f"{tp}.maintenanceAmount", "TIER-6",
                            f"maintenanceAmount {f2s(amt)} does not equal the TIER-6 recursion {f2s(cum)}"
                            + (" (TIER-8:flat: no deduction)" if flat else ""))
        prev = Tier(lo, hi, mmr, lev, cum, mmr + mk.taker if taker else mmr, imr)
        prev_given = given
        mk.tiers.append(prev)
    return mk


# ---------------------------------------------------------------------------------------------
# Prices (PRICE, MARK)
# ---------------------------------------------------------------------------------------------

def _price(name: str, pr: dict, markets: dict):
    base = f"prices.{name}"
    if name not in markets:
        raise SpecError(base, "PRICE-1", f"no market named {json.dumps(name)}")
    mk = markets[name]
    vals = {}
    for f in ("mark", "index", "last", "fundingRate", "secondsToFunding", "basisAverage"):
        vals[f] = num(pr.get(f), f"{base}.{f}")
    if vals["mark"] is not None:
        if vals["mark"] <= 0:
            raise SpecError(f"{base}.mark", "MARK-1", f"mark must be > 0, got {f2s(vals['mark'])}")
        return vals["mark"], False
    idx, last = vals["index"], vals["last"]
    if idx is None or idx <= 0:
        raise SpecError(f"{base}.index", "MARK-2", "without a mark, index is required and must be > 0")
    if last is None or last <= 0:
        raise SpecError(f"{base}.last", "MARK-2", "without a mark, last is required and must be > 0")
    fr = vals["fundingRate"] or Fraction(0)
    stf = vals["secondsToFunding"] or Fraction(0)
    if stf < 0:
        raise SpecError(f"{base}.secondsToFunding", "MARK-2", f"secondsToFunding must be >= 0, got {f2s(stf)}")
    ba = vals["basisAverage"] or Fraction(0)
    p1 = idx * (1 + fr * stf / (3600 * mk.H))
    p2 = idx + ba
    p3 = last
    m = sorted([p1, p2, p3])[1]
    if mk.band is not None:
        m = min(max(m, idx * (1 - mk.band)), idx * (1 + mk.band))
    mark = down(m)
    if mark <= 0:
        raise SpecError(f"{base}.mark", "MARK-4", f"computed mark must be > 0, got {f2s(mark)}")
    if mark > MAX:
        raise SpecError(f"{base}.mark", "NUM-2",
                        f"computed mark {f2s(mark)} is outside [-{fmt(MAX)}, {fmt(MAX)}]")
    return mark, True


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------

class Pos:
    pass


def _byte_order(names):
    return sorted(names, key=lambda s: s.encode("utf-8"))


def liquidatable(E: Fraction, MM: Fraction, at_eq: bool) -> bool:
    """POOL-5: E < MM, exactly; under POOL-5:at-equality E <= MM, except E = MM = 0."""
    if at_eq:
        return E <= MM and not (E == 0 and MM == 0)
    return E < MM


def _liq_price(mk: Market, p: Pos, K: Fraction, K0: Fraction, at_eq: bool = False):
    """LIQ-3..7: (tick price, exact price, reason).

    f(P) = K + s*Q*(P - EP) - MM_i(P) (LIQ-1) and E(P) = K0 + s*Q*(P - EP) (BKR-1), so the pool's MM
    at P is E(P) - f(P) and POOL-5's trigger at P is liquidatable(E(P), E(P) - f(P)). The root is
    the boundary of S, the liquidatable prices (LIQ-4): sup S for a long, inf S for a short, solved
    tier by tier on each tier's price interval I_t (TIER-7's bound), which also covers TIER-8:flat
    (f jumps at the boundaries) and POOL-5:at-equality (P_t itself may be in S)."""
    s, Q, EP = p.s, p.Q, p.EP
    entry = mk.basis == "entry"
    mm_entry = mk.mm(Q * EP) if entry else None

    def f(P):
        return K + s * Q * (P - EP) - (mm_entry if entry else mk.mm(Q * P))

    def liq_at(P):
        E = K0 + s * Q * (P - EP)
        return liquidatable(E, E - f(P), at_eq)

    f0 = K - s * Q * EP - (mm_entry if entry else Fraction(0))  # LIQ-3
    if s > 0 and f0 >= 0:
        return None, None, "never-liquidatable"
    if s < 0 and f0 <= 0:
        return None, None, "always-liquidatable"
    if entry:
        root = EP - s * (K - mm_entry) / Q
    else:
        root = None
        last = len(mk.tiers) - 1
        for i, t in enumerate(mk.tiers):
            # f on I_t: (K - s*Q*EP + cum_t) + Q*P*(s - rate_t), zero at P_t
            pt = (K - s * Q * EP + t.cum) / (Q * (t.rate - s))
            a = t.lo / Q
            b = None if i == last else t.hi / Q
            # P_t itself is in S only when it lies in I_t and is liquidatable there (at-equality)
            pt_in = at_eq and pt > 0 and mk.tier_index(Q * pt) == i and liq_at(pt)
            if s > 0:
                # S meets I_t in the prices of I_t below P_t: non-empty iff a < P_t (I_t holds
                # prices just above a), sup = min(P_t, b)
                if a < pt or pt_in:
                    c = pt if b is None else min(pt, b)
                    root = c if root is None else max(root, c)
            else:
                # S meets I_t in the prices of I_t above P_t: non-empty iff P_t < b, inf = max(P_t, a)
                if b is None or pt < b or pt_in:
                    c = max(pt, a)
                    root = c if root is None else min(root, c)
        if root is None:  # cannot happen for a valid table (LIQ-3 said a root exists); be loud
            raise RuntimeError("LIQ-4: no tier qualifies")
    at_root = liq_at(root)  # LIQ-5/6: a rounded price that is the root itself moves one step away
    if s > 0:
        exact, tick = up(root), tick_up(root, mk.tick)
        if at_root and exact == root:
            exact += UNIT
        if at_root and tick == root:
            tick += mk.tick
    else:
        exact, tick = down(root), tick_down(root, mk.tick)
        if at_root and exact == root:
            exact -= UNIT
        if at_root and tick == root:
            tick -= mk.tick
        if tick <= 0:
            return None, None, "always-liquidatable"
    if tick > MAX or exact > MAX:
        return None, None, "out-of-range"
    return tick, exact, None


def _bkr_price(mk: Market, p: Pos, K0: Fraction):
    s, Q, EP = p.s, p.Q, p.EP
    root = EP - s * K0 / Q
    if root <= 0:
        return None, ("never-bankrupt" if s > 0 else "always-bankrupt")
    if s > 0:
        v = tick_up(root, mk.tick)
    else:
        v = tick_down(root, mk.tick)
        if v <= 0:
            return None, "always-bankrupt"
    if v > MAX:
        return None, "out-of-range"
    return v, None


def evaluate(scenario) -> dict:
    """Evaluate a scenario (JSON text, raw tree, or plain dict). Raises SpecError / NotSupported."""
    sc = parse_scenario(scenario)
    mut = mutant()

    # 1. markets
    markets = {}
    mdefs = sc.get("markets") or {}
    first = None
    ctx = {"D": 1}
    for name in _byte_order(mdefs):
        markets[name] = _market(name, mdefs[name], first, ctx)
        first = first or markets[name]

    # 2. prices
    marks = {}
    pdefs = sc.get("prices") or {}
    for name in _byte_order(pdefs):
        marks[name] = _price(name, pdefs[name], markets)

    # 3. account
    acc = sc.get("account") or {}
    wb = num(acc.get("walletBalance"), "account.walletBalance") or Fraction(0)
    if wb < 0:
        raise SpecError("account.walletBalance", "ACC-1", f"walletBalance must be >= 0, got {f2s(wb)}")
    positions = []
    seen_market = {}
    for i, pd in enumerate(acc.get("positions") or []):
        pb = f"account.positions[{i}]"
        name = pd.get("market", "")
        if name not in markets:
            raise SpecError(f"{pb}.market", "POS-1", f"no market named {json.dumps(name)}")
        mk = markets[name]
        if name not in marks:
            raise SpecError(f"{pb}.market", "PRICE-2", f"market {json.dumps(name)} has a position but no prices entry")
        side = pd.get("side", "")
        if side not in ("long", "short"):
            raise SpecError(f"{pb}.side", "POS-2", f'side must be "long" or "short", got {json.dumps(side)}')
        Q = num(pd.get("size"), f"{pb}.size")
        if Q is None or Q <= 0:
            raise SpecError(f"{pb}.size", "POS-2", f"size must be > 0, got {f2s(Q or 0)}")
        if (Q / mk.lot).denominator != 1:
            raise SpecError(f"{pb}.size", "POS-2", f"size {f2s(Q)} is not a multiple of lotSize {f2s(mk.lot)}")
        EP = num(pd.get("entryPrice"), f"{pb}.entryPrice")
        V = num(pd.get("entryValue"), f"{pb}.entryValue")
        if EP == 0 and V is not None:
            EP = None  # entryPrice 0 beside an entryValue means "absent" (see AMBIGUITIES.md A-3)
        if EP is not None and EP <= 0:
            raise SpecError(f"{pb}.entryPrice", "POS-2", f"entryPrice must be > 0, got {f2s(EP)}")
        if V is not None:
            # entryValue is a state field (LED-1) that the oracle also accepts in scenarios
            if V <= 0:
                raise SpecError(f"{pb}.entryValue", "POS-2", f"entryValue must be > 0, got {f2s(V)}")
            if EP is not None and V != Q * EP:
                raise SpecError(f"{pb}.entryValue", "POS-2",
                                f"entryValue {f2s(V)} differs from size * entryPrice = {f2s(Q * EP)}")
            if EP is None:
                EP = V / Q
        if EP is None:
            raise SpecError(f"{pb}.entryPrice", "POS-2", "entryPrice must be > 0, got 0")
        mode = pd.get("marginMode", "")
        if mode not in ("cross", "isolated"):
            raise SpecError(f"{pb}.marginMode", "POS-3", f'marginMode must be "cross" or "isolated", got {json.dumps(mode)}')
        if mode not in mk.modes:
            raise SpecError(f"{pb}.marginMode", "POS-3", f"market {json.dumps(name)} does not offer margin mode {json.dumps(mode)}")
        if name in seen_market:
            raise SpecError(f"{pb}.market", "POS-6",
                            f"a second position in market {json.dumps(name)} (the first is positions[{seen_market[name]}])")
        seen_market[name] = i
        maxlev1 = mk.tiers[0].lev
        lev = num(pd.get("leverage"), f"{pb}.leverage")
        if lev is None:
            lev = min(Fraction(20), maxlev1)
        elif not (1 <= lev <= maxlev1):
            raise SpecError(f"{pb}.leverage", "POS-4", f"leverage must be in [1, {f2s(maxlev1)}], got {f2s(lev)}")
        im_given = num(pd.get("isolatedMargin"), f"{pb}.isolatedMargin")
        if mode == "cross":
            if im_given is not None:
                raise SpecError(f"{pb}.isolatedMargin", "POS-5", "a cross position must not set isolatedMargin")
            M = None
        else:
            if im_given is not None:
                if im_given < 0:
                    raise SpecError(f"{pb}.isolatedMargin", "POS-5", f"isolatedMargin must be >= 0, got {f2s(im_given)}")
                M = im_given
            else:
                M = up(mk.im(Q * EP, lev))  # POS-5 with QTY-4: t = tier(Q*EP)
        p = Pos()
        p.i, p.mk, p.side, p.s, p.Q, p.EP, p.mode, p.lev, p.M = i, mk, side, (1 if side == "long" else -1), Q, EP, mode, lev, M
        positions.append(p)

    # per-position exact quantities (QTY)
    for p in positions:
        mk = p.mk
        MP = marks[mk.name][0]
        p.MP = MP
        p.N = p.Q * MP
        p.U = p.s * p.Q * (MP - p.EP)
        p.Leff = min(p.lev, mk.tiers[mk.tier_index(p.N)].lev)
        p.IM = mk.im(p.N, p.lev)
        p.Nb = p.N if mk.basis == "mark" else p.Q * p.EP
        p.ti = mk.tier_index(p.Nb)
        p.MM = mk.mm(p.Nb)

    # pools (POOL-1/2): cross first, then isolated positions in order
    cross = [p for p in positions if p.mode == "cross"]
    pools = [{"position": -1, "members": cross, "B": wb}]
    for p in positions:
        if p.mode == "isolated":
            pools.append({"position": p.i, "members": [p], "B": p.M})
    for pl in pools:
        pl["E"] = pl["B"] + sum((q.U for q in pl["members"]), Fraction(0))
        pl["IM"] = sum((q.IM for q in pl["members"]), Fraction(0))
        pl["MM"] = sum((q.MM for q in pl["members"]), Fraction(0))
        for q in pl["members"]:
            q.pool = pl

    rnd_mm = down if mut == "mm-round-down" else up
    # POOL-5: one trigger per scenario (VAR-1 checked that every market selects the same)
    at_eq = first is not None and first.variants["trigger"] == "at-equality"

    # 4. position reports (NUM-2 on reported values)
    out_pos = []
    for p in positions:
        pb = f"positions[{p.i}]"
        rep = {"market": p.mk.name, "side": p.side, "marginMode": p.mode}

        def chk(field, v):
            if abs(v) > MAX:
                raise SpecError(f"{pb}.{field}", "NUM-2", f"{field} {f2s(v)} is outside [-{fmt(MAX)}, {fmt(MAX)}]")
            return fmt(v)

        notional = chk("notional", down(p.N))
        upnl = chk("unrealizedPnl", down(p.U))
        im = chk("initialMargin", up(p.IM))
        mm = chk("maintenanceMargin", rnd_mm(p.MM))
        iso = rmv = None
        if p.mode == "isolated":
            iso = chk("isolatedMargin", p.M)
            rmv = chk("maxRemovableMargin", down(max(Fraction(0), min(p.M, p.M + min(p.U, Fraction(0)) - p.IM))))
        pl = p.pool
        others = [q for q in pl["members"] if q is not p]
        K = pl["B"] + sum((q.U - q.MM for q in others), Fraction(0))
        K0 = pl["B"] + sum((q.U for q in others), Fraction(0))
        lt, le, lr = _liq_price(p.mk, p, K, K0, at_eq)
        bp, br = _bkr_price(p.mk, p, K0)
        rep.update({
            "notional": notional, "unrealizedPnl": upnl, "leverage": fmt(p.Leff),
            "initialMargin": im, "maintenanceMargin": mm, "tier": p.ti + 1,
            "liquidationPrice": None if lt is None else fmt(lt),
            "liquidationPriceExact": None if le is None else fmt(le),
        })
        if lr:
            rep["liquidationPriceReason"] = lr
        rep["bankruptcyPrice"] = None if bp is None else fmt(bp)
        if br:
            rep["bankruptcyPriceReason"] = br
        rep["isolatedMargin"] = iso
        rep["maxRemovableMargin"] = rmv
        out_pos.append(rep)

    # 5. pool reports
    out_pools = []
    for k, pl in enumerate(pools):
        pb = f"pools[{k}]"

        def chk(field, v):
            if abs(v) > MAX:
                raise SpecError(f"{pb}.{field}", "NUM-2", f"{field} {f2s(v)} is outside [-{fmt(MAX)}, {fmt(MAX)}]")
            return fmt(v)

        E, IM, MM = pl["E"], pl["IM"], pl["MM"]
        rep = {"pool": "cross" if pl["position"] < 0 else "isolated", "position": pl["position"]}
        rep["equity"] = chk("equity", down(E))
        rep["initialMargin"] = chk("initialMargin", up(IM))
        rep["maintenanceMargin"] = chk("maintenanceMargin", rnd_mm(MM))
        rep["available"] = chk("available", down(max(Fraction(0), E - IM)))
        mr = None
        if E > 0:
            r = up(MM / E)
            if r <= MAX:
                mr = fmt(r)
        rep["marginRatio"] = mr
        rep["liquidatable"] = liquidatable(E, MM, at_eq)
        out_pools.append(rep)

    out_prices = {name: {"mark": fmt(marks[name][0]), "computed": marks[name][1]} for name in _byte_order(marks)}
    return {"prices": out_prices, "positions": out_pos, "pools": out_pools}


def evaluate_safe(scenario):
    try:
        return "report", evaluate(scenario)
    except SpecError as e:
        return "error", e.as_dict()


def evaluate_json(text):
    return evaluate_safe(text)


if __name__ == "__main__":  # perpcheck eval FILE, for people
    import sys
    src = sys.stdin.read() if len(sys.argv) < 2 or sys.argv[1] == "-" else open(sys.argv[1], encoding="utf-8").read()
    try:
        print(json.dumps(evaluate(src), indent=2))
    except SpecError as e:
        print(f"perpcheck-python: {e.path}: {e.rule}: {e.msg}", file=sys.stderr)
        sys.exit(2)
    except NotSupported as e:
        print(f"perpcheck-python: not supported: {e}", file=sys.stderr)
        sys.exit(3)
