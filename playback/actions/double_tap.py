"""double_tap: two quick taps on an element (by its locator) or a point."""

from __future__ import annotations

from playback.actions.spec import PointSpec


class DoubleTap(PointSpec):
    name = "double_tap"
    order = 51

    def play(self, driver, step, context):
        driver.double_tap(*self.point(driver, step, context))


SPEC = DoubleTap()
