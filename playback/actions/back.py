"""back: the system's back (Android's back key, iOS's navigation back, the browser's
back on the web device)."""

from __future__ import annotations

from playback.actions.spec import BareSpec


class Back(BareSpec):
    name = "back"
    order = 53

    def play(self, driver, step, context):
        driver.back()


SPEC = Back()
