"""Devices: a phone, the simulated device or a web device, the Appium server that
reaches it, the run that has it now and the warm session it keeps between runs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from playback import words
from playback.drivers.capabilities import capabilities_problems
from playback.inputs import json_problem
from playback.network import appium_url_problem


def validate_capabilities(value: Any) -> None:
    """Capabilities are a JSON object, bounded in depth and size, with clean text."""
    if not isinstance(value, dict):
        raise ValidationError(
            'Must be a JSON object of capabilities, e.g. {"appium:app": "/path/app.apk"}.'
        )
    problem = json_problem(value)
    if problem:
        raise ValidationError(problem)


def check_capabilities_allowed(platform: str, capabilities: Any) -> None:
    """Only what a device of `platform` may set (playback/drivers/capabilities.py): a
    ValidationError naming each refused key."""
    if isinstance(capabilities, dict) and (
        problems := capabilities_problems(platform, capabilities)
    ):
        raise ValidationError(problems)


def validate_appium_url(value: str) -> None:
    """The URL's host is one PLAYBACK_APPIUM_ALLOWED_HOSTS allows (a URL that is not
    one at all is the URL validator's to refuse)."""
    if "://" not in value:
        return
    problem = appium_url_problem(value)
    if problem:
        raise ValidationError(problem)


# A device's warm session (playback/devices/sessions.py): only runs and the sweeper
# write them.
WARM_SESSION_FIELDS = ("session", "session_used_at")


class Device(models.Model):
    """A phone (or the simulated device) and the Appium server that reaches it."""

    device_id = models.CharField(
        "device id", max_length=200, unique=True, help_text="Serial or UDID, e.g. emulator-5554."
    )
    name = models.CharField(max_length=200, blank=True)
    platform = models.CharField(max_length=16, choices=words.choices(words.Platform))
    appium_url = models.URLField(
        "Appium URL",
        max_length=500,
        validators=[validate_appium_url],
        help_text="The Appium server or grid that reaches it (PLAYBACK_APPIUM_ALLOWED_HOSTS).",
    )
    capabilities = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_capabilities],
        help_text="Merged into the session's capabilities: only what a device of its "
        "platform may set (its name, udid, OS version, app, timeouts, locale, the phone a "
        "web device emulates, a device farm's options).",
    )
    enabled = models.BooleanField(default=True)
    reachable = models.BooleanField(
        null=True, blank=True, help_text="Whether its Appium answered the last probe."
    )
    probe_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    probed_at = models.DateTimeField(null=True, blank=True)
    probe_error = models.CharField(max_length=500, blank=True)
    current_run = models.OneToOneField(
        "Run",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="holding_device",
        help_text="The run that has this device now (one run per device at a time).",
    )
    session = models.JSONField(
        null=True,
        blank=True,
        default=None,
        help_text="Its warm Appium session, kept between runs: id, url, key "
        "(playback/devices/sessions.py).",
    )
    session_used_at = models.DateTimeField(
        null=True, blank=True, help_text="When a run last used its warm session."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["device_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.device_id})" if self.name else self.device_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A form's or serializer's save never writes the warm session back: runs keep
        it up to date with updates of their own (playback/devices/sessions.py)."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in WARM_SESSION_FIELDS
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            check_capabilities_allowed(self.platform, self.capabilities)
        except ValidationError as exc:
            raise ValidationError({"capabilities": exc.messages}) from None
