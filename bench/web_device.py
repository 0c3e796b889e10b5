"""The web device (headless Chromium through Appium's Chromium driver) on the demo
web shop: what the service adds per step, what a failed attempt's evidence costs,
the memory of a session, and how many web devices this machine plays at once.

    .venv/bin/python bench/web_device.py [--runs 9] [--parallel 1,2,3,4]

1. One 20-step flow through the service (screenshots off) against a plain
   Appium-Python-Client script sending the same WebDriver commands on the same kind
   of session (same capabilities: clear the app's data, open it, the 20 steps),
   alternating; medians. The difference over 20 is what the service adds per step.
2. The capture of a failed attempt (screenshot + page HTML) on an open session.
3. Memory (PSS) of one session's chromedriver + Chromium process tree.
4. N web devices playing the flow at once (threads, each its own device): runs per
   second against N x one device's; efficiency = rate(N) / (N x rate(1)).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import statistics
import threading
import time
from pathlib import Path

from _setup import django_on_bench_db

PRODUCTS = [2, 3, 5, 7]
STEPS = [
    {"action": "type", "locator": {"using": "id", "value": "username"}, "text": "alice"},
    {"action": "type", "locator": {"using": "accessibility id", "value": "Password"}, "text": "pw"},
    {"action": "tap", "locator": {"using": "css selector", "value": "#sign-in"}},
    {"action": "assert", "locator": {"using": "id", "value": "welcome"}, "text": "alice"},
]
for n in PRODUCTS:
    STEPS += [
        {"action": "tap", "locator": {"using": "id", "value": f"product-{n}"}, "timeout_ms": 3000},
        {"action": "assert", "locator": {"using": "id", "value": "product-name"}},
        {"action": "tap", "locator": {"using": "accessibility id", "value": "Back"}},
    ]
STEPS += [
    {"action": "swipe", "start_x": 206, "start_y": 800, "end_x": 206, "end_y": 200},
    {"action": "tap", "locator": {"using": "accessibility id", "value": "Cart"}},
    {"action": "assert", "locator": {"using": "id", "value": "cart-total"}, "text": "Total"},
    {"action": "tap", "locator": {"using": "accessibility id", "value": "Back to products"}},
]


def serve_demo_app() -> str:
    from simulator.views import DEMO_APP_DIR

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=DEMO_APP_DIR)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/?list_delay=0"


def plain_script(appium_url: str, app: str, profile: str) -> float:
    """The same commands with the Appium Python client alone; ms for the whole run."""
    from appium import webdriver
    from appium.options.common.base import AppiumOptions
    from selenium.webdriver.support.wait import WebDriverWait

    from playback.drivers.web import CLEAR_STORAGE, css_string
    from playback.drivers.web_session import build_web_capabilities
    from playback.network import free_local_port

    started = time.perf_counter()
    options = AppiumOptions()
    options.load_capabilities(
        build_web_capabilities(device_id=profile, extra={}, chromedriver_port=free_local_port())
    )
    remote = webdriver.Remote(appium_url, options=options)
    try:
        remote.get("about:blank")
        remote.get(app)
        remote.delete_all_cookies()
        remote.execute_async_script(CLEAR_STORAGE)
        remote.get("about:blank")
        remote.get(app)

        def find(step):
            using, value = step["locator"]["using"], step["locator"]["value"]
            if using == "id":
                using, value = "css selector", f"[id={css_string(value)}]"
            elif using == "accessibility id":
                using, value = "css selector", f"[aria-label={css_string(value)}]"
            return WebDriverWait(remote, 5, poll_frequency=0.05).until(
                lambda d: d.find_element(using, value)
            )

        for step in STEPS:
            if step["action"] == "tap":
                find(step).click()
            elif step["action"] == "type":
                find(step).send_keys(step["text"])
            elif step["action"] == "assert":
                element = find(step)
                assert element.is_displayed() and step.get("text", "") in element.text
            else:
                remote.swipe(step["start_x"], step["start_y"], step["end_x"], step["end_y"], 500)
    finally:
        remote.quit()
    return (time.perf_counter() - started) * 1000


def process_tree_pss_mb(profile: str) -> float:
    """PSS of the chromedriver that started the Chromium of this profile, and of every
    process under it (Chromium's browser, renderer, GPU and utility processes)."""
    parents: dict[int, int] = {}
    roots = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        if f"--user-data-dir={profile}" in cmd and "--type=" not in cmd:
            roots.append(int(entry.name))
    tree = {parents[pid] for pid in roots}  # the chromedriver
    changed = True
    while changed:
        children = {pid for pid, ppid in parents.items() if ppid in tree} - tree
        tree |= children
        changed = bool(children)
    total_kb = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total_kb += int(line.split()[1])
        except OSError:
            continue
    return total_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--parallel", default="1,2,3,4")
    args = parser.parse_args()
    django_on_bench_db("web_device")

    from django.conf import settings as django_settings

    from flows.definitions import parse_flow
    from flows.models import Flow
    from playback import services
    from playback.drivers.registry import open_session
    from playback.drivers.web_session import profile_of
    from playback.models import Device, Run
    from playback.words import RunSettings
    from simulator.server import AppiumServer

    assert len(STEPS) == 20
    app = serve_demo_app()
    django_settings.PLAYBACK_WEB_PROFILES_DIR = Path(django_settings.VAR_DIR) / "bench-profiles"
    # A new session each run, as the plain script opens one (warm: bench/warm_devices.py).
    django_settings.PLAYBACK_SESSION_IDLE_S = 0
    flow = Flow.save_definition(
        parse_flow({"name": "bench web 20", "platform": "web", "app_id": app, "steps": STEPS})
    )
    quiet = RunSettings(clear_data=True, capture_screenshots=False)
    shots = RunSettings(clear_data=True, capture_screenshots=True)

    def play(device: Device, settings: RunSettings = quiet) -> float:
        run = services.start_run(flow=flow, device=device, settings=settings, foreground=True)
        started = time.perf_counter()
        services.play_in_foreground(run=run)
        took = (time.perf_counter() - started) * 1000
        run = Run.objects.get(pk=run.pk)
        assert run.status == "success", (run.error, [r.error for r in run.step_results.all()])
        return took

    with AppiumServer() as server:
        devices = [
            Device.objects.create(device_id=f"bench-web-{n}", platform="web",
                                  appium_url=server.url, capabilities={})
            for n in range(1, 9)
        ]  # fmt: skip
        play(devices[0])  # warm up: Chromium's profile, the page cache of the OS
        plain_script(server.url, app, "bench-plain")
        service_ms, plain_ms, shots_ms = [], [], []
        for _ in range(args.runs):
            service_ms.append(play(devices[0]))
            plain_ms.append(plain_script(server.url, app, "bench-plain"))
            shots_ms.append(play(devices[0], shots))
        service, plain = statistics.median(service_ms), statistics.median(plain_ms)
        print(f"20-step web flow: service {service:.0f} ms, plain Appium client {plain:.0f} ms "
              f"(medians of {args.runs}, alternating); service/plain {service / plain:.3f}; "
              f"added per step {(service - plain) / 20:.1f} ms")  # fmt: skip
        paired = statistics.median(s - p for s, p in zip(service_ms, plain_ms, strict=True))
        print(f"median of the paired differences: {paired:.0f} ms per run, "
              f"{paired / 20:.1f} ms per step")  # fmt: skip
        with_shots = statistics.median(shots_ms)
        print(f"the same with a screenshot of every step: {with_shots:.0f} ms "
              f"({(with_shots - service) / 20:.1f} ms per step)")  # fmt: skip

        for ratio in (1.0, 2.625):  # the default phone's, and a Pixel 8's real density
            device = devices[1]
            device.capabilities = {"goog:chromeOptions": {"mobileEmulation": {
                "deviceMetrics": {"width": 412, "height": 915, "pixelRatio": ratio, "touch": True}
            }}}  # fmt: skip
            shot_ms, source_ms = [], []
            with open_session(device, app) as driver:
                driver.activate_app(app)
                for _ in range(args.runs * 4):
                    t0 = time.perf_counter()
                    png = driver.screenshot()
                    t1 = time.perf_counter()
                    html = driver.page_source()
                    t2 = time.perf_counter()
                    shot_ms.append((t1 - t0) * 1000)
                    source_ms.append((t2 - t1) * 1000)
                pss = process_tree_pss_mb(str(profile_of(device.device_id)))
            print(f"pixel ratio {ratio}: a screenshot {statistics.median(shot_ms):.1f} ms "
                  f"({len(png) // 1024} KB), the page's HTML {statistics.median(source_ms):.1f} "
                  f"ms ({len(html) // 1024} KB) (medians of {len(shot_ms)}); memory of the "
                  f"session (chromedriver + Chromium, PSS) {pss:.0f} MB")  # fmt: skip

        rate: dict[int, float] = {}
        for n in [int(k) for k in args.parallel.split(",")]:
            from django.db import connection

            def worker(device: Device, laps: int) -> None:
                try:
                    for _ in range(laps):
                        play(device)
                finally:
                    connection.close()

            laps = 4
            threads = [threading.Thread(target=worker, args=(d, laps)) for d in devices[:n]]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rate[n] = n * laps / (time.perf_counter() - started)
            efficiency = rate[n] / (n * rate[min(rate)])
            print(f"{n} web device(s) at once: {rate[n] * 60:.1f} runs/min, "
                  f"efficiency {efficiency:.2f}")  # fmt: skip
    print(f"(machine: {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
