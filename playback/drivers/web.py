"""The web device: a mobile web app in headless Chromium, through Appium's Chromium
driver (npm `appium-chromium-driver`, Debian `chromium` + `chromium-driver`).

The app's id is its start URL. The lifecycle a phone has is played on the page:
terminate = leave the app (about:blank), activate = open the start URL, clear =
the origin's cookies (through WebDriver) and its storage (from the page: the
driver has no CDP pass-through), state 4 = the app's page is loaded. `id` and
`accessibility id` locators become CSS (the driver knows only WebDriver's own
strategies). Taps and swipes are the W3C touch pointer actions of `AppiumDriver`,
in CSS pixels of the emulated phone; a swipe really scrolls.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playback.drivers.appium import AppiumDriver, CommandFailed
from playback.drivers.keys import KEYS, no_way
from playback.drivers.text_locators import WEB_FIND_TEXT
from playback.locators import Locator
from playback.network import web_url_problem

if TYPE_CHECKING:
    pass

log = logging.getLogger("playback.web")

STATE_NOT_RUNNING, STATE_LOADING, STATE_LOADED = 1, 2, 4

# The origin's storage, cleared from one of its pages (IndexedDB and the Cache API
# are asynchronous; service workers are unregistered so none serves old files).
CLEAR_STORAGE = """
const done = arguments[arguments.length - 1];
const quiet = (p) => Promise.resolve(p).catch(() => undefined);
(async () => {
  try { localStorage.clear(); } catch (e) {}
  try { sessionStorage.clear(); } catch (e) {}
  if (indexedDB && indexedDB.databases) {
    for (const db of await quiet(indexedDB.databases()) || []) {
      await quiet(new Promise((ok) => {
        const req = indexedDB.deleteDatabase(db.name);
        req.onsuccess = req.onerror = req.onblocked = ok;
      }));
    }
  }
  if (self.caches) {
    for (const key of await quiet(caches.keys()) || []) { await quiet(caches.delete(key)); }
  }
  if (navigator.serviceWorker) {
    for (const reg of await quiet(navigator.serviceWorker.getRegistrations()) || []) {
      await quiet(reg.unregister());
    }
  }
})().then(() => done(true), (e) => done(String(e)));
"""
PAGE_STATE = "return [document.readyState, location.href]"
# Displayed and at least partly inside the viewport (a swipe scrolls it into view).
IN_VIEWPORT = """
const r = arguments[0].getBoundingClientRect();
return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0
  && r.top < innerHeight && r.left < innerWidth;
"""
# The element's centre in the viewport (CSS px: what pointer actions use), once it
# is scrolled into view.
CENTER = """
const el = arguments[0];
el.scrollIntoView({block: 'nearest', inline: 'nearest'});
const r = el.getBoundingClientRect();
return [r.left + r.width / 2, r.top + r.height / 2];
"""
BLUR = "if (document.activeElement) { document.activeElement.blur(); }"
# The element's box in the viewport (CSS px), where a screenshot shows it.
BOUNDS = """
const r = arguments[0].getBoundingClientRect();
return [r.left, r.top, r.width, r.height];
"""
# A steady screen for a comparison (assert_screen), for the shot only: no caret, no
# animation or transition (each at its end state), no scrollbar.
STEADY_ON = """
const style = document.createElement('style');
style.id = 'playback-steady-screen';
style.textContent = `*, *::before, *::after { animation: none !important;
  transition: none !important; caret-color: transparent !important; }
  html { scrollbar-width: none !important; } ::-webkit-scrollbar { display: none !important; }`;
(document.head || document.documentElement).appendChild(style);
"""
STEADY_OFF = "const s = document.getElementById('playback-steady-screen'); if (s) s.remove();"
PAGE_URL = "return location.href"
TYPE_CHUNK = 500  # characters typed per command
# Pages a web device may show whatever their host: the blank page it leaves an app
# for, Chromium's own error page, and a page made from its own URL.
HOSTLESS_SCHEMES = ("about", "chrome-error", "data")


def css_string(value: str) -> str:
    """`value` as a CSS string literal (for an attribute selector)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ")
    return f'"{escaped}"'


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class ForbiddenPage(CommandFailed):
    """The device is on a page it may not open (PLAYBACK_WEB_ALLOWED_HOSTS); it left
    it, and nothing of it was kept."""


class WebDriver(AppiumDriver):
    """The engine's `Driver` on a Chromium session (a page is the app).

    Every page it opens is checked against PLAYBACK_WEB_ALLOWED_HOSTS before and
    after it loads (a redirect may lead anywhere), and the page is checked again
    before its screen or source is taken (a tap may have followed a link): on a page
    it may not show, the device goes to about:blank and the step fails, with
    nothing of that page kept.
    """

    def __init__(self, remote: Any, *, where: str):
        super().__init__(remote, where=where)
        self.allowed_origins: set[str] = set()  # checked once a session

    def page_problem(self, url: str) -> str | None:
        """Why the device may not show the page at `url`, or None."""
        scheme = urlsplit(url).scheme.lower()
        if scheme in HOSTLESS_SCHEMES:
            return None
        if scheme not in ("http", "https"):
            return f"a {scheme}: page is never shown"
        if origin(url) in self.allowed_origins:
            return None
        problem = web_url_problem(url)
        if problem is None:
            self.allowed_origins.add(origin(url))
        return problem

    def leave_if_forbidden(self, url: str) -> None:
        """Raise `ForbiddenPage` (after leaving it) when the device is on such a page."""
        problem = self.page_problem(url)
        if problem is None:
            return
        self._call("leaving a forbidden page", lambda: self.remote.get("about:blank"))
        raise ForbiddenPage(
            f"The page went to {origin(url)}, which a web device may not open: {problem} "
            "(nothing of that page was kept)"
        )

    def open_page(self, url: str, what: str) -> None:
        """Open `url` if it may be opened, then check where it ended up."""
        problem = web_url_problem(url)
        if problem is not None:
            raise ForbiddenPage(f"{what} failed: {url[:200]} may not be opened: {problem}")
        self._call(what, lambda: self.remote.get(url))
        self.leave_if_forbidden(self._page()[1])

    # A tap (a click, typing Enter, a swipe) may follow a link: the step fails when
    # it led somewhere the device may not go.
    def click(self, element: Any) -> None:
        super().click(element)
        self.leave_if_forbidden(self._href())

    def tap(self, x: int, y: int) -> None:
        super().tap(x, y)
        self.leave_if_forbidden(self._href())

    def type_text(self, text: str, element: Any | None) -> None:
        # In chunks, each one command: the browser's cost per character grows with the
        # field's value, and 10,000 characters in one command took 13-21 s here, close
        # to (and on a loaded host past) APPIUM_COMMAND_TIMEOUT_S.
        for start in range(0, max(len(text), 1), TYPE_CHUNK):
            super().type_text(text[start : start + TYPE_CHUNK], element)
        self.leave_if_forbidden(self._href())

    def swipe(self, start_x: int, start_y: int, end_x: int, end_y: int, duration_ms: int) -> None:
        super().swipe(start_x, start_y, end_x, end_y, duration_ms)
        self.leave_if_forbidden(self._href())

    def long_press(self, x: int, y: int, duration_ms: int) -> None:
        super().long_press(x, y, duration_ms)
        self.leave_if_forbidden(self._href())

    def double_tap(self, x: int, y: int) -> None:
        super().double_tap(x, y)
        self.leave_if_forbidden(self._href())

    def back(self) -> None:
        """The browser's back (history.back(), waiting for the page it goes to)."""
        super().back()
        self.leave_if_forbidden(self._href())

    def hide_keyboard(self) -> None:
        """A page's keyboard shows while a field has the focus: blur it."""
        self._call("hiding the keyboard", lambda: self.remote.execute_script(BLUR))

    def press_key(self, key: str) -> None:
        """The key into the focused element; back is the browser's back."""
        known = KEYS[key]
        if known.w3c:
            self.type_keys(known.w3c, f"pressing {key}")
            self.leave_if_forbidden(self._href())  # Enter may submit a form
        elif key == "back":
            self.back()
        else:
            raise CommandFailed(no_way(key, "web"))

    def open_link(self, url: str, app_id: str) -> None:
        """Navigate to `url`, if a web device may open it (and where it ends up)."""
        self.open_page(url, f"opening {url[:200]}")

    def text_matches(self, locator: Locator) -> list[Any]:
        return list(self.remote.execute_script(WEB_FIND_TEXT, locator.value, locator.regex))

    def shown(self, element: Any) -> bool:
        return element.is_displayed() and bool(self.remote.execute_script(IN_VIEWPORT, element))

    def center(self, element: Any) -> tuple[int, int]:
        x, y = self._call(
            "reading an element's bounds", lambda: self.remote.execute_script(CENTER, element)
        )
        return round(x), round(y)

    def screen_size(self) -> tuple[int, int]:
        """The viewport, in CSS px (what pointer actions use)."""
        width, height = self._call(
            "reading the screen's size",
            lambda: self.remote.execute_script("return [innerWidth, innerHeight]"),
        )
        return int(width), int(height)

    def screenshot(self) -> bytes:
        self.leave_if_forbidden(self._href())
        return super().screenshot()

    def bounds(self, element: Any) -> tuple[int, int, int, int]:
        box = self._call(
            "reading an element's bounds", lambda: self.remote.execute_script(BOUNDS, element)
        )
        return tuple(round(v) for v in box)  # type: ignore[return-value]

    def default_masks(self) -> list[tuple[int, int, int, int]]:
        return []  # a page has no status bar

    def steady_screenshot(self) -> bytes:
        self._call("steadying the page", lambda: self.remote.execute_script(STEADY_ON))
        try:
            return self.screenshot()
        finally:
            self._call("unsteadying the page", lambda: self.remote.execute_script(STEADY_OFF))

    def page_source(self) -> str:
        self.leave_if_forbidden(self._href())
        return super().page_source()

    def _href(self) -> str:
        return str(
            self._call("reading the page's URL", lambda: self.remote.execute_script(PAGE_URL))
        )

    def locate(self, locator: Locator) -> tuple[str, str]:
        if locator.using == "id":
            return "css selector", f"[id={css_string(locator.value)}]"
        if locator.using == "accessibility id":
            return "css selector", f"[aria-label={css_string(locator.value)}]"
        return locator.using, locator.value

    def _page(self) -> tuple[str, str]:
        ready, href = self._call(
            "reading the page's state", lambda: self.remote.execute_script(PAGE_STATE)
        )
        return str(ready), str(href)

    def terminate_app(self, app_id: str) -> None:
        self._call(f"leaving {app_id}", lambda: self.remote.get("about:blank"))

    def activate_app(self, app_id: str) -> None:
        self.open_page(app_id, f"opening {app_id}")

    def clear_app(self, app_id: str) -> None:
        what = f"clearing the data of {app_id}"
        if origin(self._page()[1]) != origin(app_id):
            self.open_page(app_id, what)  # storage is per origin
        self._call(what, self.remote.delete_all_cookies)
        result = self._call(what, lambda: self.remote.execute_async_script(CLEAR_STORAGE))
        if result is not True:
            raise CommandFailed(f"{what} failed: {result}")
        # Clearing stops the app, as `pm clear` does on a phone.
        self.terminate_app(app_id)

    def query_app_state(self, app_id: str) -> int:
        ready, href = self._page()
        self.leave_if_forbidden(href)  # a redirect at launch: fail now, not at the timeout
        if origin(href) != origin(app_id):
            return STATE_NOT_RUNNING
        return STATE_LOADED if ready == "complete" else STATE_LOADING
