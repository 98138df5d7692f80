"""Write seeds/bank_holidays.csv: England and Wales bank holidays, 2015-2030.

Source: the `holidays` package (country UK, subdivision ENG), which follows the GOV.UK
bank-holiday list for England and Wales, including substitute days ("observed") and the
one-off days of 2020 (VE Day moved), 2022 (Platinum Jubilee, State Funeral of Queen
Elizabeth II) and 2023 (Coronation of King Charles III).

Usage (from the repository root):  python seeds/scripts/make_bank_holidays.py
Deterministic: the same package version always writes the same file.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import holidays

FIRST_YEAR = 2015
LAST_YEAR = 2030
REGION = "england_and_wales"
OUT = Path(__file__).resolve().parents[1] / "bank_holidays.csv"

# One-off bank holidays that must be present; the script refuses to write a file without them.
REQUIRED = {
    date(2020, 5, 8): "VE Day (early May bank holiday moved)",
    date(2022, 6, 2): "Spring bank holiday (moved for the Platinum Jubilee)",
    date(2022, 6, 3): "Platinum Jubilee",
    date(2022, 9, 19): "State Funeral of Queen Elizabeth II",
    date(2023, 5, 8): "Coronation of King Charles III",
}


def england_and_wales(first: int = FIRST_YEAR, last: int = LAST_YEAR) -> list[tuple[date, str]]:
    cal = holidays.country_holidays("GB", subdiv="ENG", years=range(first, last + 1))
    # The package also lists the nominal day of a holiday that falls at a weekend (e.g. Christmas
    # Day on a Sunday) beside its substitute "(observed)" weekday. GOV.UK lists only the weekday
    # actually taken, and every bank holiday in England and Wales is a weekday: keep weekdays.
    rows = sorted(
        (d, name) for d, name in cal.items() if first <= d.year <= last and d.weekday() < 5
    )
    missing = [d for d in REQUIRED if d not in dict(rows)]
    if missing:
        raise SystemExit(f"holidays package is missing required bank holidays: {missing}")
    # England and Wales have 8 bank holidays a year; 2022 had two extra days and 2023 one.
    expected = {2022: 10, 2023: 9}
    for year in range(first, last + 1):
        n = sum(1 for d, _ in rows if d.year == year)
        if n != expected.get(year, 8):
            raise SystemExit(f"{year}: {n} bank holidays, expected {expected.get(year, 8)}")
    return rows


def main() -> None:
    rows = england_and_wales()
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["holiday_date", "holiday_name", "region"])
        for d, name in rows:
            w.writerow([d.isoformat(), name, REGION])
    print(f"wrote {len(rows)} rows to {OUT.name}")


if __name__ == "__main__":
    main()
