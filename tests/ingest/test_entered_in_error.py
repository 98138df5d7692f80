"""A wide feed (wide CSV, Excel) tells a request withdrawn as entered in error by its status word;
the time of the withdrawal is in its cancelled column. The reader lands that time as the event
entered_in_error (as an HL7 cancel with ORC-16 EIE lands, test_hl7_parsing), and an ordinary
cancellation stays cancelled."""

from __future__ import annotations

from pathlib import Path

from ingest.readers import read_file

HEADER = (
    "Accession Number,Exam Code,Exam Name,Modality,Site,Room,Priority,Patient Type,"
    "Activity Category,Referrer,Referring Org,GP Practice,NHS Number,NHS No Status,DOB,Sex,"
    "Postcode,Ethnicity,Clock Start,Exam Status,Requested,Request Received,Vetted,Booked,"
    "Appointment,Arrived,Exam Started,Exam Completed,Prelim Reported,Prelim Reporter,"
    "Verified,Verifying Reporter,Outsourced,Cancelled,DNA,Addendum"
)


def _row(accession: str, status: str, cancelled: str) -> str:
    return (
        f"{accession},xches,Chest X-ray,CR,TWC01,,R,,WL,,,,943 476 5919,,1970-01-02,F,,,,"
        f"{status},2024-10-20 09:00:00,,,,,,,,,,,,,{cancelled},,"
    )


def test_wide_status_word_for_entered_in_error_lands_the_withdrawal_event(specs) -> None:
    spec = specs["TWC"]
    status_words = {**spec.value_maps["status"], "ERR": "entered_in_error"}
    spec = spec.model_copy(update={"value_maps": {**spec.value_maps, "status": status_words}})
    text = (
        "\n".join(
            [
                HEADER,
                _row("W1", "ERR", "2024-10-27 11:00:00"),
                _row("W2", "CAN", "2024-10-27 12:00:00"),
                _row("W3", "REQ", ""),
            ]
        )
        + "\n"
    )
    res = read_file(
        Path("TWC_EXAMS_20241028_0200.csv"),
        spec,
        data=text.encode(),
        file_path="TWC_EXAMS_20241028_0200.csv",
    )
    assert res.rejected.empty
    events = {(r.accession, r.event) for r in res.exam_events.itertuples()}
    assert events == {
        ("W1", "requested"),
        ("W1", "entered_in_error"),
        ("W2", "requested"),
        ("W2", "cancelled"),
        ("W3", "requested"),
    }
    statuses = dict(zip(res.exam_records["accession"], res.exam_records["status"], strict=True))
    assert statuses == {"W1": "entered_in_error", "W2": "cancelled", "W3": "requested"}
    assert not res.exam_records["dq_flags"].fillna("").str.contains("unmapped_value").any()
