"""The people in the events: radiologists, reporting radiographers, sonographers,
radiographers and outsourced reporters; how many a trust has, their ids, who did what."""

from __future__ import annotations

import numpy as np

from ingest.contract import MODALITIES

from .demand import Requests
from .network import PROFILES, TrustProfile
from .reporting import R_OUT, R_RAD, R_RGR, R_SON, Reports
from .trust_state import Actors

N_OUTSOURCED = 60


def actor_counts(profile) -> tuple[int, int, int, int]:
    """Radiologists, reporting radiographers, sonographers, radiographers of a trust."""
    return (
        max(4, profile.annual_exams // 15_000),
        max(2, profile.annual_exams // 50_000),
        max(3, int(profile.annual_exams * profile.mix["US"]) // 5_000),
        max(5, profile.annual_exams // 8_000),
    )


def actor_table() -> tuple[list[str], np.ndarray]:
    """Network-wide actor id vocabulary and the offset of each kind (RAD, RGR, SON, RGP, OUT)."""
    counts = np.array([actor_counts(p) for p in PROFILES.values()]).max(axis=0)
    names: list[str] = []
    offsets = []
    for prefix, k in zip(("RAD", "RGR", "SON", "RGP", "OUT"), [*counts, N_OUTSOURCED],
                         strict=True):  # fmt: skip
        offsets.append(len(names))
        names += [f"{prefix}{i:03d}" for i in range(1, int(k) + 1)]
    return names, np.array(offsets, dtype=np.int64)


def draw_actors(
    r_misc: np.random.Generator,
    profile: TrustProfile,
    req: Requests,
    started: np.ndarray,
    rep: Reports,
) -> Actors:
    """Who scanned and who reported: sonographers scan and report their own ultrasound,
    radiologists their own interventions; an outsourced report's addendum is in-house."""
    n = req.size
    n_rad, n_rgr, n_son, n_rgp = actor_counts(profile)
    is_us = req.modality == MODALITIES.index("US")
    is_ir = req.modality == MODALITIES.index("IR")
    op_rad = r_misc.integers(1, n_rad + 1, n)
    st_actor = np.where(
        is_us, 2000 + r_misc.integers(1, n_son + 1, n),
        np.where(is_ir, op_rad, 3000 + r_misc.integers(1, n_rgp + 1, n))
    )  # fmt: skip
    st_actor = np.where(started >= 0, st_actor, -1)

    def kind_actor(kind: np.ndarray) -> np.ndarray:
        a = np.full(n, -1, dtype=np.int64)
        a = np.where(kind == R_RAD, r_misc.integers(1, n_rad + 1, n), a)
        a = np.where(kind == R_RGR, 1000 + r_misc.integers(1, n_rgr + 1, n), a)
        a = np.where(kind == R_SON, 2000 + r_misc.integers(1, n_son + 1, n), a)
        a = np.where(kind == R_OUT, 4000 + r_misc.integers(1, N_OUTSOURCED + 1, n), a)
        return a

    v_actor = kind_actor(rep.verified_kind)
    same = ((rep.verified_kind == R_SON) & is_us) | (is_ir & (rep.verified_kind == R_RAD))
    v_actor = np.where(same & (st_actor > 0), st_actor, v_actor)
    p_actor = kind_actor(rep.prelim_kind)
    ad_actor = np.where(rep.verified_kind == R_OUT, r_misc.integers(1, n_rad + 1, n), v_actor)
    return Actors(st_actor, v_actor, p_actor, ad_actor)


def actor_codes(actor: np.ndarray) -> np.ndarray:
    """kind * 1000 + number -> index into the network's actor table (-1 none)."""
    actor = actor.astype(np.int64)
    kind = np.where(actor >= 0, actor // 1000, 0)
    _, a_off = actor_table()
    return np.where(actor >= 0, a_off[kind] + actor % 1000 - 1, -1).astype(np.int16)
