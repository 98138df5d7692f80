"""Write seeds/local_procedure_codes.csv from seeds/procedures.csv.

Eight synthetic trusts send their own RIS procedure codes instead of NICIP (see
ingest/synth/feeds/). Each gets one local code per procedure, in a house style of its own,
so that the code maps are recognisably different. The codes are invented: no randomness, only
the order of procedures.csv, so re-running the script gives the same file.

Stability: sequence numbers follow the row order of procedures.csv (globally, or within the
modality). Add new procedures at the END of procedures.csv and existing local codes keep their
values.

Rows of other trusts (an onboarded trust's real code map, added by hand) are kept as they are,
after the synthetic trusts' rows.

Usage (from the repository root):  python seeds/scripts/make_local_procedure_codes.py
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1]
PROCEDURES = SEEDS / "procedures.csv"
OUT = SEEDS / "local_procedure_codes.csv"

# Numeric block per modality, for the styles that number procedures within a modality.
MODALITY_BLOCK = {
    "XR": 1,
    "US": 2,
    "CT": 3,
    "MR": 4,
    "FL": 5,
    "NM": 6,
    "PET": 7,
    "MG": 8,
    "DEXA": 9,
    "IR": 10,
}


def styles(nicip: str, modality: str, n: int, k: int) -> dict[str, str]:
    """Local codes of one procedure: n = 1-based row number, k = 1-based number in modality."""
    block = MODALITY_BLOCK[modality]
    return {
        # Birmingham Women's and Children's: 'BWC' + 5-digit catalogue number.
        "RQ3": f"BWC{10000 + n:05d}",
        # Sandwell and West Birmingham: 'SW' + modality + 3 digits.
        "RXK": f"SW{modality}{k:03d}",
        # Dudley: 'DG' + 4 digits, a block of 100 per modality.
        "RNA": f"DG{block * 100 + k:04d}",
        # Coventry and Warwickshire: 'CV-<modality>-<3 digits>'.
        "RKB": f"CV-{modality}-{k:03d}",
        # George Eliot: 'GE' + 5 digits, thousands = modality block.
        "RLT": f"GE{block * 1000 + k:05d}",
        # Worcestershire: mnemonic = modality + NICIP tail (stored upper case; the feed sends it
        # lower case, a quirk handled by the reader).
        "RWP": f"{modality}{nicip[1:]}",
        # Shrewsbury and Telford: 'ST' + 2-digit modality block + 3 digits.
        "RXW": f"ST{block:02d}{k:03d}",
        # North Midlands: 'UH' + modality block letter + 4 digits.
        "RJE": f"UH{chr(ord('A') + block - 1)}{k:04d}",
    }


TRUSTS = ("RQ3", "RXK", "RNA", "RKB", "RLT", "RWP", "RXW", "RJE")


def kept_rows(path: Path = OUT) -> list[tuple[str, str, str]]:
    """Rows of trusts this script does not generate, in file order (an onboarded trust's map)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return [(r["trust_code"], r["local_code"], r["nicip_code"]) for r in csv.DictReader(f)
                if r["trust_code"] not in TRUSTS]


def build(existing: Path = OUT) -> list[tuple[str, str, str]]:
    with PROCEDURES.open(newline="", encoding="utf-8") as f:
        procedures = list(csv.DictReader(f))
    per_modality: dict[str, int] = defaultdict(int)
    codes: dict[str, list[tuple[str, str]]] = {t: [] for t in TRUSTS}
    for n, p in enumerate(procedures, start=1):
        per_modality[p["modality"]] += 1
        for trust, local in styles(
            p["nicip_code"], p["modality"], n, per_modality[p["modality"]]
        ).items():
            codes[trust].append((local, p["nicip_code"]))
    nicip = {p["nicip_code"] for p in procedures}
    rows = []
    for trust in TRUSTS:
        locals_ = [c for c, _ in codes[trust]]
        if len(set(locals_)) != len(locals_):
            raise SystemExit(f"{trust}: duplicate local codes")
        if nicip & set(locals_):
            raise SystemExit(f"{trust}: a local code equals a NICIP code: {nicip & set(locals_)}")
        rows += [(trust, local, code) for local, code in codes[trust]]
    return rows + kept_rows(existing)


def main() -> None:
    rows = build()
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["trust_code", "local_code", "nicip_code"])
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUT.name}")


if __name__ == "__main__":
    main()
