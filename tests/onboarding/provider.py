"""A new provider to onboard, as a user would meet it: a community diagnostic centre (NCDC1).

It sends what the synthetic network never does: an event log, semicolon-separated, Windows
cp1252 (its words carry an en dash), dates as dd.mm.yyyy, its own procedure codes and local
words, a full snapshot every night, and the extract time in a column of every row (the file
name holds only the date). Its feed spec and seed rows are those docs/onboarding.md walks
through; its files are written here, from a truth the test owns, never by the generator.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

TRUST = "NCDC1"
SITES = ("NCDC1A", "NCDC1B")
FILE_PREFIX = "NCDC1_RIS_"
DATETIME_FORMAT = "%d.%m.%Y %H:%M:%S"
DATE_FORMAT = "%d.%m.%Y"
SNAPSHOT_DAYS = 90

# The finished spec (docs/onboarding.md, "The feed spec"): what `wmin feeds init` drafts plus
# the value maps and the extract time column a person fills in from the trust's answers.
SPEC_YAML = """\
# Black Country Community Diagnostic Centre: event log from its RIS, ';'-separated, cp1252,
# a full snapshot every night; the file name holds the date, every row the extract time.
trust_code: NCDC1
family: event_csv
mode: snapshot
snapshot_days: 90
delivery_every_days: 1
files:
  exams: NCDC1_RIS_*.csv
extract_time:
  pattern: _(\\d{8})\\.csv$
  format: '%Y%m%d'
  column: Extract Time
  column_format: '%d.%m.%Y %H:%M:%S'
encoding: cp1252
delimiter: ';'
timezone: Europe/London
date_format: '%d.%m.%Y'
datetime_format: '%d.%m.%Y %H:%M:%S'
procedure_code_system: local
columns:
  accession: Accession No
  procedure_code: Exam Code
  procedure_name: Exam Name
  modality: Modality
  site_code: Site
  room: Room
  priority: Priority
  patient_source_setting: Patient Type
  activity_category: Category
  referrer_code: Referrer
  referring_org_code: Referring Org
  gp_practice_code: GP Practice
  nhs_number: NHS Number
  nhs_number_status: NHS No Status
  birth_date: Date of Birth
  sex: Gender
  postcode: Postcode
  ethnicity: Ethnic Group
  clock_start_date: Clock Start
  event_id: Audit Ref
  event: Action
  event_at: Action Time
  appointment_at: Appointment
  actor_id: Staff Code
  actor_outsourced: Teleradiology
value_maps:
  priority:
    A&E: ed
    Inpatient: inpatient
    2WW – Suspected Cancer: suspected_cancer
    Urgent: urgent
    Routine: routine
    Planned – Surveillance: planned
  patient_source_setting:
    Inpatient: '01'
    Day Case: '02'
    Outpatient: '03'
    GP Direct Access: '04'
    A&E: '05'
    Other Provider: '06'
    Other: '07'
  activity_category:
    Waiting List: waiting_list
    Planned: planned
    Unscheduled: unscheduled
  sex:
    Not Known: '0'
    Male: '1'
    Female: '2'
    Not Specified: '9'
  modality:
    X-Ray: XR
    Ultrasound: US
    CT: CT
    MRI: MR
    Fluoroscopy: FL
    Nuclear Medicine: NM
    PET-CT: PET
    Mammography: MG
    DEXA: DEXA
    Interventional: IR
  event:
    Referral Logged: requested
    Referral Accepted: request_received
    Protocolled: vetted
    Appointment Made: booked
    Checked In: arrived
    Scan Started: exam_started
    Scan Completed: exam_completed
    Preliminary Report: reported_prelim
    Report Authorised: report_verified
    Cancelled: cancelled
    Did Not Attend: did_not_attend
    Addendum: addendum
    Entered In Error: entered_in_error
  actor_outsourced:
    'Yes': 'true'
    'No': 'false'
"""

TRUST_ROW = {
    "trust_code": TRUST, "trust_name": "Black Country Community Diagnostic Centre",
    "icb_name": "Black Country", "trust_type": "community_diagnostic_centre",
    "membership_confirmed": "false", "latitude": "52.4810", "longitude": "-2.1220",
}  # fmt: skip
SITE_ROWS = [
    {"site_code": "NCDC1A", "trust_code": TRUST, "site_name": "Brierley Hill Health Centre CDC",
     "is_synthetic_code": "false", "latitude": "52.4810", "longitude": "-2.1220",
     "postcode_district": "DY5"},
    {"site_code": "NCDC1B", "trust_code": TRUST, "site_name": "Walsall Manor CDC unit",
     "is_synthetic_code": "false", "latitude": "52.5850", "longitude": "-1.9980",
     "postcode_district": "WS2"},
]  # fmt: skip


def local_code(nicip_code: str) -> str:
    """The centre's own procedure code: 'CDC/' + the NICIP code reversed (never a NICIP code)."""
    return f"CDC/{nicip_code[::-1]}"


def local_code_rows(seeds_dir: Path) -> list[dict[str, str]]:
    procedures = pd.read_csv(seeds_dir / "procedures.csv", dtype=str, keep_default_na=False)
    return [
        {"trust_code": TRUST, "local_code": local_code(n), "nicip_code": n}
        for n in procedures["nicip_code"]
    ]


def _append(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        columns = next(csv.reader(f))
    with path.open("a", encoding="utf-8", newline="") as f:
        csv.DictWriter(f, fieldnames=columns, lineterminator="\n").writerows(rows)


def seeds_with_provider(seeds_dir: Path, into: Path) -> Path:
    """A copy of the seeds folder with the centre's rows added, as the guide says."""
    shutil.copytree(seeds_dir, into, ignore=shutil.ignore_patterns("scripts", "__pycache__"))
    _append(into / "trusts.csv", [TRUST_ROW])
    _append(into / "sites.csv", SITE_ROWS)
    _append(into / "local_procedure_codes.csv", local_code_rows(seeds_dir))
    return into


# --- the centre's truth and deliveries -------------------------------------------------------


def _words(spec_maps: dict, field: str) -> dict[str, str]:
    """canonical -> local word, from the spec's map (the centre writes what the map reads)."""
    return {v: k for k, v in spec_maps[field].items()}


def as_provider(exams: pd.DataFrame, events: pd.DataFrame, source_trust: str
                ) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """A simulated trust's truth relabelled as the centre's: trust, sites, accessions, codes."""
    exams = exams[exams["trust_code"].astype(str) == source_trust].copy()
    events = events[events["trust_code"].astype(str) == source_trust].copy()
    for df in (exams, events):
        for c in df.columns:
            if isinstance(df[c].dtype, pd.CategoricalDtype) or df[c].dtype == "string":
                df[c] = df[c].astype(object).where(df[c].notna(), None)
        df["trust_code"] = TRUST
        df["accession"] = "C" + df["accession"].str.slice(len(source_trust))
    events["event_id"] = "C" + events["event_id"].str.slice(len(source_trust))
    own_sites = sorted(exams["site_code"].unique())
    exams["site_code"] = exams["site_code"].map(
        {s: SITES[i % len(SITES)] for i, s in enumerate(own_sites)}
    )
    exams["local_procedure_code"] = exams["nicip_code"].map(local_code)
    return exams.reset_index(drop=True), events.reset_index(drop=True)


def _text_dt(s: pd.Series) -> pd.Series:
    return s.dt.tz_convert("Europe/London").dt.strftime(DATETIME_FORMAT).fillna("")


def write_deliveries(exams: pd.DataFrame, events: pd.DataFrame, procedure_names: dict[str, str],
                     spec_maps: dict, landing: Path, first_night: date, last_night: date,
                     extract_time: str = "01:30:00", withdrawn: dict[str, date] | None = None,
                     ) -> list[Path]:  # fmt: skip
    """One file a night: every exam with activity in the last SNAPSHOT_DAYS days (all of its
    events known by the extract), the night's extract time in every row. `withdrawn`: event
    id -> the first night the RIS no longer has the event (left out from then on)."""
    folder = landing / TRUST
    folder.mkdir(parents=True, exist_ok=True)
    ex = exams.set_index("accession")
    rows = events.join(ex.drop(columns=["trust_code"]), on="accession")
    out = pd.DataFrame({
        "Audit Ref": rows["event_id"],
        "Accession No": rows["accession"],
        "Action": rows["event"].map(_words(spec_maps, "event")),
        "Action Time": _text_dt(rows["event_at"]),
        "Appointment": _text_dt(rows["appointment_at"]),
        "Staff Code": rows["actor_id"].fillna(""),
        "Teleradiology": rows["actor_outsourced"].map({True: "Yes", False: "No"}).fillna(""),
        "Exam Code": rows["local_procedure_code"],
        "Exam Name": rows["nicip_code"].map(procedure_names),
        "Modality": rows["modality"].map(_words(spec_maps, "modality")),
        "Site": rows["site_code"], "Room": rows["room"].fillna(""),
        "Priority": rows["priority"].map(_words(spec_maps, "priority")),
        "Patient Type": rows["patient_source_setting"].map(_words(spec_maps, "patient_source_setting")),
        "Category": rows["activity_category"].map(_words(spec_maps, "activity_category")),
        "Referrer": rows["referrer_code"].fillna(""),
        "Referring Org": rows["referring_org_code"].fillna(""),
        "GP Practice": rows["gp_practice_code"].fillna(""),
        "NHS Number": rows["nhs_number"].fillna(""),
        "NHS No Status": rows["nhs_number_status"].fillna(""),
        "Date of Birth": pd.to_datetime(rows["birth_date"]).dt.strftime(DATE_FORMAT).fillna(""),
        "Gender": rows["sex"].map(_words(spec_maps, "sex")).fillna(""),
        "Postcode": rows["postcode"].fillna(""),
        "Ethnic Group": rows["ethnicity"].fillna(""),
        "Clock Start": pd.to_datetime(rows["clock_start_date"]).dt.strftime(DATE_FORMAT).fillna(""),
    })  # fmt: skip
    at = rows["event_at"]
    written = []
    night = first_night
    while night <= last_night:
        cutoff = pd.Timestamp(night).tz_localize("Europe/London")
        known = at < cutoff
        window = known & (at >= cutoff - pd.Timedelta(days=SNAPSHOT_DAYS))
        active = set(rows.loc[window, "accession"])
        take = known & rows["accession"].isin(active)
        if night == first_night:
            take = known  # the first delivery is the whole history
        gone = [e for e, since in (withdrawn or {}).items() if since <= night]
        take &= ~rows["event_id"].isin(gone)
        stamp = f"{night:%d.%m.%Y} {extract_time}"
        part = out[take].assign(**{"Extract Time": stamp})
        path = folder / f"{FILE_PREFIX}{night:%Y%m%d}.csv"
        part.to_csv(path, sep=";", index=False, encoding="cp1252", lineterminator="\r\n")
        written.append(path)
        night += timedelta(days=1)
    return written


def a_report_to_withdraw(exams: pd.DataFrame, events: pd.DataFrame, after: date, before: date
                         ) -> tuple[str, str, str]:  # fmt: skip
    """(accession, event id, status without it) of an exam whose last event is its verified
    report, made between the dates: the report the RIS will withdraw in a later snapshot."""
    from ingest.synth.deliveries import STATUS_OF_EVENT

    ev = events.sort_values(["accession", "event_at", "event_id"], kind="stable")
    last = ev.groupby("accession").tail(1)
    day = last["event_at"].dt.tz_convert("Europe/London").dt.date
    pick = last[(last["event"] == "report_verified") & (day > after) & (day < before)]
    pick = pick[~pick["accession"].isin(ev.loc[ev["event"] == "addendum", "accession"])]
    row = pick.sort_values("accession").iloc[0]
    before_report = ev[(ev["accession"] == row["accession"]) & (ev["event_id"] != row["event_id"])]
    return row["accession"], row["event_id"], STATUS_OF_EVENT[before_report["event"].iloc[-1]]
