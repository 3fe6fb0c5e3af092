#!/usr/bin/env python3
"""perpcheck/1 adapter for freqtrade's dry-run/backtest liquidation prices (README.md beside this file).

    adapter.py binance   Binance.dry_run_liquidation_price: cross and isolated, mark basis
    adapter.py bybit     Bybit.dry_run_liquidation_price: isolated only, entry basis

Everything except liquidationPrice / liquidationPriceExact comes from the SPEC frame
(engines/adapterkit/pcadapter.py); freqtrade computes no other field of SPEC's report.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapterkit"))
import pcadapter as pk  # noqa: E402

VENUE = sys.argv[1] if len(sys.argv) > 1 else "binance"
if VENUE not in ("binance", "bybit"):
    sys.exit(f"usage: adapter.py binance|bybit (got {VENUE!r})")

# freqtrade's import takes seconds; it happens before the first request is read, so the harness's
# init timeout (10 s) is not spent on it except on a cold cache (engines/matrix.sh passes -timeout 120s).
import freqtrade  # noqa: E402
from freqtrade.enums import MarginMode, RunMode, TradingMode  # noqa: E402
from freqtrade.exchange import Binance, Bybit  # noqa: E402

STRICT = os.environ.get("PCADAPTER_STRICT") == "1"


def cum(tiers, t):
    """TIER-6's deduction of tier t (1-based): the recursion cum_1 = 0, cum_k = cum_{k-1} + min_k (MMR_k - MMR_{k-1})."""
    c = pk.Fraction(0)
    for k in range(1, t):
        c += pk.exact(tiers[k]["minNotional"]) * (pk.exact(tiers[k]["maintenanceMarginRate"]) -
                                                   pk.exact(tiers[k - 1]["maintenanceMarginRate"]))
    return c


def outside(why):
    """A position outside freqtrade's model: code 10 under PCADAPTER_STRICT=1, else keep the frame."""
    if STRICT:
        raise pk.NotSupported(why)


def exchange(cls, sc, mode):
    """A freqtrade exchange object with no network: tiers and marks come from the scenario.

    Only the attributes the liquidation code reads are set (the constructor would load markets over
    the network). Tiers are freqtrade's own LeverageTier dicts, as parse_leverage_tier builds them from
    ccxt (floats; maintAmt from info.cum, which SPEC's TIER-6 recursion gives)."""
    ex = cls.__new__(cls)
    ex.close = lambda: None  # __del__ closes network clients this object never opened
    ex._config = {"runmode": RunMode.DRY_RUN, "dry_run": True}
    ex.trading_mode = TradingMode.FUTURES
    ex.margin_mode = MarginMode.CROSS if mode == "cross" else MarginMode.ISOLATED
    ex._ft_has = {"exchange_has_overrides": {"fetchLeverageTiers": True}}
    ex._leverage_tiers = {}
    ex._markets = {n: {"inverse": False, "linear": True} for n in (sc.get("markets") or {})}
    for name, m in (sc.get("markets") or {}).items():
        tiers = []
        cum = pk.Fraction(0)
        prev = pk.Fraction(0)
        for t in m.get("tiers") or []:
            lo, mmr = pk.exact(t["minNotional"]), pk.exact(t["maintenanceMarginRate"])
            cum += lo * (mmr - prev)
            prev = mmr
            tiers.append({"minNotional": float(pk.dec(t["minNotional"])), "maxNotional": float(pk.dec(t["maxNotional"])),
                          "maintenanceMarginRate": float(pk.dec(t["maintenanceMarginRate"])),
                          "maxLeverage": float(pk.dec(t["maxLeverage"])), "maintAmt": float(cum)})
        ex._leverage_tiers[name] = tiers
    return ex


def overlay(sc, report):
    markets = sc.get("markets") or {}
    acct = sc["account"]
    positions = acct.get("positions") or []
    marks = {k: pk.exact(v["mark"]) for k, v in report["prices"].items()}
    for i, (p, rep) in enumerate(zip(positions, report["positions"])):
        name, side, mode = p["market"], p["side"], p["marginMode"]
        m = markets[name]
        basis = m.get("mmBasis") or "mark"
        Q, EP = pk.exact(p["size"]), pk.exact(p["entryPrice"]) if p.get("entryPrice") is not None and pk.exact(p["entryPrice"]) != 0 else None
        if EP is None:
            EP = pk.exact(p["entryValue"]) / Q
        L = pk.exact(rep["leverage"])  # POS-4's leverage capped by the tier (QTY-3), as SPEC reports it
        if VENUE == "binance" and basis != "mark":
            outside("freqtrade's Binance formula is mark basis")
            pk.count("frame")
            continue
        if VENUE == "bybit" and (mode != "isolated" or basis != "entry"):
            outside("freqtrade's Bybit formula is isolated, entry basis")
            pk.count("frame")
            continue
        ex = exchange(Binance if VENUE == "binance" else Bybit, sc, mode)
        lev = float(pk.dec(p["leverage"])) if p.get("leverage") is not None else float(rep["leverage"])
        if mode == "isolated":
            M = pk.exact(rep["isolatedMargin"])
            # update_liquidation_prices (isolated): wallet_balance = stake_amount = the trade's collateral.
            stake = float(M)
            wallet = float(M)
            others = []
            if VENUE == "bybit":
                # freqtrade's trade has stake_amount = amount * open_rate / leverage, and Bybit's formula
                # reads the margin as amount * open_rate / leverage ("ignores extra margin"): the
                # leverage of a position with collateral M is Q*EP/M (passing the scenario's leverage
                # with another margin was this adapter's mapping error, docs/conformance.md triage).
                if M <= 0:
                    outside("freqtrade's Bybit formula needs a positive isolated margin")
                    pk.count("frame")
                    continue
                lev = float(Q * EP / M)
                # Bybit's formula as freqtrade writes it is MM = position value * MMR, no deduction:
                # SPEC's TIER-8:flat, which the SPEC frame (engines/python) does not implement, so the
                # adapter cannot declare it; it computes only where flat and progressive coincide, a
                # tier whose deduction (TIER-6's cum) is 0 (triage in docs/conformance.md).
                if cum(m["tiers"], rep["tier"]) != 0:
                    outside("freqtrade's Bybit formula has no maintenance deduction (TIER-8:flat)")
                    pk.count("frame")
                    continue
        else:
            # update_liquidation_prices (cross): wallet_balance = the wallet's collateral; each trade's
            # stake_amount = its collateral at entry, amount * open_rate / leverage (LocalTrade).
            wallet = float(pk.dec(acct["walletBalance"]))
            stake = float(Q * EP / L)
            others = []
            for j, q in enumerate(positions):
                if j == i or q["marginMode"] != "cross":
                    continue
                qQ = pk.exact(q["size"])
                qEP = pk.exact(q["entryPrice"]) if q.get("entryPrice") is not None and pk.exact(q["entryPrice"]) != 0 else pk.exact(q["entryValue"]) / qQ
                qL = pk.exact(report["positions"][j]["leverage"])
                others.append(SimpleNamespace(pair=q["market"], amount=float(qQ), open_rate=float(qEP),
                                              stake_amount=float(qQ * qEP / qL), is_short=q["side"] == "short",
                                              leverage=float(qL)))
            others.insert(0, SimpleNamespace(pair=name, amount=float(Q), open_rate=float(EP), stake_amount=stake,
                                             is_short=side == "short", leverage=lev))
            ex.fetch_funding_rates = lambda pairs: {k: {"markPrice": float(marks[k])} for k in pairs}
        root = ex.dry_run_liquidation_price(pair=name, open_rate=float(EP), is_short=side == "short",
                                            amount=float(Q), stake_amount=stake, leverage=lev,
                                            wallet_balance=wallet, open_trades=others)
        pk.count("engine")
        fields = pk.liq_fields(side, root, m["tickSize"][1] if isinstance(m["tickSize"], tuple) else m["tickSize"])
        if fields is not None:
            pk.set_liq(rep, fields)


if __name__ == "__main__":
    caps = ["isolated"] + (["entry-basis"] if VENUE == "bybit" else [])
    sys.exit(pk.Adapter(f"freqtrade-{VENUE}", freqtrade.__version__, caps, overlay,
                        outputs=pk.outputs(["liquidationPrice", "liquidationPriceExact"])).serve())
