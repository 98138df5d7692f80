"""Write seeds/postcode_district_centroids.csv: a position for every postcode district the
synthetic network's patients live in (ingest/synth/network.py HOME_AREAS and DISTRICT_RANGE).

The positions are SYNTHETIC. A district that holds one of the synthetic sites (sites.csv) takes
that hospital's position; every other district of a postcode area is laid out on a sunflower
spiral (golden-angle steps, radius growing with the square root of the district number) around
the area's main town, within the area's radius. The result is plausible at the scale of the
network (tens of kilometres), not where the real district is. For real use, load ONS Postcode
Directory centroids instead (seeds/README.md, docs/offers.md).

Rows of other districts (real centroids loaded by hand, `is_synthetic` false) are kept as they
are, after the synthetic rows; a real row replaces the synthetic row of the same district.

No randomness: re-running the script gives the same file.

Usage (from the repository root):  python seeds/scripts/make_postcode_district_centroids.py
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[1]
SITES = SEEDS / "sites.csv"
OUT = SEEDS / "postcode_district_centroids.csv"
COLUMNS = ["postcode_district", "latitude", "longitude", "is_synthetic", "source", "licence"]
SOURCE = (
    "synthetic: sunflower layout around the area's main town (make_postcode_district_centroids.py)"
)
SITE_SOURCE = "synthetic: position of the synthetic network's site in this district (sites.csv)"
LICENCE = "invented for the demonstration network; no third-party data"
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
KM_PER_DEGREE_LATITUDE = 111.2

# Postcode area -> (districts 1..n, main town latitude, longitude, radius in km). The district
# counts are the generator's (ingest/synth/network.py DISTRICT_RANGE); towns from public maps.
AREAS: dict[str, tuple[int, float, float, float]] = {
    "B": (98, 52.4800, -1.9025, 14.0),  # Birmingham
    "CV": (37, 52.4068, -1.5197, 20.0),  # Coventry
    "DY": (14, 52.5087, -2.0877, 10.0),  # Dudley
    "WV": (16, 52.5862, -2.1288, 12.0),  # Wolverhampton
    "WS": (15, 52.5862, -1.9829, 14.0),  # Walsall
    "WR": (15, 52.1920, -2.2200, 20.0),  # Worcester
    "HR": (9, 52.0565, -2.7160, 20.0),  # Hereford
    "SY": (25, 52.7077, -2.7540, 30.0),  # Shrewsbury
    "TF": (13, 52.6784, -2.4453, 10.0),  # Telford
    "ST": (21, 53.0027, -2.1794, 18.0),  # Stoke-on-Trent
}


def spiral_position(area: str, number: int) -> tuple[float, float]:
    """District `number` (1-based) of `area` on the sunflower spiral around the area's town."""
    count, lat, lon, radius_km = AREAS[area]
    r_km = radius_km * math.sqrt((number - 0.5) / count)
    angle = number * GOLDEN_ANGLE
    d_lat = r_km * math.cos(angle) / KM_PER_DEGREE_LATITUDE
    d_lon = r_km * math.sin(angle) / (KM_PER_DEGREE_LATITUDE * math.cos(math.radians(lat)))
    return round(lat + d_lat, 4), round(lon + d_lon, 4)


def site_positions() -> dict[str, tuple[float, float]]:
    """District -> position of the first synthetic site in it (sites.csv order)."""
    out: dict[str, tuple[float, float]] = {}
    with SITES.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["is_synthetic_code"] == "true" and row["postcode_district"]:
                out.setdefault(
                    row["postcode_district"], (float(row["latitude"]), float(row["longitude"]))
                )
    return out


def synthetic_rows() -> list[dict[str, str]]:
    at_sites = site_positions()
    rows = []
    for area, (count, *_) in AREAS.items():
        for number in range(1, count + 1):
            district = f"{area}{number}"
            lat, lon = at_sites.get(district) or spiral_position(area, number)
            source = SITE_SOURCE if district in at_sites else SOURCE
            rows.append(
                {
                    "postcode_district": district,
                    "latitude": f"{lat:.4f}",
                    "longitude": f"{lon:.4f}",
                    "is_synthetic": "true",
                    "source": source,
                    "licence": LICENCE,
                }
            )
    return rows


def kept_rows() -> list[dict[str, str]]:
    """The rows a person loaded by hand (real centroids) from the current file."""
    if not OUT.exists():
        return []
    with OUT.open(encoding="utf-8", newline="") as f:
        return [row for row in csv.DictReader(f) if row["is_synthetic"] != "true"]


def main() -> None:
    kept = kept_rows()
    real = {row["postcode_district"] for row in kept}
    rows = [row for row in synthetic_rows() if row["postcode_district"] not in real] + kept
    with OUT.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} districts to {OUT.name} ({len(kept)} kept as loaded)")


if __name__ == "__main__":
    main()
