"""tap: an element (by its locator) or a point of the screen."""

from __future__ import annotations

from playback.actions.spec import PointSpec


class Tap(PointSpec):
    name = "tap"
    order = 10

    def play(self, driver, step, context):
        if step.locator is not None:
            driver.click(driver.find(step.locator, context.timeout_ms))
        else:
            driver.tap(*self.point(driver, step, context))


SPEC = Tap()
