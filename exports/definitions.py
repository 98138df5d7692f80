"""Definitions printed on the board pack's last page, drawn from docs/metrics.md.

docs/metrics.md (the project's description of the published marts) is the source; the text is embedded
here so the pack does not depend on a file outside the package at run time. When docs/metrics.md
changes, update this text and `METRICS_VERSION_NOTE`. Plain ASCII on purpose (the PDF uses the
core fonts).
"""

from __future__ import annotations

from reporting.spc import BASELINE_POINTS, E2

SOURCE = "docs/metrics.md (the metric definitions shipped with the warehouse) - embedded in exports/definitions.py"
METRICS_VERSION_NOTE = (
    "Text taken from docs/metrics.md as published with the marts of this release."
)

DEFINITIONS: list[tuple[str, str]] = [
    ("Local time", ("Europe/London. A 'date' is the local calendar date of a timestamp.")),
    (
        "Test time and test date",
        (
            "Test time = exam started, else exam completed; test date = its "
            "local date. An exam's month is the month of its test date."
        ),
    ),
    (
        "Request and received dates",
        (
            "Request date = local date of the request; received date = "
            "local date of the request being received, else the request date."
        ),
    ),
    ("Report time", ("The first verified report (addenda never reset it).")),
    ("Clock start date", ("The waiting-list clock start the feed sends, else the request date.")),
    (
        "Request to test (days)",
        ("Test date - request date, in whole calendar days between local dates."),
    ),
    (
        "Test to report (days / hours)",
        ("Local report date - test date (days); report time - test time in exact elapsed hours."),
    ),
    (
        "Medians and 90th percentiles",
        (
            "Continuous (linear interpolation, DuckDB quantile_cont). "
            "An interval is computed only when both ends exist and are in order; exams with ends out of "
            "order are flagged in data quality and left out (never counted as zero)."
        ),
    ),
    (
        "90th percentile test to report",
        (
            "Of the exams tested in the month (not cancelled), the "
            "hours from test to verified report, an exam still unreported counting at its age at the "
            "as-of time, so a growing backlog shows; the board's turnaround measure."
        ),
    ),
    ("NETWORK rows", ("Network totals are computed from exams, not by averaging trusts.")),
    (
        "Reporting targets",
        (
            "Hours by priority from the published dim_reporting_target (seed "
            "reporting_targets); the pack prints the values it read under 'How to read this pack'."
        ),
    ),
    (
        "Exams tested / reported (TAT)",
        (
            "Exams tested in the month; reported figures count exams "
            "tested in the month whose report exists at build time."
        ),
    ),
    (
        "Reported within target %",
        (
            "100 x exams reported within their priority's target hours / "
            "exams tested in the month, leaving out of the denominator only exams still unreported and "
            "still inside their target window at the as-of time."
        ),
    ),
    (
        "Reported over 28 days",
        (
            "Exams of the month reported more than 28 days after the test, plus "
            "those still unreported more than 28 days after it at the as-of time (national 4-week rule)."
        ),
    ),
    (
        "DID activity",
        (
            "Exams tested by month, trust, modality and patient source setting (01 "
            "admitted inpatient, 02 day case, 03 outpatient, 04 GP direct access, 05 A&E, 06 other "
            "health care provider, 07 other), with median request-to-test and test-to-report days."
        ),
    ),
    (
        "DM01 waiting list census",
        (
            "Census date = last day of each month (the latest as-of date for "
            "the current month). On the list at census date C: activity category waiting_list, a DM01 "
            "test, clock start on or before C, no test date on or before C, not cancelled on or before C "
            "(a DNA does not remove a patient). A request withdrawn as entered in error is on no list, "
            "past months included. Weeks waited = floor((C - clock start) / 7)."
        ),
    ),
    (
        "DM01 6-week performance",
        (
            "Percentage of patients on the list waiting 6 or more weeks. "
            "Operational standard: no more than 1% waiting 6+ weeks; interim ambition 5% (NHS England DM01)."
        ),
    ),
    (
        "DM01 activity",
        ("Tests in the month split into waiting-list, planned and unscheduled tests."),
    ),
    (
        "Reporting backlog",
        (
            "At the end of day D: tested on or before D, not cancelled and no "
            "verified report on or before D. Age = D - test date, in bands 0-2, 3-7, 8-14, 15-28 and over "
            "28 days."
        ),
    ),
    (
        "Reporting throughput and outsourcing",
        (
            "Weekly (weeks beginning Monday): exams tested, "
            "reports verified, reports verified by an outsourced reporter, backlog change = tested - "
            "verified. The pack sums the weeks that begin in the month."
        ),
    ),
    (
        "Data quality",
        (
            "Per trust and month: records passing each check / records checked "
            "(dq_scorecard_monthly). Feed health per day: files received, rows read, loaded, rejected."
        ),
    ),
    (
        "SPC (XmR) charts",
        (
            f"Making Data Count XmR: mean and natural process limits = mean +/- {E2} x "
            f"mean moving range of the first {BASELINE_POINTS} mature months, then fixed. Special cause: a point beyond a "
            "limit, 7 in a row on one side of the mean, 6 rising or falling, or 2 of 3 beyond 2 sigma. "
            "Run-in, incomplete and immature months are left out, with their reasons."
        ),
    ),
    (
        "Mature month",
        (
            "Complete before the as-of date, after every trust's feed started, and for "
            "a 28-day measure 28 days past its end (reporting.maturity)."
        ),
    ),
    (
        "Disclosure control",
        (
            "Trust-level counts of 1-7 shown as *, others rounded to the nearest 5; "
            "medians, percentiles and maxima on 1-7 values suppressed; percentages from rounded numerator "
            "and denominator (reported-within-target % is published without its numerator, so it is shown "
            "as published and suppressed when its exams are 1-7); network totals unsuppressed."
        ),
    ),
]
