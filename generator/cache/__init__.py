"""The content-addressed cache between the stages, in two tiers.

- ``arrays``: what compute produced (filter images, activations, heatmaps, probabilities).
- ``figures``: the encoded PNG/JPEG/SVG files made from those arrays.

Keys are made in ``generator.plan.keys``: a value's key covers everything it depends on, the code that makes it
(``code``) and the versions of the libraries that shape it. Changing a colour map re-renders without
recomputing; changing the compute code invalidates both tiers.

Both tiers are read and filled through one ``get_or_make``. Entries are verified on read (see ``store``); a
damaged entry counts as missing. ``last-build.json`` lists the keys the latest build used, which is what
``keras-atlas cache --prune`` keeps. Where each file lives is ``layout``'s business.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np

from generator.cache.layout import TIERS, CacheLayout
from generator.cache.store import Store
from generator.output.files import write_text_if_changed

def make_key(**parts: Any) -> str:
    """sha256 of the canonical JSON of ``parts`` (sorted keys; tuples as lists)."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def arrays_to_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def arrays_from_bytes(payload: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(payload), allow_pickle=False) as stored:
        return {name: stored[name] for name in stored.files}


class Cache:
    """Both tiers of one cache folder, with the hit and miss counts a build reports."""

    def __init__(self, root: Path) -> None:
        self.layout = CacheLayout(Path(root))
        self.root = self.layout.root
        self.arrays = Store(self.layout.tier("arrays"), encode=arrays_to_bytes, decode=arrays_from_bytes)
        self.figures = Store(self.layout.tier("figures"))

    @property
    def computed(self) -> int:
        """Array entries made by this build (cache misses, and units redone on purpose)."""
        return self.arrays.made

    def record_last_build(self) -> None:
        """Remember the keys this build used; ``keras-atlas cache --prune`` keeps exactly these."""
        used = {tier: sorted(getattr(self, tier).used) for tier in TIERS}
        write_text_if_changed(self.layout.last_build, json.dumps(used, indent=0) + "\n")
