"""The synthetic imaging network: simulation (ground truth) and the trusts' deliveries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .generate import GenerateSummary, generate_network

__all__ = ["DefectRates", "GenerateSummary", "generate_network"]


def __getattr__(name: str) -> Any:  # lazy: importing the package does not load the writers
    if name in ("generate_network", "GenerateSummary"):
        from . import generate

        return getattr(generate, name)
    if name == "DefectRates":
        from .defects import DefectRates

        return DefectRates
    raise AttributeError(name)
