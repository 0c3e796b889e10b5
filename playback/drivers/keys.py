"""The keys `press_key` presses, and how each platform presses them (plain Python).

`android` is the key's Android key code (`press_keycode`; the simulated device
answers the same call), `ios_button` a hardware button of `mobile: pressButton`,
`w3c` the WebDriver key typed into the focused element (iOS and the web device),
and `maestro` the key's name in a Maestro flow (`pressKey: Enter`). A key with no
way on a platform fails its step there, saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from selenium.webdriver.common.keys import Keys


@dataclass(frozen=True)
class Key:
    name: str
    maestro: str
    android: int
    w3c: str | None = None
    ios_button: str | None = None


KEYS: dict[str, Key] = {
    key.name: key
    for key in (
        Key("enter", "Enter", 66, w3c=Keys.ENTER),
        Key("backspace", "Backspace", 67, w3c=Keys.BACKSPACE),
        Key("delete", "Delete", 112, w3c=Keys.DELETE),
        Key("tab", "Tab", 61, w3c=Keys.TAB),
        Key("escape", "Escape", 111, w3c=Keys.ESCAPE),
        Key("space", "Space", 62, w3c=Keys.SPACE),
        Key("up", "Up", 19, w3c=Keys.ARROW_UP),
        Key("down", "Down", 20, w3c=Keys.ARROW_DOWN),
        Key("left", "Left", 21, w3c=Keys.ARROW_LEFT),
        Key("right", "Right", 22, w3c=Keys.ARROW_RIGHT),
        Key("back", "Back", 4),
        Key("home", "Home", 3, ios_button="home"),
        Key("search", "Search", 84),
        Key("volume_up", "Volume Up", 24, ios_button="volumeUp"),
        Key("volume_down", "Volume Down", 25, ios_button="volumeDown"),
        Key("power", "Power", 26),
        Key("lock", "Lock", 276),
    )
}
BACKSPACE = Keys.BACKSPACE


def no_way(key: str, platform: str) -> str:
    return f"Key {key!r} cannot be pressed on a {platform} device."
