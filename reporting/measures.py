"""The measures people judge month by month: their names, units, which way is better, the
bounds their SPC limits are clipped to and how many days after a month's end they mature.

The app's SPC charts and the board pack's summary read these, so a measure is defined once."""

from __future__ import annotations

from dataclasses import dataclass

from reporting.spc import Improvement

DAYS_28 = 28  # the national 28-day reporting limit: a measure of breaches matures 28 days on


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    unit: str
    improvement: Improvement
    floor: float | None = 0.0
    ceiling: float | None = None
    maturity_days: int = 0
    target: float | None = None
    target_label: str | None = None


def percentage(
    key: str,
    label: str,
    improvement: Improvement,
    maturity_days: int = 0,
    target: float | None = None,
    target_label: str | None = None,
) -> Measure:
    return Measure(key, label, "%", improvement, 0.0, 100.0, maturity_days, target, target_label)


EXAMS_TESTED = Measure("exams_tested", "Exams tested", "exams", None)
EXAMS_PER_WORKING_DAY = Measure(
    "exams_per_working_day", "Exams tested per working day", "exams", None
)
REQUEST_TO_TEST_MEDIAN_DAYS = Measure(
    "request_to_test_median_days", "Median request to test", "days", "down"
)
TEST_TO_REPORT_MEDIAN_HOURS = Measure(
    "test_to_report_median_hours", "Median test to report", "hours", "down", maturity_days=DAYS_28
)
TEST_TO_REPORT_P90_HOURS = Measure(
    "test_to_report_p90_hours_with_unreported",
    "90th centile test to report",  # unreported exams at their age
    "hours",
    "down",
    maturity_days=DAYS_28,
)
REPORTED_WITHIN_TARGET_PCT = percentage(
    "reported_within_target_pct", "% reported within target", "up", DAYS_28
)
REPORTED_OVER_28_DAYS_PCT = percentage(
    "pct_reported_over_28_days", "% reported over 28 days after test", "down", DAYS_28
)
DM01_WAITING = Measure("total_waiting", "DM01 patients waiting at census", "patients", "down")
DM01_WAITING_6_WEEKS_PCT = percentage(
    "pct_waiting_6_plus_weeks",
    "DM01 % waiting 6+ weeks",
    "down",
    target=1.0,
    target_label="DM01 standard: under 1% wait 6+ weeks",
)
BACKLOG_OVER_28_DAYS = Measure(
    "age_over_28_days", "Unreported over 28 days after test", "exams", "down"
)

MEASURES = {
    m.key: m
    for m in (
        EXAMS_TESTED,
        EXAMS_PER_WORKING_DAY,
        REQUEST_TO_TEST_MEDIAN_DAYS,
        TEST_TO_REPORT_MEDIAN_HOURS,
        TEST_TO_REPORT_P90_HOURS,
        REPORTED_WITHIN_TARGET_PCT,
        REPORTED_OVER_28_DAYS_PCT,
        DM01_WAITING,
        DM01_WAITING_6_WEEKS_PCT,
        BACKLOG_OVER_28_DAYS,
    )
}
