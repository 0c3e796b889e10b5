"""The pictures of an HTML report, embedded so the file opens offline.

Thumbnails: each distinct one once, as a CSS class whose background it is (a simulated
device's fixed screen, a page that did not change between steps); those not made yet
are made on every core at once, and they are palette PNGs (playback/evidence.py).

Full-size screens: those of the failures and their failed attempts, each distinct one
once, at most FULL_SIZE_LIMIT of them (a run that failed everywhere links to the
service for the rest): one click on a thumbnail opens one.
"""

from __future__ import annotations

import base64
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from playback import evidence

FULL_SIZE_LIMIT = 40


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


class Pictures:
    """`thumbnail(name)` names the CSS class of a screenshot's thumbnail, `styles` are
    those classes; `full(name)` names the embedded full-size screen's anchor, `full_size`
    are those screens."""

    def __init__(self) -> None:
        self.classes: dict[bytes, str] = {}
        self.styles: list[tuple[str, str]] = []
        self.anchors: dict[bytes, str] = {}
        self.full_size: list[tuple[str, str]] = []

    def prepare(self, results: list[Any]) -> None:
        """Make the thumbnails not made yet, on every core (decoding a screenshot is
        most of the work, and Pillow lets go of the interpreter while it decodes)."""
        names = [r.screenshot.name for r in results if r.screenshot]
        names += [e["screenshot"] for r in results for e in r.attempt_log if e.get("screenshot")]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            list(pool.map(evidence.thumbnail_of, names))

    def thumbnail(self, name: str) -> str | None:
        if not name:
            return None
        png = evidence.thumbnail_of(name)
        digest = hashlib.sha256(png).digest()
        if digest not in self.classes:
            self.classes[digest] = f"shot{len(self.classes)}"
            self.styles.append((self.classes[digest], data_url(png)))
        return self.classes[digest]

    def full(self, name: str) -> str | None:
        if not name:
            return None
        png = evidence.stored_file(name)
        if png is None:
            return None
        digest = hashlib.sha256(png).digest()
        if digest not in self.anchors:
            if len(self.anchors) >= FULL_SIZE_LIMIT:
                return None
            self.anchors[digest] = f"full{len(self.anchors)}"
            self.full_size.append((self.anchors[digest], data_url(png)))
        return self.anchors[digest]
