"""The fast tests (`make test-fast`): no Appium server, no browser, no worker process."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
REAL_PARTS = {"appium_server", "sim_device", "live_server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE not in item.path.parents:
            continue
        used = REAL_PARTS & set(getattr(item, "fixturenames", ()))
        if used or item.get_closest_marker("appium") or item.get_closest_marker("browser"):
            raise pytest.UsageError(
                f"{item.nodeid} needs a real part ({', '.join(sorted(used)) or 'a marker'}): "
                "it belongs in tests/integration/."
            )
