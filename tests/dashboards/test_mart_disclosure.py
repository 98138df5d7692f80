"""Each mart's disclosure rule on the published fixture's edge rows."""

from reporting.disclosure import MARK, count, suppress_mart


def test_tat_rule_on_fixture_edge_rows(analytics_db) -> None:
    import duckdb

    from tests.fixtures.published import EDGE_CASES

    with duckdb.connect(str(analytics_db), read_only=True) as con:
        df = con.execute("select * from tat_monthly where trust_code = 'RRJ' and modality = 'MR' "
                         "and month = (select max(month) from tat_monthly)").df()
    out = suppress_mart("tat_monthly", df).set_index("priority")
    for (_, _, _, priority), n in EDGE_CASES.items():
        assert out.at[priority, "exams_tested"] == count(n)
        if 1 <= n <= 7:
            assert out.at[priority, "request_to_test_median_days"] == MARK
            assert out.at[priority, "reported_within_target_pct"] == MARK

