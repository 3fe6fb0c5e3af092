#!/usr/bin/env python3
"""perpcheck/1 adapter for driftpy, the Python mirror of Drift v2's margin math (README.md beside this file).

driftpy's `DriftUser` computes a user's margin from on-chain account structs: `get_total_collateral`
(USDC deposit + unrealized PnL), `get_margin_requirement` (sum over perp positions of
`base * oracle * margin_ratio`), `can_be_liquidated` (collateral < requirement: strict) and
`get_perp_liq_price` (oracle - free collateral / free-collateral delta). The adapter builds those
structs from a SPEC scenario, with no network and no subscription: one USDC spot market (decimals 6,
asset weight 1, price 1), one perp market per SPEC market (one flat MMR, `imf_factor` 0: no size
premium, unrealized-PnL weights 1, oracle = SPEC's mark), one user (the wallet as a USDC deposit,
each position as `base_asset_amount` = s*Q on 1e-9 and `quote_asset_amount` = -s*Q*EP on 1e-6).

Drift's model coincides with SPEC only on part of SPEC's space; outside it the position is kept as the
SPEC frame (or answered code 10 under PCADAPTER_STRICT=1), never approximated:
- cross positions only, mark basis, one tier with maintenanceAmount 0 (Drift has one margin ratio per
  market; its size premium is turned off by imf_factor 0, which is the restriction named above);
- the MMR a multiple of 1e-4 (MARGIN_PRECISION), the mark and Q*EP multiples of 1e-6 (PRICE and QUOTE
  precision), the wallet a multiple of 1e-6 and >= 0 (a deposit).
Fields overlaid (the engine's): positions' notional, unrealizedPnl, maintenanceMargin,
liquidationPrice(+Exact); the cross pool's equity, maintenanceMargin, liquidatable. Drift's integers
are exact on its own grid and are read exactly; no tolerance.
"""

from __future__ import annotations

import os
import sys
from fractions import Fraction
from types import SimpleNamespace as NS

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapterkit"))
import pcadapter as pk  # noqa: E402

from importlib.metadata import version  # noqa: E402

from driftpy.drift_user import DriftUser  # noqa: E402
from driftpy.math.margin import MarginCategory  # noqa: E402
from driftpy.types import (ContractType, MarketStatus,  # noqa: E402
                           OraclePriceData, SpotBalanceType)

STRICT = os.environ.get("PCADAPTER_STRICT") == "1"
QUOTE, BASE, PRICE, MARGIN = 10**6, 10**9, 10**6, 10**4


class Outside(Exception):
    """A scenario outside Drift's model (see the module doc)."""


def on_grid(x: Fraction, scale: int, what: str) -> int:
    v = x * scale
    if v.denominator != 1:
        raise Outside(f"{what} {float(x)} is not on Drift's 1/{scale} grid")
    return int(v)


def q(x) -> Fraction:
    """A driftpy quote amount (1e-6 units) as an exact value. driftpy returns an int, or a float where
    its Python does true division (the funding PnL, hence PnL and collateral): read as printed."""
    return pk.exact(x) / QUOTE


def oracle(price: int) -> OraclePriceData:
    return OraclePriceData(price=price, slot=0, confidence=0, twap=price, twap_confidence=0,
                           has_sufficient_number_of_data_points=True)


class Client:
    """The part of DriftClient that DriftUser's margin math reads, from in-memory structs."""

    def __init__(self, perps, prices, usdc):
        self.perps, self.prices, self.usdc = perps, prices, usdc

    def get_perp_market_account(self, i): return self.perps[i]
    def get_spot_market_account(self, i): return self.usdc
    def get_spot_market_accounts(self): return [self.usdc]
    def get_oracle_price_data_for_perp_market(self, i): return oracle(self.prices[i])
    def get_oracle_price_data_for_spot_market(self, i): return oracle(PRICE)
    def get_state_account(self): return NS(liquidation_margin_buffer_ratio=0)


def usdc_market():
    return NS(market_index=0, decimals=6, oracle="usdc-oracle", cumulative_deposit_interest=10**10,
              cumulative_borrow_interest=10**10, initial_asset_weight=MARGIN, maintenance_asset_weight=MARGIN,
              initial_liability_weight=MARGIN, maintenance_liability_weight=MARGIN, imf_factor=0,
              historical_oracle_data=NS(last_oracle_price_twap5min=PRICE, last_oracle_price_twap=PRICE,
                                        last_oracle_price=PRICE, last_oracle_conf=0, last_oracle_delay=0,
                                        last_oracle_price_twap_ts=0),
              status=MarketStatus.Active(), asset_tier=None, scale_initial_asset_weight_start=0,
              deposit_balance=0, borrow_balance=0, max_token_deposits=0)


def perp_market(i, mmr):
    return NS(market_index=i, status=MarketStatus.Active(), contract_type=ContractType.Perpetual(),
              margin_ratio_initial=mmr, margin_ratio_maintenance=mmr,
              high_leverage_margin_ratio_initial=0, high_leverage_margin_ratio_maintenance=0,
              imf_factor=0, unrealized_pnl_imf_factor=0, unrealized_pnl_initial_asset_weight=MARGIN,
              unrealized_pnl_maintenance_asset_weight=MARGIN, unrealized_pnl_max_imbalance=0,
              quote_spot_market_index=0, expiry_price=0,
              amm=NS(oracle=f"perp-oracle-{i}", order_step_size=1, cumulative_funding_rate_long=0,
                     cumulative_funding_rate_short=0))


def perp_position(i, base, quote):
    return NS(market_index=i, base_asset_amount=base, quote_asset_amount=quote, quote_entry_amount=quote,
              quote_break_even_amount=quote, last_cumulative_funding_rate=0, open_orders=0, open_bids=0,
              open_asks=0, lp_shares=0, settled_pnl=0, per_lp_base=0, remainder_base_asset_amount=0,
              last_base_asset_amount_per_lp=0, last_quote_asset_amount_per_lp=0, max_margin_ratio=0,
              isolated_position_scaled_balance=0, position_flag=0)


def build(sc, report):
    """The Drift structs of a SPEC scenario, or Outside."""
    markets = sc.get("markets") or {}
    acct = sc["account"]
    positions = acct.get("positions") or []
    if not positions:
        raise Outside("no positions")
    names = sorted({p["market"] for p in positions})
    index = {n: k for k, n in enumerate(names)}
    perps, prices = {}, {}
    for n in names:
        m = markets[n]
        if (m.get("mmBasis") or "mark") != "mark":
            raise Outside("entry basis")
        tiers = m.get("tiers") or []
        if len(tiers) != 1 or pk.exact(tiers[0].get("maintenanceAmount") or "0") != 0:
            raise Outside("Drift has one margin ratio per market (one tier, no maintenance amount)")
        k = index[n]
        perps[k] = perp_market(k, on_grid(pk.exact(tiers[0]["maintenanceMarginRate"]), MARGIN, "MMR"))
        prices[k] = on_grid(pk.exact(report["prices"][n]["mark"]), PRICE, "mark")
    perp_positions = []
    for p in positions:
        if p["marginMode"] != "cross":
            raise Outside("isolated position")
        Q = pk.exact(p["size"])
        EP = pk.exact(p["entryPrice"]) if p.get("entryPrice") is not None and pk.exact(p["entryPrice"]) != 0 \
            else pk.exact(p["entryValue"]) / Q
        s = 1 if p["side"] == "long" else -1
        perp_positions.append(perp_position(index[p["market"]], s * on_grid(Q, BASE, "size"),
                                            -s * on_grid(Q * EP, QUOTE, "entry value Q*EP")))
    W = pk.exact(acct["walletBalance"])
    if W < 0:
        raise Outside("negative wallet (a USDC borrow: not modelled)")
    usdc = usdc_market()
    # token amount = scaled_balance * cumulative_deposit_interest / 10^(19 - decimals)
    spot = [NS(market_index=0, scaled_balance=on_grid(W, QUOTE, "wallet") * 10**3,
               balance_type=SpotBalanceType.Deposit(), open_orders=0, open_bids=0, open_asks=0,
               cumulative_deposits=0)]
    user = NS(perp_positions=perp_positions, spot_positions=spot, max_margin_ratio=0,
              status=0, is_margin_trading_enabled=True, margin_mode=None, pool_id=0)
    u = DriftUser.__new__(DriftUser)
    u.drift_client = Client(perps, prices, usdc)
    u.account_subscriber = NS(get_user_account_and_slot=lambda: NS(data=user, slot=0))
    return u, index


def overlay(sc, report):
    try:
        u, index = build(sc, report)
    except Outside as e:
        if STRICT:
            raise pk.NotSupported(f"driftpy: {e}")
        pk.count("frame", len(report["positions"]))
        return
    pk.count("engine", len(report["positions"]))
    M = MarginCategory.MAINTENANCE
    positions = sc["account"].get("positions") or []
    for p, rep in zip(positions, report["positions"]):
        k = index[p["market"]]
        pos = u.get_user_account().perp_positions[positions.index(p)]
        rep["notional"] = pk.fmt(Fraction(abs(pos.base_asset_amount) * u.drift_client.prices[k] // BASE, QUOTE))
        rep["unrealizedPnl"] = pk.fmt(q(u.get_unrealized_pnl(True, k)))
        rep["maintenanceMargin"] = pk.fmt(q(u.calculate_weighted_perp_position_value(pos, M)))
        # Drift's price is on its 1e-6 price grid: only the tick price is Drift's; the 1e-8
        # liquidationPriceExact stays the frame's and is declared not computed (outputs).
        liq = u.get_perp_liq_price(k)
        if liq == -1:  # driftpy's "none": a long whose price would be negative
            fields = {"liquidationPrice": None, "liquidationPriceExact": None,
                      "liquidationPriceReason": "never-liquidatable" if p["side"] == "long" else "always-liquidatable"}
        else:
            fields = pk.liq_fields(p["side"], pk.exact(liq) / PRICE, sc["markets"][p["market"]]["tickSize"])
            if fields.get("liquidationPrice") is not None and rep.get("liquidationPriceExact") is not None:
                fields["liquidationPriceExact"] = rep["liquidationPriceExact"]
        pk.set_liq(rep, fields)
    for pool in report["pools"]:
        if pool["pool"] == "cross":
            pool["equity"] = pk.fmt(q(u.get_total_collateral(M)))
            pool["maintenanceMargin"] = pk.fmt(q(u.get_margin_requirement(M)))
            pool["liquidatable"] = u.can_be_liquidated()


if __name__ == "__main__":
    sys.exit(pk.Adapter("driftpy", version("driftpy"), [], overlay,
                        grid={"size": "0.00000001", "price": "0.000001", "quote": "0.000001"},
                        outputs=pk.outputs(["notional", "unrealizedPnl", "maintenanceMargin", "liquidationPrice",
                                            "equity", "liquidatable"])).serve())
