"""The one shape of a refusal: input a service cannot use, each field (or path) with
what to fix. Settings, flows and steps, run and batch requests, categories and
quarantines raise a subclass; the API answers any of them as a 400 on those fields
(playback/http/errors.py), the admin puts each message on its form field."""

from __future__ import annotations

from typing import Any


class FieldErrors(ValueError):
    """`errors` maps a field (or a path such as "steps[2].locator") to what to fix."""

    def __init__(self, errors: dict[str, Any]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {value}" for key, value in errors.items()))
