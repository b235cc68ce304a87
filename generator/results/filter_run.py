"""How a layer's filter images were made: a plain value the compute stage returns and the pages state.

Its own module because both sides use it (``compute.filters`` makes it; the draw stage and the pages, which never
import compute/, read it), and because it is in the filters' code hash: keep it to the facts.
"""

from __future__ import annotations

from dataclasses import dataclass

CONVERGED, CAP, CLOSED_FORM = "converged", "cap", "closed form"
"""Why a layer's filter images stopped where they did."""


@dataclass(frozen=True)
class FilterRun:
    steps: int
    """Optimisation steps taken (0 for a closed form)."""
    stopped: str
    """``CONVERGED`` (the objective stopped rising), ``CAP`` (the most steps allowed) or ``CLOSED_FORM``."""

    @property
    def closed_form(self) -> bool:
        return self.stopped == CLOSED_FORM

    @property
    def converged(self) -> bool:
        return self.stopped == CONVERGED
