"""Schemathesis over the OpenAPI schema: generated requests (valid and not) to every
operation never get a 5xx, and every documented response matches the schema."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
APP = get_wsgi_application()
CHECKS = [schemathesis.checks.not_a_server_error, response_schema_conformance,
          content_type_conformance]  # fmt: skip


@pytest.fixture
def token(django_user_model, make_flow, make_device):
    from rest_framework.authtoken.models import Token

    # Something real to find: a flow (id 1 is likely) and a device.
    make_flow([{"action": "tap", "x": 1, "y": 1}])
    make_device("http://127.0.0.1:9", device_id="fuzz-device")
    return Token.objects.create(user=django_user_model.objects.create_user("fuzz")).key


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_gets_a_server_error(case, token):
    case.call_and_validate(app=APP, headers={"Authorization": f"Token {token}"}, checks=CHECKS)
