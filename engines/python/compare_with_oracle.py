#!/usr/bin/env python3
"""Differential test: random scenarios through perpcheck_engine and the Go oracle (perpcheck eval).

    cd /work/main && go build -o /tmp/perpcheck ./cmd/perpcheck
    python3 engines/python/compare_with_oracle.py -n 2000 -seed 1 [-oracle /tmp/perpcheck] [-out DIR]

Reports are compared field by field, decimals numerically (SPEC NUM-6); errors by path and rule.
Each disagreement is printed with its scenario (and written to -out DIR when given).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import random
import subprocess
import sys
import tempfile
from decimal import Decimal, InvalidOperation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perpcheck_engine as pe  # noqa: E402

MMRS = ["0", "0.004", "0.005", "0.0065", "0.01", "0.02", "0.025", "0.05", "0.1", "0.125", "0.15", "0.25", "0.5"]
LEVS = ["125", "100", "75", "50", "25", "20", "10", "8", "5", "4", "3", "2", "1.5", "1"]
TICKS = ["0.1", "0.01", "1", "0.5", "0.0001", "0.00000001", "5", "0.25", "0.001"]
LOTS = ["0.001", "1", "0.01", "0.1", "0.00000001", "10", "0.5"]


def d(x) -> str:
    """Decimal to plain text on the 1e-8 grid."""
    x = Decimal(x).quantize(Decimal("1e-8"))
    s = format(x, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def rnd_amount(r: random.Random, lo=0.0, hi=1e6, grid="0.01") -> str:
    # draw on a log scale, snap to the grid (built via Decimal from an integer, never from the float text)
    g = Decimal(grid)
    import math
    if hi <= 0:
        return "0"
    lo2 = max(lo, float(g))
    v = math.exp(r.uniform(math.log(lo2), math.log(hi)))
    k = int(v / float(g))
    return d(g * max(k, 1))


def gen_market(r: random.Random, name: str) -> dict:
    n = r.choice([1, 1, 2, 3, 4])
    tiers = []
    lo = Decimal(0)
    mmr_i = r.randrange(0, 8)
    lev_cap = Decimal(r.choice(LEVS[:8]))
    cum = Decimal(0)
    prev_mmr = None
    for t in range(n):
        mmr = Decimal(MMRS[min(mmr_i, len(MMRS) - 1)])
        lev = lev_cap
        if mmr > 0:
            lim = (Decimal(1) / mmr).to_integral_value(rounding="ROUND_FLOOR")
            lev = min(lev, lim)
        lev = max(lev, Decimal(1))
        hi = lo + Decimal(rnd_amount(r, 10, 5e6, r.choice(["1", "0.01", "1000"])))
        if prev_mmr is not None:
            cum = cum + lo * (mmr - prev_mmr)
        tier = {"minNotional": d(lo), "maxNotional": d(hi), "maintenanceMarginRate": d(mmr), "maxLeverage": d(lev)}
        if r.random() < 0.3:
            tier["maintenanceAmount"] = d(cum)
        tiers.append(tier)
        prev_mmr = mmr
        lo = hi
        mmr_i += r.choice([0, 1, 1, 2])
        smaller = [x for x in LEVS if Decimal(x) <= lev]
        lev_cap = Decimal(r.choice(smaller[:4]))
    m = {"tickSize": r.choice(TICKS), "lotSize": r.choice(LOTS), "tiers": tiers}
    b = r.random()
    if b < 0.35:
        m["mmBasis"] = "entry"
    elif b < 0.6:
        m["mmBasis"] = "mark"
    if r.random() < 0.15:
        m["marginModes"] = r.choice([["cross"], ["isolated"], ["isolated", "cross"]])
    if r.random() < 0.2:
        m["markPriceBand"] = r.choice(["0.05", "0.1", "0.01", "0.5"])
    if r.random() < 0.2:
        m["fundingIntervalHours"] = r.choice(["1", "4", "8", "0.5"])
    if r.random() < 0.1:
        m["liquidationFeeRate"] = "0.0125"
    if r.random() < 0.1:
        m["takerFeeRate"], m["makerFeeRate"] = "0.0005", "0.0002"
    if r.random() < 0.05:
        m["fundingRateCap"] = "0.03"
    return m


def _grid_floor(x: Decimal) -> Decimal:
    return x.quantize(Decimal("1e-8"), rounding="ROUND_FLOOR")


def add_explicit_imr(r: random.Random, tiers: list):
    """Explicit initial margin rates (SPEC TIER-1, TIER-5, QTY-4): every tier, 0 < IMR_t <= 1,
    non-decreasing, MMR_t <= IMR_t, IMR_t * maxLeverage_t <= 1; sometimes an OKX-like display leverage
    (66.66x for 1.5 %)."""
    prev = Decimal(0)
    for t in tiers:
        lev = Decimal(t["maxLeverage"])
        hi = _grid_floor(Decimal(1) / lev)
        lo = max(prev, Decimal(t["maintenanceMarginRate"]), Decimal("0.00000001"))
        if lo > hi:  # cannot happen for the tables gen_market draws; keep the table valid anyway
            hi = lo
            t["maxLeverage"] = d(max(Decimal(1), (Decimal(1) / lo).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")))
        x = r.random()
        if x < 0.35:
            imr = hi
        elif x < 0.55:
            imr = lo
        else:
            imr = lo + _grid_floor((hi - lo) * Decimal(r.choice(["0.5", "0.25", "0.9", "0.1"])))
            imr = imr.quantize(Decimal(r.choice(["1e-4", "1e-3", "1e-8"])), rounding="ROUND_FLOOR")
            imr = min(max(imr, lo), hi)
        t["initialMarginRate"] = d(imr)
        prev = imr


def add_variants(r: random.Random, m: dict, trigger: str):
    """SPEC VAR: draw the market's query variants (VAR-1 keys) and keep its table valid under them,
    mostly (a few stay broken on purpose: TIER-6 under flat, TIER-3's integer leverage, QTY-5)."""
    v = {}
    if trigger != "strict" or r.random() < 0.1:
        v["trigger"] = trigger
    if r.random() < 0.4:
        v["tierBound"] = r.choice(["upper-inclusive", "upper-inclusive", "lower-inclusive", ""])
    if r.random() < 0.35:
        v["tierSchedule"] = r.choice(["flat", "flat", "progressive"])
    explicit = "initialMarginRate" in m["tiers"][0]
    if not explicit and r.random() < 0.3:
        v["maintenanceRate"] = r.choice(["half-initial", "half-initial", "half-initial", "given"])
    if r.random() < 0.3:
        v["closeFee"] = r.choice(["taker", "taker", "none"])
    if r.random() < 0.1:  # ledger-only choices: validated (VAR-1), unused by queries
        v["isolatedLeftover"] = r.choice(["trader", "insurance", "liquidator-split"])
        if v["isolatedLeftover"] == "liquidator-split" or r.random() < 0.05:
            v["liquidatorShare"] = r.choice(["0.5", "0", "1", "0.5", "0.25", "1.5"])
        v["fundingCap"] = r.choice(["fixed", "margin-linked"])
        if v["fundingCap"] == "margin-linked" or r.random() < 0.05:
            v["fundingCapFactor"] = r.choice(["0.75", "0.75", "2", "0"])
        v["setLeverage"] = r.choice(["checked", "unchecked"])
    if not v and r.random() < 0.5:
        return
    m["variants"] = v
    half = v.get("maintenanceRate") == "half-initial"
    flat = v.get("tierSchedule") == "flat"
    if half:
        # integer leverages (TIER-3:half-initial), and the deduction on the derived rates 1/(2L)
        cum, prev = Decimal(0), None
        from fractions import Fraction
        cumf = Fraction(0)
        for t in m["tiers"]:
            if r.random() < 0.97:
                t["maxLeverage"] = d(max(Decimal(1), Decimal(t["maxLeverage"]).to_integral_value(rounding="ROUND_FLOOR")))
            lev = Fraction(Decimal(t["maxLeverage"]))
            rate = 1 / (2 * lev)
            if prev is not None:
                cumf += Fraction(Decimal(t["minNotional"])) * (rate - prev)
            prev = rate
            if "maintenanceAmount" in t:
                if flat:
                    t["maintenanceAmount"] = "0"
                elif (cumf * 10**8).denominator == 1:
                    t["maintenanceAmount"] = d(Decimal(cumf.numerator) / Decimal(cumf.denominator))
                elif r.random() < 0.9:
                    del t["maintenanceAmount"]
    elif flat:
        for t in m["tiers"]:
            if "maintenanceAmount" in t and r.random() < 0.95:
                t["maintenanceAmount"] = "0"
    if v.get("closeFee") == "taker" and "takerFeeRate" not in m or r.random() < 0.3:
        m["takerFeeRate"] = r.choice(["0.0005", "0.0006", "0.002", "0.05", "0.00000001", "0.6"])


def gen_price(r: random.Random, ref: Decimal) -> dict:
    if r.random() < 0.6:
        return {"mark": d(ref)}
    p = {"index": d(ref), "last": d(ref * Decimal(r.choice(["1", "1.01", "0.97", "1.2", "0.5"])))}
    if r.random() < 0.6:
        p["fundingRate"] = r.choice(["0.0001", "-0.0003", "0.01", "-0.75", "0.00000001"])
    if r.random() < 0.6:
        p["secondsToFunding"] = r.choice(["0", "3600", "28799", "100", "14400.5"])
    if r.random() < 0.5:
        p["basisAverage"] = d(ref * Decimal(r.choice(["0.001", "-0.002", "0.05", "-0.5", "0"])))
    return p


def gen_scenario(r: random.Random) -> dict:
    names = ["BTC", "ETH", "XRP", "SOL", "DOGE", "aLower", "Z9"]
    nm = r.choice([1, 1, 2, 3, 4])
    chosen = r.sample(names, nm)
    markets, prices, refs = {}, {}, {}
    # SPEC VAR: one trigger per scenario (VAR-1); variants drawn in about half the scenarios
    variants = r.random() < 0.5
    trigger = r.choice(["strict", "at-equality", "at-equality"])
    for nme in chosen:
        markets[nme] = gen_market(r, nme)
        if r.random() < 0.2:
            add_explicit_imr(r, markets[nme]["tiers"])
        if variants:
            add_variants(r, markets[nme], trigger if r.random() < 0.97 else "strict")
        ref = Decimal(rnd_amount(r, 0.001, 100000, r.choice(["0.01", "0.0001", "1", "0.00000001"])))
        refs[nme] = ref
        prices[nme] = gen_price(r, ref)
    positions = []
    for nme in r.sample(chosen, r.randint(0, nm)):
        m = markets[nme]
        lot = Decimal(m["lotSize"])
        ref = refs[nme]
        # notional target across tiers
        top = Decimal(m["tiers"][-1]["maxNotional"])
        target = Decimal(rnd_amount(r, 1, float(top) * 1.3 + 10, "0.01"))
        k = int(target / ref / lot) if ref > 0 else 1
        size = lot * max(1, k)
        ep = ref * Decimal(r.choice(["1", "0.9", "1.1", "0.5", "1.5", "0.99", "1.01", "0.33"]))
        ep = ep.quantize(Decimal("1e-8"))
        if ep <= 0:
            ep = Decimal("0.00000001")
        modes = m.get("marginModes", ["cross", "isolated"])
        p = {"market": nme, "side": r.choice(["long", "short"]), "size": d(size), "entryPrice": d(ep),
             "marginMode": r.choice(modes)}
        maxlev = Decimal(m["tiers"][0]["maxLeverage"])
        if r.random() < 0.6:
            p["leverage"] = d(r.choice([Decimal(1), maxlev, min(Decimal(20), maxlev),
                                        max(Decimal(1), (maxlev / 3).quantize(Decimal("0.01")))]))
        if p["marginMode"] == "isolated" and r.random() < 0.5:
            p["isolatedMargin"] = d(size * ep * Decimal(r.choice(["0", "0.01", "0.05", "0.1", "0.5", "1", "2"])))
        positions.append(p)
    wb = r.choice(["0", "1", "100", "1000", "12345.67", "1000000", "0.00000001"])
    sc = {"markets": markets, "prices": prices, "account": {"walletBalance": wb, "positions": positions}}
    if positions and r.random() < 0.2:
        at_boundary(r, sc)
    if positions and r.random() < 0.25:
        at_equality(r, sc)
    return sc


def at_boundary(r: random.Random, sc: dict):
    """Aim at TIER-7's bound: one position's notional exactly a tier boundary (size one lot, mark
    boundary / lot), or its mark on its market's tick grid (so that a root may be a tick price)."""
    p = r.choice(sc["account"]["positions"])
    m = sc["markets"][p["market"]]
    lot = Decimal(m["lotSize"])
    if r.random() < 0.7:
        b = Decimal(r.choice(m["tiers"])["maxNotional" if r.random() < 0.6 else "minNotional"])
        k = r.choice([1, 1, 2, 3, 7])
        mark = b / (lot * k)
        if b > 0 and mark == _grid_floor(mark) and mark <= Decimal("92233720368"):
            p["size"] = d(lot * k)
            sc["prices"][p["market"]] = {"mark": d(mark)}
            if r.random() < 0.4:
                p["entryPrice"] = d(mark)
                p.pop("entryValue", None)
    else:
        tick = Decimal(m["tickSize"])
        pr = sc["prices"][p["market"]]
        if "mark" in pr:
            mk = (Decimal(pr["mark"]) / tick).to_integral_value(rounding="ROUND_FLOOR") * tick
            if mk > 0:
                pr["mark"] = d(mk)


def at_equality(r: random.Random, sc: dict):
    """Aim at POOL-5's edge E = MM: set the cross wallet (or one isolated margin) to the pool's
    reported MM minus its positions' reported unrealized PnL, as this engine reports them (only the
    inputs come from it; the oracle judges). When MM and U are on the grid, E = MM exactly."""
    kind, rep = pe.evaluate_safe(json.loads(json.dumps(sc)))
    if kind != "report":
        return
    pools = rep["pools"]
    k = r.randrange(len(pools))
    pl = pools[k]
    if pl["position"] < 0:
        u = sum(Decimal(p["unrealizedPnl"]) for p in rep["positions"] if p["marginMode"] == "cross")
        w = Decimal(pl["maintenanceMargin"]) - u
        if w >= 0:
            sc["account"]["walletBalance"] = d(w)
    else:
        p = rep["positions"][pl["position"]]
        w = Decimal(pl["maintenanceMargin"]) - Decimal(p["unrealizedPnl"])
        if w >= 0:
            sc["account"]["positions"][pl["position"]]["isolatedMargin"] = d(w)


def gen_edge(r: random.Random) -> dict:
    """Scenarios aimed at the corners: tiny and huge prices, roots below one tick, values beyond MAX,
    margin ratios beyond MAX, notionals exactly on tier boundaries, entryValue-only positions."""
    sc = gen_scenario(r)
    for nm, m in sc["markets"].items():
        if r.random() < 0.5:
            m["tickSize"] = r.choice(["1000", "100", "0.00000001", "1", "7"])
        pr = sc["prices"][nm]
        if r.random() < 0.5:
            pr.clear()
            pr["mark"] = r.choice(["0.00000001", "0.00000003", "0.5", "99999", "50000000000", "92233720368"])
    for p in sc["account"]["positions"]:
        m = sc["markets"][p["market"]]
        x = r.random()
        if x < 0.2:
            p["entryPrice"] = r.choice(["0.00000001", "0.00000002", "1", "92233720368.54775807", "60000000000"])
        elif x < 0.35:
            # notional at entry exactly on a tier boundary
            t = r.choice(m["tiers"])
            b = Decimal(t["minNotional"] if r.random() < 0.5 else t["maxNotional"])
            size = Decimal(p["size"])
            if b > 0:
                p["entryPrice"] = d(b / size) if (b / size) == (b / size).quantize(Decimal("1e-8")) else p["entryPrice"]
                if r.random() < 0.5:
                    sc["prices"][p["market"]] = {"mark": p["entryPrice"]}
        elif x < 0.45:
            v = Decimal(p["size"]) * Decimal(p.pop("entryPrice"))
            p["entryValue"] = d(v + Decimal(r.choice(["0", "0.00000001", "0.01"])))
        if p["marginMode"] == "isolated" and r.random() < 0.3:
            p["isolatedMargin"] = r.choice(["0", "0.00000001", "92233720368", "1"])
    if r.random() < 0.3:
        sc["account"]["walletBalance"] = r.choice(["0.00000001", "92233720368.54775807", "0"])
    return sc


BAD_DECIMALS = ["0", "-1", "1.000000001", "92233720368.54775808", "1e12", "abc", "+1", "1e1000", "",
                "0.5", "2", "1", "-0.00000001", "1E3", "00.10", 7, True, None]


def mutate(r: random.Random, sc: dict):
    """Break one thing (or a few) to exercise EVAL-2's order and paths."""
    kind = r.random()
    mk = list(sc["markets"])
    if kind < 0.25 and mk:
        m = sc["markets"][r.choice(mk)]
        f = r.choice(["tickSize", "lotSize", "mmBasis", "marginModes", "liquidationFeeRate",
                      "fundingIntervalHours", "markPriceBand", "makerFeeRate", "takerFeeRate",
                      "fundingRateCap", "tiers", "bogus", "variants"])
        if f == "variants" and (m.get("variants") or {}).get("maintenanceRate") == "half-initial" and m.get("tiers"):
            # TIER-3:half-initial's requirements: integer leverages, D = lcm(2 * maxLeverage) <= 10^6
            # over every half-initial market (999x beside 1000x: 1,998,000)
            m["tiers"][0]["maxLeverage"] = r.choice(["999", "1000", "12.5", "0.5", "1997", "0", "-2", "-1000000", "500001"])
            m["takerFeeRate"] = r.choice([m.get("takerFeeRate", "0"), "0.6"])
        elif f == "variants":
            v = m.setdefault("variants", {})
            key = r.choice(["trigger", "tierBound", "tierSchedule", "maintenanceRate", "closeFee",
                            "isolatedLeftover", "liquidatorShare", "fundingCap", "fundingCapFactor", "nope"])
            v[key] = r.choice(["at-equality", "upper-inclusive", "flat", "half-initial", "taker", "insurance",
                               "margin-linked", "", "bogus", None, "0.5", 3])
        elif f == "mmBasis":
            m[f] = r.choice(["", "x", "entry", None])
        elif f == "marginModes":
            m[f] = r.choice([[], ["cross", "cross"], ["x"], "cross", None])
        elif f == "tiers":
            m[f] = r.choice([[], None]) if r.random() < 0.3 else m[f]
            if m[f]:
                t = r.choice(m[f])
                tf = r.choice(["minNotional", "maxNotional", "maintenanceMarginRate", "maxLeverage",
                               "maintenanceAmount", "junk", "initialMarginRate"])
                t[tf] = r.choice(BAD_DECIMALS)
        else:
            m[f] = r.choice(BAD_DECIMALS)
    elif kind < 0.45 and sc["prices"]:
        nm = r.choice(list(sc["prices"]))
        p = sc["prices"][nm]
        f = r.choice(["mark", "index", "last", "fundingRate", "secondsToFunding", "basisAverage", "junk", "rename"])
        if f == "rename":
            sc["prices"]["NOPE"] = sc["prices"].pop(nm)
        else:
            p[f] = r.choice(BAD_DECIMALS)
            if r.random() < 0.5:
                p.pop("mark", None)
    elif kind < 0.85 and sc["account"]["positions"]:
        p = r.choice(sc["account"]["positions"])
        f = r.choice(["market", "side", "size", "entryPrice", "marginMode", "leverage", "isolatedMargin",
                      "dup", "entryValue", "drop"])
        if f == "market":
            p[f] = r.choice(["NOPE", "", None] + mk)
        elif f == "side":
            p[f] = r.choice(["LONG", "", "buy", None])
        elif f == "marginMode":
            p[f] = r.choice(["cross", "isolated", "portfolio", ""])
        elif f == "dup":
            sc["account"]["positions"].append(dict(p))
        elif f == "drop":
            p.pop(r.choice(["market", "side", "size", "entryPrice", "marginMode"]), None)
        elif f == "entryValue":
            p[f] = r.choice(BAD_DECIMALS + ["1"])
        else:
            p[f] = r.choice(BAD_DECIMALS + ["51", "126", "1.5"])
    elif kind < 0.9:
        sc["account"]["walletBalance"] = r.choice(BAD_DECIMALS)
    else:
        # huge values: NUM-2 on reported values, out-of-range prices
        for p in sc["account"]["positions"]:
            if r.random() < 0.7:
                p["size"] = r.choice(["90000000000", "50000000", "1000000"])
        for nm, pr in sc["prices"].items():
            if "mark" in pr and r.random() < 0.5:
                pr["mark"] = r.choice(["90000000000", "0.00000001", "5000000000"])
    # several breaks sometimes
    if r.random() < 0.2:
        mutate(r, sc)


def to_text(sc, r: random.Random) -> str:
    def enc(v):
        return json.dumps(v, separators=(",", ":"))
    txt = enc(sc)
    if r.random() < 0.03:
        txt = txt[:-1] + ',"account":{}}' if '"account"' in txt else txt  # duplicate key at top level
    elif r.random() < 0.02:
        txt += " {}"
    return txt


# ----------------------------------------------------------------------------------------------

def run_oracle(oracle: str, text: str):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(text)
        name = f.name
    try:
        cp = subprocess.run([oracle, "eval", name], capture_output=True, text=True, timeout=60)
    finally:
        os.unlink(name)
    if cp.returncode == 0:
        return "report", json.loads(cp.stdout)
    line = cp.stderr.strip().splitlines()[-1] if cp.stderr.strip() else ""
    if line.startswith("perpcheck: "):
        line = line[len("perpcheck: "):]
    parts = line.split(": ", 2)
    if len(parts) >= 2:
        return "error", {"path": parts[0], "rule": parts[1], "msg": parts[2] if len(parts) > 2 else ""}
    return "crash", {"rc": cp.returncode, "stderr": cp.stderr[-2000:]}


def _is_dec(x):
    if not isinstance(x, str):
        return False
    try:
        Decimal(x)
        return True
    except InvalidOperation:
        return False


def diff(a, b, path="") -> list[str]:
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'python' if k in a else 'oracle'}")
            else:
                out += diff(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} vs {len(b)}"]
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}[{i}]")
        return out
    if _is_dec(a) and _is_dec(b):
        return [] if Decimal(a) == Decimal(b) else [f"{path}: python {a} oracle {b}"]
    return [] if a == b and type(a) is type(b) else [f"{path}: python {a!r} oracle {b!r}"]


class ProtocolEngine:
    """engine.py behind perpcheck/1 (PROTOCOL.md), one request in flight (PR-3)."""

    def __init__(self, mutant=""):
        env = dict(os.environ)
        env.pop("PERPCHECK_PY_MUTANT", None)
        if mutant:
            env["PERPCHECK_PY_MUTANT"] = mutant
        here = os.path.dirname(os.path.abspath(__file__))
        self.p = subprocess.Popen([sys.executable, os.path.join(here, "engine.py")], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        self.id = 0
        ok = self.request({"type": "init", "protocol": "perpcheck/1", "spec": "SPEC.md", "seed": 1})
        assert ok["type"] == "init_ok", ok

    def request(self, body: dict, raw_field=None) -> dict:
        """Send body; raw_field=(name, json_text) embeds a JSON text verbatim (duplicate keys and
        number literals preserved)."""
        self.id += 1
        line = json.dumps(dict(body, id=self.id), separators=(",", ":"))
        if raw_field:
            line = line[:-1] + f',"{raw_field[0]}":{raw_field[1]}}}'
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        resp = json.loads(line)
        if resp.get("in_reply_to") != self.id:
            raise RuntimeError(f"PR-9: wrong in_reply_to in {line!r}")
        return resp

    def evaluate(self, text: str):
        json.loads(text)  # raises on a text that is not one JSON value (trailing data): skipped
        resp = self.request({"type": "evaluate"}, ("scenario", text))
        if resp["type"] == "evaluate_ok":
            return "report", resp["report"]
        if resp.get("code") == 10:
            raise pe.NotSupported(resp.get("text", ""))
        if resp.get("code") == 1001:
            return "error", {"path": resp["path"], "rule": resp["rule"], "msg": resp.get("text", "")}
        return "crash", resp

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


_local = __import__("threading").local()
PROTO = {"on": False, "mutant": ""}


def evaluate_mine(text):
    if not PROTO["on"]:
        return pe.evaluate_safe(text)
    eng = getattr(_local, "engine", None)
    if eng is None:
        eng = _local.engine = ProtocolEngine(PROTO["mutant"])
    return eng.evaluate(text)


def one(args):
    seed, oracle = args
    r = random.Random(seed)
    sc = gen_edge(r) if r.random() < 0.35 else gen_scenario(r)
    if r.random() < 0.3:
        mutate(r, sc)
    text = to_text(sc, r)
    try:
        mine = evaluate_mine(text)
    except json.JSONDecodeError:  # a text the protocol cannot carry as a JSON value (trailing data)
        return seed, text, "skip", "not one JSON value"
    except pe.NotSupported as e:
        return seed, text, "skip", str(e)
    except Exception as e:  # a crash is a disagreement
        mine = ("crash", repr(e))
    theirs = run_oracle(oracle, text)
    if mine[0] != theirs[0]:
        return seed, text, "kind", f"python {mine[0]} {mine[1] if mine[0] != 'report' else ''} | oracle {theirs[0]} {theirs[1] if theirs[0] != 'report' else ''}"
    if mine[0] == "error":
        a, b = mine[1], theirs[1]
        if (a["path"], a["rule"]) != (b["path"], b["rule"]):
            return seed, text, "error", f"python {a['path']}: {a['rule']}: {a['msg']} | oracle {b['path']}: {b['rule']}: {b['msg']}"
        return seed, text, "agree-error", a["rule"]
    if mine[0] == "crash":
        return seed, text, "crash", f"{mine[1]} | {theirs[1]}"
    ds = diff(mine[1], theirs[1])
    if ds:
        return seed, text, "report", "; ".join(ds[:8])
    tags = []
    for p in mine[1]["positions"]:
        tags += [p.get("liquidationPriceReason", "liq"), p.get("bankruptcyPriceReason", "bkr")]
    for pl in mine[1]["pools"]:
        tags += ["mr-null" if pl["marginRatio"] is None else "mr", "liquidatable" if pl["liquidatable"] else "healthy"]
        if pl["position"] >= 0 or mine[1]["positions"]:
            if Decimal(pl["equity"]) == Decimal(pl["maintenanceMargin"]):
                tags.append("E=MM-reported")
    # SPEC VAR: which variants the agreeing report ran under (one tag per case and variant)
    try:
        for m in json.loads(text).get("markets", {}).values():
            for k, v in (m.get("variants") or {}).items():
                if v and k in ("trigger", "tierBound", "tierSchedule", "maintenanceRate", "closeFee"):
                    tags.append(f"{k}={v}")
            if m.get("tiers") and "initialMarginRate" in m["tiers"][0]:
                tags.append("explicit-imr")
    except (ValueError, AttributeError):
        pass
    return seed, text, "agree-report", " ".join(tags)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("-seed", type=int, default=1)
    ap.add_argument("-oracle", default="/tmp/perpcheck")
    ap.add_argument("-out", default="")
    ap.add_argument("-j", type=int, default=4)
    ap.add_argument("-q", action="store_true", help="print only the summary and the disagreements' first lines")
    ap.add_argument("-protocol", action="store_true", help="evaluate through engine.py over perpcheck/1")
    ap.add_argument("-mutant", default="", help="with -protocol: PERPCHECK_PY_MUTANT for the engine (e.g. mm-round-down)")
    a = ap.parse_args()
    PROTO["on"], PROTO["mutant"] = a.protocol, a.mutant
    counts = {}
    bad = []
    cover = {}
    with cf.ThreadPoolExecutor(a.j) as ex:
        for seed, text, kind, info in ex.map(one, [(a.seed * 1000003 + i, a.oracle) for i in range(a.n)]):
            counts[kind] = counts.get(kind, 0) + 1
            if kind.startswith("agree"):
                for tag in set(info.split()):
                    cover[tag] = cover.get(tag, 0) + 1
            if not kind.startswith("agree") and kind != "skip":
                bad.append((seed, text, kind, info))
    for seed, text, kind, info in bad[:40]:
        print(f"--- seed {seed} [{kind}] {info}")
        if not a.q:
            print(text)
        if a.out:
            os.makedirs(a.out, exist_ok=True)
            with open(os.path.join(a.out, f"case-{seed}.json"), "w") as f:
                f.write(text + "\n")
    total = sum(counts.values())
    agree = counts.get("agree-report", 0) + counts.get("agree-error", 0)
    print(f"cases {total}: agree {agree} (reports {counts.get('agree-report', 0)}, errors "
          f"{counts.get('agree-error', 0)}), disagree {len(bad)}, skipped {counts.get('skip', 0)}; {counts}")
    print("coverage (cases with each outcome):", json.dumps(dict(sorted(cover.items()))))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
