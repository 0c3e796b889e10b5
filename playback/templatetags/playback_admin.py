"""Filters for the admin's templates: times and durations as the admin shows them."""

from __future__ import annotations

from datetime import datetime

from django import template

from playback.admin import display

register = template.Library()


@register.filter
def when(moment: datetime | None) -> str:
    return display.when(moment)


@register.filter
def seconds(ms: int | None) -> str:
    return display.seconds(ms)
