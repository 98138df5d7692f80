"""Scanner utilisation on the truth network: never above 100%, and used time splits exactly
into time inside the slot book and time outside it (issue #20)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def test_utilisation_never_passes_100_and_used_time_splits(built) -> None:
    got = built("scanner_utilisation_daily")
    with_book = got[got["available_minutes"] > 0]
    assert len(with_book) >= 20 and with_book["used_in_slots_minutes"].gt(0).any()
    assert with_book["utilisation_pct"].le(100).all()
    assert got.loc[got["available_minutes"] == 0, "utilisation_pct"].isna().all()
    assert (
        got["used_in_slots_minutes"] + got["used_outside_slots_minutes"] == got["used_minutes"]
    ).all()
    assert got["used_outside_slots_minutes"].ge(0).all()
    assert (got["used_in_slots_minutes"] <= got["available_minutes"]).all()
    # rooms without an appointment book (acute and ED) scan outside any slot
    no_book = got.groupby(["site_code", "room"])["available_minutes"].sum() == 0
    assert no_book.any()
    acute = got.set_index(["site_code", "room"]).loc[no_book[no_book].index]
    assert acute["used_minutes"].sum() > 0 and acute["used_in_slots_minutes"].eq(0).all()
