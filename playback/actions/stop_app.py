"""stop_app: the flow's app stopped mid-flow (on the web device: the page left)."""

from __future__ import annotations

from playback.actions.spec import BareSpec


class StopApp(BareSpec):
    name = "stop_app"
    order = 71

    def play(self, driver, step, context):
        driver.terminate_app(context.app_id)


SPEC = StopApp()
