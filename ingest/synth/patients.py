"""Synthetic patients: NHS numbers, demographics, GP practices and referrers (vectorised)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import DISTRICT_RANGE, HOME_AREAS

NHS_WEIGHTS = np.arange(10, 1, -1, dtype=np.int64)  # weights 10..2 on digits 1-9
ETHNIC_CODES = np.array(list("ABCDEFGHJKLMNPRSZ"))
ETHNIC_P = np.array(
    [0.62, 0.01, 0.04, 0.02, 0.01, 0.01, 0.01, 0.06, 0.05, 0.02, 0.02, 0.03, 0.02, 0.02, 0.01,
     0.01, 0.04]
)  # fmt: skip
UNIT_LETTERS = np.array(list("ABDEFGHJLNPQRSTUWXYZ"))
NHS_STATUS = np.array(["01", "02", "03", "04", "05", "06", "07", "08"])
NHS_STATUS_P = np.array([0.955, 0.02, 0.012, 0.004, 0.003, 0.002, 0.002, 0.002])


def nhs_check_digit(first9: np.ndarray) -> np.ndarray:
    """Mod-11 check digit of 9-digit integers; 10 means the number is invalid."""
    digits = (first9[:, None] // 10 ** np.arange(8, -1, -1, dtype=np.int64)) % 10
    check = 11 - (digits @ NHS_WEIGHTS) % 11
    return np.where(check == 11, 0, check)


def nhs_numbers(rng: np.random.Generator, n: int) -> np.ndarray:
    """`n` distinct valid NHS numbers as int64 (10 digits, mod-11, no reversed halves)."""
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        want = int((n - out.size) * 1.15) + 16
        first9 = rng.integers(400_000_000, 800_000_000, size=want, dtype=np.int64)
        check = nhs_check_digit(first9)
        num = first9 * 10 + check
        first5 = num // 100_000
        last5 = num % 100_000
        rev = np.zeros_like(last5)
        x = last5.copy()
        for _ in range(5):
            rev = rev * 10 + x % 10
            x //= 10
        ok = (check != 10) & (first5 != rev)
        out = np.concatenate([out, num[ok]])
        _, first = np.unique(out, return_index=True)
        out = out[np.sort(first)]
    return out[:n]


@dataclass
class PatientPool:
    nhs_number: np.ndarray  # int64
    nhs_status: np.ndarray  # str
    birth_day: np.ndarray  # int64 days since epoch, sorted ascending within the pool
    sex: np.ndarray  # '1','2','9','0'
    postcode: np.ndarray  # str
    ethnicity: np.ndarray  # str
    gp_practice: np.ndarray  # int index into practices
    practices: np.ndarray  # str codes 'M12345'
    gp_referrers: np.ndarray  # str, one list per practice (index practice*k + j)
    gp_per_practice: int
    consultants: np.ndarray  # str 'C1234567'
    female_idx: np.ndarray  # pool indices of female patients, by birth day


def make_pool(
    rng: np.random.Generator, trust: str, n: int, first_day: int, last_day: int, children: bool
) -> PatientPool:
    n = max(int(n), 200)
    if children:
        # children 0-17 and women 16-48 (maternity)
        kids = rng.random(n) < 0.7
        age = np.where(kids, rng.uniform(0, 17.9, n), rng.uniform(16, 48, n))
    else:
        age = rng.uniform(0, 101, n)
    birth = (last_day - age * 365.25).astype(np.int64)
    order = np.argsort(birth, kind="stable")
    birth = birth[order]
    sex = np.where(rng.random(n) < 0.52, "2", "1").astype("<U1")
    if children:
        adult = birth < last_day - int(18 * 365.25)
        sex = np.where(adult, "2", sex)
    odd = rng.random(n)
    sex = np.where(odd < 0.004, "9", np.where(odd < 0.006, "0", sex))
    areas = HOME_AREAS.get(trust, ("B",))
    area = np.array(areas)[
        np.minimum((rng.random(n) ** 1.6 * len(areas)).astype(int), len(areas) - 1)
    ]
    maxd = np.array([DISTRICT_RANGE[a] for a in area])
    district = np.char.add(area, (1 + (rng.random(n) * maxd).astype(int)).astype(str))
    sector = rng.integers(1, 10, n).astype(str)
    u1 = UNIT_LETTERS[rng.integers(0, UNIT_LETTERS.size, n)]
    u2 = UNIT_LETTERS[rng.integers(0, UNIT_LETTERS.size, n)]
    postcode = np.char.add(np.char.add(np.char.add(district, " "), sector), np.char.add(u1, u2))
    ethnicity = ETHNIC_CODES[rng.choice(ETHNIC_CODES.size, n, p=ETHNIC_P / ETHNIC_P.sum())]
    n_prac = max(12, n // 2500)
    prac_nums = rng.choice(90_000, n_prac, replace=False) + 10_000
    practices = np.char.add("M", prac_nums.astype(str))
    gp_prac = rng.integers(0, n_prac, n)
    k = 6
    gp_ref = np.char.add("G", rng.integers(1_000_000, 9_999_999, n_prac * k).astype(str))
    cons = np.char.add("C", rng.integers(1_000_000, 9_999_999, max(30, n // 3000)).astype(str))
    status = NHS_STATUS[rng.choice(NHS_STATUS.size, n, p=NHS_STATUS_P / NHS_STATUS_P.sum())]
    female_idx = np.flatnonzero(sex == "2")
    return PatientPool(
        nhs_number=nhs_numbers(rng, n),
        nhs_status=status,
        birth_day=birth,
        sex=sex,
        postcode=postcode,
        ethnicity=ethnicity,
        gp_practice=gp_prac,
        practices=practices,
        gp_referrers=gp_ref,
        gp_per_practice=k,
        consultants=cons,
        female_idx=female_idx,
    )


# Target age (years) per modality: mean, sd, min, max.
AGE_PROFILE: dict[str, tuple[float, float, float, float]] = {
    "XR": (52, 24, 0, 100), "US": (48, 19, 0, 95), "CT": (64, 17, 1, 100),
    "MR": (52, 18, 2, 95), "FL": (58, 20, 0, 98), "NM": (62, 16, 1, 95),
    "PET": (64, 12, 18, 92), "MG": (55, 13, 25, 95), "DEXA": (69, 10, 40, 98),
    "IR": (65, 15, 1, 98),
}  # fmt: skip
FEMALE_ONLY = ("MG",)


def choose_patients(
    rng: np.random.Generator,
    pool: PatientPool,
    modality: str,
    request_day: np.ndarray,
    children: bool,
    obstetric: np.ndarray | None = None,
) -> np.ndarray:
    """Pick a pool patient of a plausible age for each exam (indices into the pool)."""
    n = request_day.size
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if children:
        age = np.abs(rng.normal(6.5, 5.0, n)).clip(0, 17.5)
    else:
        mu, sd, lo, hi = AGE_PROFILE[modality]
        age = rng.normal(mu, sd, n).clip(lo, hi)
    if obstetric is not None and obstetric.any():
        age = np.where(obstetric, rng.uniform(18, 44, n), age)
    target = request_day - (age * 365.25).astype(np.int64)
    idx = np.searchsorted(pool.birth_day, target)
    idx = np.clip(idx + rng.integers(-40, 41, n), 0, pool.birth_day.size - 1)
    want_f = np.full(n, modality in FEMALE_ONLY)
    if obstetric is not None:
        want_f |= obstetric
    if want_f.any() and pool.female_idx.size:
        fb = pool.birth_day[pool.female_idx]
        j = np.searchsorted(fb, target[want_f])
        j = np.clip(j + rng.integers(-15, 16, j.size), 0, fb.size - 1)
        idx[want_f] = pool.female_idx[j]
    # never born after the request
    bad = pool.birth_day[idx] > request_day
    if bad.any():
        idx[bad] = 0  # the oldest patient in the pool
    return idx
