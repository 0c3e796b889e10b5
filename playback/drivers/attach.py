"""An Appium session by its id: the client for a server (its credentials in the
client's config, never in a URL it logs), attaching to a session another process
opened (a warm device's: playback/devices/sessions.py), asking whether it is still
alive, and closing it."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import urllib3
from appium import webdriver
from appium.options.common.base import AppiumOptions
from appium.webdriver.client_config import AppiumClientConfig
from selenium.webdriver.remote.command import Command

from playback.network import redacted

log = logging.getLogger("playback.appium")

# Capabilities that differ between two sessions of one device without making them
# different sessions (a web device's chromedriver gets a free port each time).
VOLATILE_CAPABILITIES = ("appium:chromedriverPort",)
# The alive check and the closing of a session wait this long at most.
CHECK_S = 5.0
CLOSE_S = 2.0


@dataclass(frozen=True)
class KeptSession:
    """A session kept on its Appium server between runs: its id, the server's URL and
    the key of the capabilities it was opened with."""

    id: str
    url: str
    key: str

    def stored(self) -> dict[str, str]:
        return {"id": self.id, "url": self.url, "key": self.key}

    @classmethod
    def from_stored(cls, data: Any) -> KeptSession | None:
        if not isinstance(data, Mapping) or not all(
            isinstance(data.get(name), str) and data.get(name) for name in ("id", "url", "key")
        ):
            return None
        return cls(id=data["id"], url=data["url"], key=data["key"])


def session_key(appium_url: str, capabilities: Mapping[str, Any]) -> str:
    """What a session was opened with, as a key: the same server and capabilities give
    the same key (whatever their order), a change of either another one."""
    steady = {k: v for k, v in capabilities.items() if k not in VOLATILE_CAPABILITIES}
    text = json.dumps([appium_url, steady], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def client_config(
    appium_url: str, *, connect_timeout_s: float, command_timeout_s: float
) -> tuple[str, AppiumClientConfig]:
    """The server's address without credentials, and the client's config: a farm's
    credentials as a Basic authorization header, bounded timeouts, no hidden retries."""
    parts = urlsplit(appium_url)
    address = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
    config = AppiumClientConfig(
        remote_server_addr=address,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password or "") if parts.username else None,
        timeout=urllib3.Timeout(connect=connect_timeout_s, read=command_timeout_s),
        keep_alive=True,
        # No hidden retries: a command that times out has timed out (urllib3 would
        # send idempotent ones - screenshots, the session's DELETE - three more times).
        init_args_for_pool_manager={"init_args_for_pool_manager": {"retries": False}},
    )
    return address, config


class AttachedRemote(webdriver.Remote):
    """A client on a session that is already open: creating it sends nothing."""

    def __init__(self, address: str, *, session_id: str, client_config: AppiumClientConfig):
        self.attach_to = session_id
        super().__init__(address, options=AppiumOptions(), client_config=client_config)

    def start_session(self, capabilities: Any, browser_profile: str | None = None) -> None:
        self.session_id = self.attach_to
        self.caps = {}


def attach(
    appium_url: str, session_id: str, *, connect_timeout_s: float, command_timeout_s: float
) -> AttachedRemote:
    address, config = client_config(
        appium_url, connect_timeout_s=connect_timeout_s, command_timeout_s=command_timeout_s
    )
    return AttachedRemote(address, session_id=session_id, client_config=config)


def with_timeout(remote: webdriver.Remote, seconds: float) -> urllib3.Timeout:
    """Bound the client's next commands to `seconds`; returns the timeout it had."""
    config = remote.command_executor.client_config
    before = config.timeout
    config.timeout = urllib3.Timeout(connect=min(seconds, 10.0), read=seconds)
    return before


def is_alive(remote: webdriver.Remote) -> bool:
    """One cheap command that reaches the device (the window's size: UiAutomator2,
    XCUITest and chromedriver ask the device or the browser): whether the session
    still answers."""
    before = with_timeout(remote, CHECK_S)
    try:
        remote.execute(Command.GET_WINDOW_RECT)
    except Exception as exc:  # gone, not this server's, the server away: not alive
        log.info("Warm session %s does not answer: %s", remote.session_id, exc)
        return False
    finally:
        remote.command_executor.client_config.timeout = before
    return True


def close(remote: webdriver.Remote, *, timeout_s: float = CLOSE_S) -> None:
    """End the session (bounded: a server that is away frees it itself at its
    newCommandTimeout); a session already gone needs nothing."""
    with_timeout(remote, timeout_s)
    try:
        remote.quit()
    except Exception as exc:
        log.info("Closing Appium session %s failed: %s", remote.session_id, exc)


def close_kept(kept: KeptSession) -> None:
    """Close a kept session by its id (the sweeper, a device disabled or deleted)."""
    try:
        remote = attach(kept.url, kept.id, connect_timeout_s=CLOSE_S, command_timeout_s=CLOSE_S)
    except Exception as exc:
        log.info("Closing Appium session %s on %s failed: %s", kept.id, redacted(kept.url), exc)
        return
    close(remote)
