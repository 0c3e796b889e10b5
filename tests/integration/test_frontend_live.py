"""Against `make run`'s own server (manage.py run_stack: gunicorn + uvicorn workers):
the README's frontend EventSource example in a real browser lists a run's steps as
they arrive, and 200 concurrent POSTs to start a run all answer (runserver reset 136
of them)."""

from __future__ import annotations

import http.server
import json
import os
import re
import signal
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import pytest
from django.conf import settings

from simulator.server import free_port
from tests.integration.conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    start_stack,
    stopped_within,
)

pytestmark = [pytest.mark.appium, pytest.mark.browser]
README = (Path(settings.BASE_DIR) / "README.md").read_text()


def frontend_example() -> str:
    section = README.split("<!-- frontend-events-example -->", 1)[1]
    return re.search(r"```html\n(.*?)```", section, re.S).group(1)


# The newest successful run read with the token (make run's own demo runs may still
# be playing), then its first step's screenshot shown by URL.
SHOW_FIRST_SCREENSHOT = """async ([api, token]) => {
  const headers = {Authorization: `Token ${token}`};
  const runs = await (await fetch(`${api}/api/playback/runs/?status=success`,
    {headers})).json();
  const run = await (await fetch(`${api}/api/playback/runs/${runs.results[0].run_id}/`,
    {headers})).json();
  const img = document.createElement('img');
  img.src = run.steps.find((step) => step.screenshot).screenshot;
  img.width = 160;
  document.body.append(img);
  await new Promise((done) => { img.onload = img.onerror = done; });
  return img.naturalWidth;
}"""


def test_the_readme_example_has_at_most_15_lines_of_javascript():
    example = frontend_example()
    script = example.split("<script>", 1)[1].split("</script>", 1)[0].strip().splitlines()
    assert len(script) <= 15, len(script)


@pytest.fixture
def page_server(tmp_path):
    """The frontend's own origin (another port, as Vite's dev server would be)."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_the_frontend_example_and_200_concurrent_starts_against_make_runs_server(
    stack_env, page_server
):
    from playwright.sync_api import sync_playwright

    folder, origin = page_server
    port = free_port()
    api = f"http://127.0.0.1:{port}"
    # No PLAYBACK_CORS_ORIGINS: development lets a local dev server's page in as it is.
    stack, lines = start_stack(stack_env, port)
    try:
        token = next(line.split()[-1] for line in lines if "API token" in line)
        page_html = frontend_example().replace('"http://127.0.0.1:8000"', json.dumps(api))
        (folder / "index.html").write_text(page_html.replace('TOKEN = "..."', f'TOKEN = "{token}"'))
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 480, "height": 640})
            page.goto(f"{origin}/index.html")
            page.wait_for_function("document.title === 'success'", timeout=120_000)
            items = page.locator("#steps li").all_inner_texts()
            # A step's screenshot in an <img> (it sends no token): its URL is signed.
            width = page.evaluate(SHOW_FIRST_SCREENSHOT, [api, token])
            assert width > 0
            page.screenshot(path=ARTIFACTS / "22-frontend-events.png", full_page=True)
            browser.close()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        assert items and all(re.fullmatch(r"step \d+ \w+: (pass|flaky)", i) for i in items), items
        assert [int(i.split()[1]) for i in items] == list(range(1, len(items) + 1))

        def start(_: int) -> int | str:
            request = urllib.request.Request(
                f"{api}/api/playback/start", method="POST",
                data=json.dumps({"flow_id": 1, "device_id": "sim-1"}).encode(),
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            )  # fmt: skip
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code
            except OSError as exc:  # a reset or refused connection
                return type(exc).__name__

        with ThreadPoolExecutor(max_workers=200) as pool:
            answers = list(pool.map(start, range(200)))
        assert answers == [202] * 200, {str(a): answers.count(a) for a in set(answers)}
    finally:
        took = stopped_within(stack, signal.SIGINT)
    assert took < 5, took
