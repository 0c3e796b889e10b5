from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from playback.management.one_line_errors import OneLineErrorsCommand
from playback.models import (
    Device,
    check_capabilities_allowed,
    validate_appium_url,
    validate_capabilities,
)
from playback.network import redacted
from playback.words import Platform


class Command(OneLineErrorsCommand):
    help = "Add a device (or update the one with this id): its Appium server and capabilities."

    def add_arguments(self, parser):
        parser.add_argument("--device-id", required=True, help="Serial or UDID.")
        parser.add_argument("--platform", required=True, help=f"One of {', '.join(Platform)}.")
        parser.add_argument("--appium-url", required=True, help="e.g. http://127.0.0.1:4723")
        parser.add_argument("--capabilities", default="{}", help="JSON object merged into caps.")
        parser.add_argument("--name", default="", help="A readable name.")
        parser.add_argument("--disabled", action="store_true", help="Add it disabled.")

    def handle(self, *args: Any, **opts: Any) -> None:
        device_id = opts["device_id"].strip()
        if not device_id or len(device_id) > 200:
            self.fail("--device-id must be 1 to 200 characters.")
        if opts["platform"] not in tuple(Platform):
            self.fail(
                f"--platform must be one of {', '.join(Platform)} (got {opts['platform']!r})."
            )
        try:
            URLValidator(schemes=["http", "https"])(opts["appium_url"])
        except ValidationError:
            self.fail(f"--appium-url must be an http(s) URL (got {opts['appium_url']!r}).")
        try:
            validate_appium_url(opts["appium_url"])
        except ValidationError as exc:
            self.fail(f"--appium-url: {' '.join(exc.messages)}")
        try:
            capabilities = json.loads(opts["capabilities"])
        except json.JSONDecodeError as exc:
            self.fail(f"--capabilities is not valid JSON: {exc.msg} at column {exc.colno}.")
        try:
            validate_capabilities(capabilities)
            check_capabilities_allowed(opts["platform"], capabilities)
        except ValidationError as exc:
            self.fail(f"--capabilities: {' '.join(exc.messages)}")
        device, created = Device.objects.update_or_create(
            device_id=device_id,
            defaults={
                "platform": opts["platform"],
                "appium_url": opts["appium_url"],
                "capabilities": capabilities,
                "name": opts["name"],
                "enabled": not opts["disabled"],
            },
        )
        verb = "Added" if created else "Updated"
        self.stdout.write(
            f"{verb} device {device.device_id} ({device.platform}, {redacted(device.appium_url)})."
        )
