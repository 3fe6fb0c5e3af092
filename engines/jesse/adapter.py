#!/usr/bin/env python3
"""perpcheck/1 adapter for jesse's backtest Position (README.md beside this file).

jesse.models.Position computes, in backtests, `value` (notional), `pnl` (unrealized PnL),
`liquidation_price` and `bankruptcy_price` (isolated mode only; NaN in cross mode). The adapter
builds one Position per SPEC position (exchange type futures, the position's margin mode, the
strategy's leverage, entry price, signed qty, current price = the mark) and reads those four
properties; every other report field is the SPEC frame (engines/adapterkit/pcadapter.py).
"""

from __future__ import annotations

import math
import os
import sys
from types import SimpleNamespace as NS

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapterkit"))
import pcadapter as pk  # noqa: E402

from importlib.metadata import version  # noqa: E402

from jesse.models.Position import Position  # noqa: E402

STRICT = os.environ.get("PCADAPTER_STRICT") == "1"


def entry_price(p):
    Q = pk.exact(p["size"])
    if p.get("entryPrice") is not None and pk.exact(p["entryPrice"]) != 0:
        return pk.exact(p["entryPrice"])
    return pk.exact(p["entryValue"]) / Q


def rep_tier(m, rep):
    """The market tier SPEC's report names (1-based)."""
    return (m.get("tiers") or [])[rep["tier"] - 1]


def overlay(sc, report):
    markets = sc.get("markets") or {}
    for p, rep in zip(sc["account"].get("positions") or [], report["positions"]):
        m = markets[p["market"]]
        Q, EP = pk.exact(p["size"]), entry_price(p)
        mark = pk.exact(report["prices"][p["market"]]["mark"])
        lev = float(pk.dec(p["leverage"])) if p.get("leverage") is not None else float(pk.exact(rep["leverage"]))
        s = 1 if p["side"] == "long" else -1
        pos = Position({"exchange": NS(type="futures", futures_leverage_mode=p["marginMode"]),
                        "strategy": NS(leverage=lev), "entry_price": float(EP),
                        "qty": s * float(Q), "current_price": float(mark)})
        rep["notional"] = pk.fmt(pk.down(pos.value))          # QTY-1: down(N)
        rep["unrealizedPnl"] = pk.fmt(pk.down(pos.pnl))       # QTY-2: down(U)
        if p["marginMode"] != "isolated":  # jesse: NaN (no cross liquidation price); the frame stays
            if STRICT:
                raise pk.NotSupported("jesse computes no cross liquidation or bankruptcy price")
            pk.count("frame")  # notional and PnL are jesse's; the liquidation fields are not
            continue
        tick = m["tickSize"]
        if STRICT:  # jesse's model: entry basis, MMR 0.004, margin = Q*EP/L unrounded (jesse-1, jesse-3)
            mmr = pk.exact(rep_tier(m, rep)["maintenanceMarginRate"])
            if (m.get("mmBasis") or "mark") != "entry" or mmr != pk.Fraction(4, 1000) \
                    or pk.exact(rep["isolatedMargin"]) != Q * EP / pk.exact(lev):
                raise pk.NotSupported("jesse: entry basis, MMR 0.004 and margin Q*EP/L only")
        pk.count("engine")
        liq = pos.liquidation_price
        if isinstance(liq, float) and math.isnan(liq):
            raise RuntimeError("jesse returned NaN for an isolated position")
        pk.set_liq(rep, pk.liq_fields(p["side"], float(liq), tick))
        bkr = pk.exact(float(pos.bankruptcy_price))
        if s > 0:
            v = pk.tick_up(bkr, tick) if bkr > 0 else None
            reason = None if v is not None else "never-bankrupt"
        else:
            v = pk.tick_down(bkr, tick)
            reason = None if v > 0 else "always-bankrupt"
            v = v if v > 0 else None
        if v is not None and v > pk.MAX:
            v, reason = None, "out-of-range"
        rep["bankruptcyPrice"] = None if v is None else pk.fmt(v)
        rep.pop("bankruptcyPriceReason", None)
        if reason:  # keep RPT-1's order: the reason right after bankruptcyPrice
            items = list(rep.items())
            k = [a for a, _ in items].index("bankruptcyPrice")
            items.insert(k + 1, ("bankruptcyPriceReason", reason))
            rep.clear()
            rep.update(items)


if __name__ == "__main__":
    sys.exit(pk.Adapter("jesse", version("jesse"), ["isolated", "entry-basis"], overlay,
                        outputs=pk.outputs(["notional", "unrealizedPnl", "liquidationPrice",
                                            "liquidationPriceExact", "bankruptcyPrice"])).serve())
