"""A Maestro flow written for the demo web shop (simulator/flows/maestro/) imports
through the API and plays green on the web device."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings

from flows.models import Flow

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.appium, pytest.mark.web]

DEMO_FLOW = Path(settings.BASE_DIR) / "simulator" / "flows" / "maestro" / "demo-shop.yaml"


def test_a_maestro_web_flow_imports_and_plays_green(api, play, web_device, demo_app):
    text = DEMO_FLOW.read_text().replace("http://127.0.0.1:8000/demo-app/", demo_app)
    response = api.generic(
        "POST", "/api/flows/import/maestro/", text.encode(), content_type="application/yaml"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["dropped"] == []
    flow = Flow.objects.get(pk=response.json()["id"])
    assert flow.steps.count() >= 20
    run = play(flow, web_device)
    results = [(r.step_number, r.status, r.error) for r in run.step_results.all()]
    assert run.status == "success", results
