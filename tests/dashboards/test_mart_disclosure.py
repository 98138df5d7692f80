"""Each mart's disclosure rule on the published fixture's edge rows."""

from reporting.disclosure import MARK, count, suppress_mart


def test_tat_rule_on_fixture_edge_rows(analytics_db) -> None:
    import duckdb

    from tests.fixtures.published import EDGE_CASES

    with duckdb.connect(str(analytics_db), read_only=True) as con:
        df = con.execute(
            "select * from tat_monthly where trust_code = 'RRJ' and modality = 'MR' "
            "and month = (select max(month) from tat_monthly)"
        ).df()
    out = suppress_mart("tat_monthly", df).set_index("priority")
    for (_, _, _, priority), n in EDGE_CASES.items():
        assert out.at[priority, "exams_tested"] == count(n)
        if 1 <= n <= 7:
            assert out.at[priority, "request_to_test_median_days"] == MARK
            assert out.at[priority, "reported_within_target_pct"] == MARK


def test_tat_target_counts_are_protected_like_every_count(analytics_db) -> None:
    """The counts behind % within target are counts of exams: an app table must not show 1-7."""
    import duckdb

    with duckdb.connect(str(analytics_db), read_only=True) as con:
        df = con.execute(
            "select * from tat_monthly where trust_code <> 'NETWORK' "
            "and within_target_denominator between 1 and 7"
        ).df()
    assert not df.empty
    out = suppress_mart("tat_monthly", df)
    assert (out["within_target_denominator"] == MARK).all()
    small = df["reported_within_target"].between(1, 7)
    assert (out.loc[small, "reported_within_target"] == MARK).all()
