"""Must-show: on the synthetic network, landing holds the truth and exactly the injected defects.

Generate ten days of the 15-trust network at 1% scale with the default defects, ingest every
delivery, then check:
(a) after "latest delivery wins" per key (the rule of dbt staging: newest extract, then the later
    file, then the later line), every true exam and event is in landing with identical values;
(b) rejected_rows and quarantined_files are exactly the structural defects the generator logged;
(c) semantic defects are loaded and carry their flag.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from ingest.feeds.spec import load_all_specs
from ingest.loader import ingest_landing
from ingest.synth.generate import generate_network
from ingest.synth.network import SYNTHETIC_FEEDS_DIR, default_seeds_dir

pytestmark = pytest.mark.slow

START, END = date(2024, 3, 20), date(2024, 3, 29)  # the file-level defects all fall in it
EXAM_FIELDS = (
    "site_code",
    "room",
    "modality",
    "priority",
    "patient_source_setting",
    "activity_category",
    "referrer_code",
    "referring_org_code",
    "gp_practice_code",
    "nhs_number",
    "nhs_number_status",
    "birth_date",
    "sex",
    "postcode",
    "ethnicity",
    "clock_start_date",
    "status",
)
EVENT_FIELDS = ("event", "event_at", "appointment_at", "actor_id", "actor_outsourced")
LATEST = (
    "row_number() over (partition by trust_code, {key} order by extract_at desc, file_id desc, "
    "source_line desc) = 1"
)


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    home = tmp_path_factory.mktemp("truth_network")
    generate_network(home, START, END, scale=0.01, seed=7)
    db = home / "restricted.duckdb"
    ingest_landing(
        db, home, load_all_specs(SYNTHETIC_FEEDS_DIR), b"k" * 32, seeds_dir=default_seeds_dir()
    )
    con = duckdb.connect(str(db), read_only=True)
    yield home, con
    con.close()


def _truth(home, name: str) -> pd.DataFrame:
    return pd.read_parquet(home / "truth" / f"{name}.parquet")


def _norm(s: pd.Series) -> pd.Series:
    """One spelling per value for comparison: text, NULL as None, times in UTC."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.strftime("%Y-%m-%d %H:%M:%S")
    elif pd.api.types.is_datetime64_any_dtype(s):
        s = s.dt.strftime("%Y-%m-%d")
    out = s.astype(object).where(s.notna(), None)
    return out.map(
        lambda v: None if v is None else str(v).lower() if isinstance(v, bool) else str(v)
    )


def _sends_minutes(spec) -> bool:
    """Times as text without seconds: CSV feeds, and Excel feeds declaring a text format (an
    Excel feed without one sends datetime cells; HL7 timestamps carry seconds)."""
    text = spec.family in ("wide_csv", "event_csv") or (
        spec.family == "excel" and "datetime_format" in spec.model_fields_set
    )
    return text and "%S" not in spec.datetime_format


def _mismatches(
    truth: pd.DataFrame, landing: pd.DataFrame, key: list[str], fields, sent_by=("trust_code",)
) -> dict:
    """field -> a few differing rows, for the fields the feed sends (per `sent_by` group)."""
    sent = landing.groupby(list(sent_by))[list(fields)].agg(lambda c: c.notna().any())
    m = truth.merge(landing, on=key, how="left", suffixes=("_truth", ""), indicator=True)
    out = {}
    missing = m[m["_merge"] == "left_only"]
    if len(missing):
        out["missing from landing"] = missing[key].head(5).to_dict("records")
    m = m[m["_merge"] == "both"]
    group = pd.MultiIndex.from_frame(m[list(sent_by)]) if len(sent_by) > 1 else m[sent_by[0]]
    for f in fields:
        compared = pd.Series(
            sent[f].reindex(group).fillna(False).to_numpy(dtype=bool), index=m.index
        )
        a, b = _norm(m[f + "_truth"]), _norm(m[f])
        diff = compared & (a.fillna("<null>") != b.fillna("<null>"))
        if diff.any():
            out[f] = m.loc[diff, key + [f + "_truth", f]].head(5).to_dict("records")
    return out


def test_every_true_exam_is_in_landing_with_identical_values(network):
    home, con = network
    landing = con.sql(
        f"select * from landing.exam_records qualify {LATEST.format(key='accession')}"
    ).df()
    landing["local_procedure_code"] = landing["local_procedure_code"].str.upper()
    truth = _truth(home, "exams")
    truth["local_procedure_code"] = truth["local_procedure_code"].str.upper()
    assert (
        _mismatches(
            truth, landing, ["trust_code", "accession"], EXAM_FIELDS + ("local_procedure_code",)
        )
        == {}
    )


def test_every_true_event_is_in_landing_with_identical_values(network):
    home, con = network
    # a wide family lands no event id: its key is accession:event, as staging derives it
    keyed = (
        "(select * replace (coalesce(source_event_id, accession || ':' || event) as "
        "source_event_id) from landing.exam_events)"
    )
    landing = con.sql(f"select * from {keyed} qualify {LATEST.format(key='source_event_id')}").df()
    truth = _truth(home, "events")
    # a report the RIS took back is in landing only if a delivery came between the two (what
    # the warehouse then does with it: tests/truth)
    truth = truth[truth["withdrawn_at"].isna()].copy()
    truth["event"] = truth["event"].astype(str)
    specs = load_all_specs(SYNTHETIC_FEEDS_DIR)
    wide = truth["trust_code"].map(lambda c: specs[c].family in ("wide_csv", "excel")).astype(bool)
    # a wide row carries one time per event type (the latest: a rebooking overwrites the booking)
    truth["source_event_id"] = truth["event_id"].where(
        ~wide, truth["accession"].astype(str) + ":" + truth["event"]
    )
    truth = truth.sort_values("event_at").drop_duplicates(
        ["trust_code", "source_event_id"], keep="last"
    )
    minutes = truth["trust_code"].map(lambda c: _sends_minutes(specs[c])).astype(bool)
    for c in ("event_at", "appointment_at"):
        truth[c] = truth[c].where(~minutes, truth[c].dt.floor("min"))
    # actors are compared where the feed sends them for that event type
    assert (
        _mismatches(
            truth,
            landing,
            ["trust_code", "source_event_id"],
            EVENT_FIELDS,
            sent_by=("trust_code", "event"),
        )
        == {}
    )


def _expected(defects: pd.DataFrame, kind: str) -> set[tuple[str, int | None, str]]:
    d = defects[defects["expected_outcome"].str.startswith(kind + ":")]
    return {
        (r.file, None if pd.isna(r.line) else int(r.line), r.expected_outcome.split(":", 1)[1])
        for r in d.itertuples()
    }


def test_structural_defects_rejected_or_quarantined_and_nothing_else(network):
    home, con = network
    defects = _truth(home, "defects")
    rejected = {
        (f, int(line), reason)
        for f, line, reason in con.sql(
            "select file_path, line, reason_code from landing.rejected_rows"
        ).fetchall()
    }
    assert rejected == _expected(defects, "rejected")
    quarantined = {
        (f, None, reason)
        for f, reason in con.sql(
            "select file_path, reason_code from landing.quarantined_files"
        ).fetchall()
    }
    assert quarantined == _expected(defects, "quarantined")
    assert "truncated_file" in {r for _, _, r in quarantined}


def test_semantic_defects_loaded_and_flagged(network):
    home, con = network
    defects = _truth(home, "defects")
    flagged = defects[defects["expected_outcome"].str.startswith("loaded_flagged:")]
    assert len(flagged)
    rows = con.sql("""
        select m.file_path, r.source_line as line, r.dq_flags from landing.exam_records r
        join landing.load_manifest m using (file_id)
        union all
        select m.file_path, e.source_line, e.dq_flags from landing.exam_events e
        join landing.load_manifest m using (file_id)
        union all
        select m.file_path, s.source_line, null from landing.capacity_slots s
        join landing.load_manifest m using (file_id)""").df()
    records = con.sql(
        "select m.file_path, r.accession, r.dq_flags from landing.exam_records r "
        "join landing.load_manifest m using (file_id)"
    ).df()
    slot_files = {
        f
        for (f,) in con.sql(
            "select file_path from landing.load_manifest where content = 'slots'"
        ).fetchall()
    }
    missing = []
    for d in flagged.itertuples():
        flag = d.expected_outcome.split(":", 1)[1]
        at = rows[(rows["file_path"] == d.file) & (rows["line"] == int(d.line))]
        if flag != "duplicate_row":  # an exam-level flag sits on the exam's record of that file
            at = records[(records["file_path"] == d.file) & (records["accession"] == d.accession)]
        if d.file in slot_files:  # capacity_slots has no dq_flags column: loaded is what shows
            ok = len(at) == 1
        else:
            ok = (
                at["dq_flags"].fillna("").str.split(",").map(lambda fl, flag=flag: flag in fl).any()
            )
        if not ok:
            missing.append((d.defect_id, d.file, int(d.line), flag, at["dq_flags"].tolist()))
    assert missing == []
