from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from flows import maestro
from flows.definitions import parse_flow
from flows.models import Flow
from playback.drivers.web_session import build_web_capabilities, missing_browser
from playback.models import Device
from simulator.server import APPS_DIR

DEMO_FLOW = APPS_DIR.parent / "flows" / "demo.json"
DEMO_WEB_FLOW = APPS_DIR.parent / "flows" / "demo_web.json"
# The same shop as a Maestro flow (its url is the default web URL below).
DEMO_MAESTRO_FLOW = APPS_DIR.parent / "flows" / "maestro" / "demo-shop.yaml"
MAESTRO_WEB_URL = "http://127.0.0.1:8000"
DEMO_APP = APPS_DIR / "demo.xml"
SIM_DEVICE_ID = "sim-1"
WEB_DEVICE_ID = "web-1"


class Command(BaseCommand):
    help = (
        "Load the demo: a simulated device, the demo flow and an admin user with a token; "
        "when Chromium is installed, the web device web-1 and the demo web app's flow."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--appium-url", default=None)
        parser.add_argument(
            "--web-url",
            default="http://127.0.0.1:8000",
            help="Where the web server runs: the demo web flow opens <web-url>/demo-app/.",
        )

    def handle(
        self, *args: Any, username: str, appium_url: str | None, web_url: str, **opts: Any
    ) -> None:
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
        web = self.seed_web(appium_url, web_url)
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
                    **web,
                }
            )
        )

    def seed_web(self, appium_url: str, web_url: str) -> dict[str, Any]:
        """The web device and the demo web app's flow, when Chromium is here."""
        if missing_browser(
            build_web_capabilities(device_id=WEB_DEVICE_ID, extra={}, chromedriver_port=0)
        ):
            self.stderr.write("Chromium is not installed: no web device (run make install).")
            return {}
        Device.objects.update_or_create(
            device_id=WEB_DEVICE_ID,
            defaults={
                "name": "Web phone (Chromium)",
                "platform": "web",
                "appium_url": appium_url,
                "capabilities": {},
            },
        )
        data = json.loads(DEMO_WEB_FLOW.read_text())
        start = urlsplit(data["app_id"])
        data["app_id"] = f"{web_url.rstrip('/')}{start.path}?{start.query}"
        flow = Flow.save_definition(parse_flow(data))
        text = DEMO_MAESTRO_FLOW.read_text().replace(MAESTRO_WEB_URL, web_url.rstrip("/"))
        maestro_flow = Flow.save_definition(maestro.read_definition(text)[0])
        return {
            "web_flow_id": flow.pk,
            "maestro_flow_id": maestro_flow.pk,
            "web_device_id": WEB_DEVICE_ID,
        }

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
