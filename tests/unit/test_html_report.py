"""The HTML report of a long run stays small and quick: each distinct screen is
embedded once, as a palette thumbnail (playback/reports/html.py)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.base import ContentFile
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
