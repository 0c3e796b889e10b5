"""launch_app: the flow's app brought to the foreground mid-flow, launched if it is
not running (on the web device: its start URL opened)."""

from __future__ import annotations

from playback.actions.spec import BareSpec, poll


class LaunchApp(BareSpec):
    name = "launch_app"
    order = 70

    def play(self, driver, step, context):
        from playback.engine import APP_FOREGROUND  # the engine imports the actions

        driver.activate_app(context.app_id)
        timeout_ms = round(context.launch_timeout_s * 1000)
        if not poll(
            context, lambda: driver.query_app_state(context.app_id) == APP_FOREGROUND, timeout_ms
        ):
            raise LookupError(
                f"app {context.app_id} did not reach the foreground within "
                f"{context.launch_timeout_s:g} s"
            )


SPEC = LaunchApp()
