"""The HTML report of a long run stays small and quick: each distinct screen is
embedded once, as a palette thumbnail (playback/reports/html.py)."""

from __future__ import annotations

import base64
import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from playback import evidence, services
from playback.models import Run, StepResult
from playback.reports import html

pytestmark = pytest.mark.django_db


def png(colour: tuple[int, int, int], size=(412, 915)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def test_each_distinct_screen_is_embedded_once_and_every_step_shows_one(flow, device):
    run = services.start_run(flow=flow, device=device, foreground=True)
    same = png((20, 120, 220))
    for number in range(1, 51):
        shot = same if number <= 40 else png((number, 0, 0))
        result = StepResult(run=run, step_number=number, action="tap", status="pass")
        result.screenshot.save("s.png", ContentFile(shot), save=False)
        result.save()
    StepResult.objects.create(run=run, step_number=51, action="tap", status="blocked")
    page = html.run_report(Run.objects.select_related("flow", "device").get(pk=run.pk))
    assert page.count("data:image/png;base64,") == 11  # one + ten distinct screens
    shown = re.findall(r'class="shot (shot\d+)"', page)
    assert len(shown) == 50 and len(set(shown)) == 11  # the blocked step has none


def test_a_thumbnail_is_a_small_palette_png(flow, device):
    run = services.start_run(flow=flow, device=device, foreground=True)
    result = StepResult(run=run, step_number=1, action="tap", status="pass")
    result.screenshot.save("s.png", ContentFile(png((200, 30, 30), (1080, 2400))), save=False)
    result.save()
    with Image.open(io.BytesIO(evidence.thumbnail_png(result))) as thumb:
        assert thumb.mode == "P" and max(thumb.size) == 240


# --- what a person reads first (#23 item 11) ---------------------------------------------
def stored(colour: tuple[int, int, int], size=(412, 915)) -> ContentFile:
    return ContentFile(png(colour, size), name="s.png")


def failed_run(flow, device, *, attempts_with_screens: int = 2) -> Run:
    """Step 1 passed; step 2 failed after three attempts (the first two left screens)."""
    run = services.start_run(flow=flow, device=device, foreground=True)
    ok = StepResult(run=run, step_number=1, action="tap", status="pass", attempts=1)
    ok.screenshot.save("s.png", stored((0, 200, 0)), save=False)
    ok.save()
    log = []
    for attempt in range(1, attempts_with_screens + 1):
        name = f"runs/{run.pk}/attempt-2-{attempt}.png"
        default_storage.save(name, stored((attempt * 60, 0, 200)))
        log.append({"attempt": attempt, "error": f"not there ({attempt})", "screenshot": name})
    pay = {"action": "tap", "locator": {"using": "id", "value": "pay"}}
    bad = StepResult(
        run=run,
        step_number=2,
        action="tap",
        status="fail",
        attempts=3,
        error="Element id='pay' not found",
        attempt_log=log,
        definition=pay,
    )
    bad.screenshot.save("s.png", stored((250, 0, 0), (1080, 2400)), save=False)
    bad.save()
    Run.objects.filter(pk=run.pk).update(status="failed", total_steps=2, successful_steps=1)
    return Run.objects.select_related("flow", "device").get(pk=run.pk)


def test_a_single_runs_report_starts_with_its_failure_and_does_not_repeat_its_header(flow, device):
    run = failed_run(flow, device)
    page = html.run_report(run)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert page.count(f"Run #{run.pk}") == 2  # <title> and <h1>, no <h2> repeating them
    # The failure, its step, error and screens come before the steps table.
    failures, steps = page.index('id="failures"'), page.index("<h2>Steps</h2>")
    assert failures < steps
    block = page[failures:steps]
    assert "Step 2: tap id=&#x27;pay&#x27;" in block
    assert "Element id=&#x27;pay&#x27; not found" in block
    assert block.count('aria-label="the screen after attempt') == 2


def test_a_failures_screens_open_full_size_in_one_click(flow, device):
    page = html.run_report(failed_run(flow, device))
    full = dict(re.findall(r'<div class="full" id="(full\d+)">.*?<img src="([^"]+)"', page))
    assert len(full) == 3  # the failed step's final screen and its two attempts'
    for anchor, url in full.items():
        assert url.startswith("data:image/png;base64,")
        assert f'href="#{anchor}"' in page
    final = next(u for u in full.values() if len(u) == max(len(v) for v in full.values()))
    with Image.open(io.BytesIO(base64.b64decode(final.split(",", 1)[1]))) as im:
        assert im.size == (1080, 2400)  # the screenshot itself, not its thumbnail


def test_a_passing_steps_thumbnail_links_to_the_services_step_viewer(flow, device, settings):
    settings.PLAYBACK_PUBLIC_URL = "https://playback.example"
    run = failed_run(flow, device)
    page = html.run_report(run)
    assert f'href="https://playback.example/admin/playback/run/{run.pk}/steps/1/"' in page
    assert f'<a href="https://playback.example/admin/playback/run/{run.pk}/change/">' in page


def test_without_a_public_url_the_report_links_nowhere_outside_itself(flow, device, settings):
    settings.PLAYBACK_PUBLIC_URL = ""
    page = html.run_report(failed_run(flow, device))
    assert re.findall(r'href="(?!#)', page) == []


def test_simulated_screens_say_so(flow, device):
    run = failed_run(flow, device)
    page = html.run_report(run)
    assert "simulated device" in page and "<figcaption>simulated</figcaption>" in page
    type(device).objects.filter(pk=device.pk).update(platform="android")
    page = html.run_report(Run.objects.select_related("flow", "device").get(pk=run.pk))
    assert "simulated" not in page


def test_full_size_screens_stop_at_the_limit_and_the_rest_link_to_the_service(
    flow, device, monkeypatch
):
    from playback.reports import pictures

    monkeypatch.setattr(pictures, "FULL_SIZE_LIMIT", 1)
    page = html.run_report(failed_run(flow, device))
    assert page.count('<div class="full"') == 1


def test_a_batch_report_lists_its_runs_with_links_then_what_failed(flow, device):
    from playback.batches.models import Batch

    batch = Batch.objects.create(mode="split", settings={}, device_ids=[device.pk])
    run = failed_run(flow, device)
    Run.objects.filter(pk=run.pk).update(batch=batch)
    page = html.batch_report(batch)
    runs, failures = page.index('id="runs"'), page.index('id="failures"')
    assert runs < failures < page.index(f'id="run-{run.pk}"')
    assert f"/admin/playback/run/{run.pk}/change/" in page[runs:failures]
    assert f"Run #{run.pk}: {flow.name} on {device.device_id}" in page[failures:]


BADGE_RULE = re.compile(r"((?:\.\w+,?)+)\{background:(#[0-9a-f]{6})\}")


def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_status_badge_is_readable_at_wcag_aa(flow, device):
    page = html.run_report(failed_run(flow, device))
    rules = BADGE_RULE.findall(page)
    named = {name for names, _ in rules for name in names.strip(".").split(",.")}
    from playback.words import RunStatus, StepStatus

    assert {s.value for s in RunStatus} | {s.value for s in StepStatus} <= named
    for names, colour in rules:
        assert contrast(colour, "#ffffff") >= 4.5, f"{names}: {contrast(colour, '#ffffff'):.2f}"
