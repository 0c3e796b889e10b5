"""open_link: a URL or a deep link, opened in the app (on the web device: the page,
if a web device may open it)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from playback.actions import fields
from playback.actions.spec import ActionSpec, Key

MAX_URL = 2_000
# scheme:rest, the scheme as RFC 3986 has it (https://…, myapp://…, tel:…)
URL_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")


class OpenLink(ActionSpec):
    name = "open_link"
    order = 57
    keys = (Key("url", "text", "The link: https://… or the app's own scheme (myapp://…)."),)
    identity = ("url",)

    def parse(self, data, path, errors):
        url = fields.text(errors, f"{path}.url", data.get("url"), MAX_URL)
        if url is None:
            return {}
        if not URL_SHAPE.fullmatch(url):
            errors[f"{path}.url"] = f"Must be a link with its scheme, e.g. https://… (got {url!r})."
            return {}
        return {"url": url}

    def target(self, step: Mapping[str, Any]) -> str:
        return str(step.get("url", ""))

    def play(self, driver, step, context):
        driver.open_link(step.params["url"], context.app_id)


SPEC = OpenLink()
