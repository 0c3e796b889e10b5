"""hide_keyboard: the on-screen keyboard goes away (on the web device: the focused
field is blurred); nothing happens when none is shown."""

from __future__ import annotations

from playback.actions.spec import BareSpec


class HideKeyboard(BareSpec):
    name = "hide_keyboard"
    order = 54

    def play(self, driver, step, context):
        driver.hide_keyboard()


SPEC = HideKeyboard()
