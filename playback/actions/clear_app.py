"""clear_app: the flow's app's data cleared mid-flow, which stops it (on the web
device: the origin's storage and cookies, as the run setting clearData does)."""

from __future__ import annotations

from playback.actions.spec import BareSpec


class ClearApp(BareSpec):
    name = "clear_app"
    order = 72

    def play(self, driver, step, context):
        driver.clear_app(context.app_id)


SPEC = ClearApp()
