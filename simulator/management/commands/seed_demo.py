from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from flows.definitions import parse_flow
from flows.models import Flow
from playback.models import Device
from simulator.server import APPS_DIR

DEMO_FLOW = APPS_DIR.parent / "flows" / "demo.json"
DEMO_APP = APPS_DIR / "demo.xml"
SIM_DEVICE_ID = "sim-1"


class Command(BaseCommand):
    help = "Load the demo: a simulated device, the demo flow and an admin user with a token."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--appium-url", default=None)

    def handle(self, *args: Any, username: str, appium_url: str | None, **opts: Any) -> None:
        appium_url = appium_url or f"http://127.0.0.1:{settings.APPIUM_PORT}"
        device, _ = Device.objects.update_or_create(
            device_id=SIM_DEVICE_ID,
            defaults={
                "name": "Simulated phone",
                "platform": "sim",
                "appium_url": appium_url,
                "capabilities": {"appium:app": str(DEMO_APP)},
            },
        )
        flow = Flow.save_definition(parse_flow(json.loads(DEMO_FLOW.read_text())))
        password = self.admin_password(username)
        token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
        self.stdout.write(
            json.dumps(
                {
                    "flow_id": flow.pk,
                    "device_id": device.device_id,
                    "appium_url": device.appium_url,
                    "username": username,
                    "password": password,
                    "token": token.key,
                }
            )
        )

    def admin_password(self, username: str) -> str:
        """The admin's password, kept in var/ so each `make run` prints the same one."""
        secret_file = Path(settings.VAR_DIR) / "admin-password.txt"
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None and secret_file.exists():
            return secret_file.read_text().strip()
        password = secrets.token_urlsafe(12)
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        secret_file.write_text(password + "\n")
        if user is None:
            User.objects.create_superuser(username=username, email="", password=password)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        return password
