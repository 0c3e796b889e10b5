"""What the OpenAPI schema promises a client generator: typed 4xx bodies on every
operation, integer path ids, a description per operation, a type on every field."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        return APIClient().get("/api/schema/?format=json").json()


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_lists_its_4xx_answers_with_a_typed_body(schema):
    for name, operation in operations(schema):
        codes = {code for code in operation["responses"] if code.startswith("4")}
        assert {"401", "403"} <= codes, name
        if name.startswith(("POST", "PUT", "PATCH")):
            assert "400" in codes, name
        for code in codes:
            body = operation["responses"][code]["content"]["application/json"]["schema"]
            assert body["$ref"] in (
                "#/components/schemas/FieldErrors",
                "#/components/schemas/ErrorDetail",
            ), (name, code)


def test_path_ids_are_integers_and_device_ids_strings(schema):
    for name, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                # A device's id and a failure group's key are words; the rest are ids.
                expected = "string" if parameter["name"] in ("device_id", "key") else "integer"
                assert parameter["schema"]["type"] == expected, (name, parameter["name"])


def test_each_operation_has_its_own_description(schema):
    descriptions = [op.get("description") for _, op in operations(schema)]
    assert all(descriptions)
    assert len(set(descriptions)) == len(descriptions)


def test_every_field_has_a_type(schema):
    def untyped(node, where):
        if isinstance(node, dict):
            if "properties" in node:
                for name, field in node["properties"].items():
                    if not set(field) & {"type", "$ref", "allOf", "oneOf", "anyOf"}:
                        yield f"{where}.{name}"
            for key, value in node.items():
                yield from untyped(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from untyped(value, f"{where}[{i}]")

    assert list(untyped(schema["components"]["schemas"], "schemas")) == []
    attempt_errors = schema["components"]["schemas"]["StepResult"]["properties"]["attempt_errors"]
    assert attempt_errors["items"]["type"] == "string"


def test_the_schema_states_this_servers_limits_and_a_start_that_works(api, settings):
    schema = api.get("/api/schema/?format=json").json()
    timeout = schema["components"]["schemas"]["SettingsRequest"]["properties"]["runTimeoutSeconds"]
    assert timeout["maximum"] == settings.PLAYBACK_MAX_RUN_TIMEOUT_S
    start = schema["paths"]["/api/playback/start/"]["post"]
    (example,) = start["requestBody"]["content"]["application/json"]["examples"].values()
    assert example["value"] == {"flow_id": 1, "device_id": "sim-1", "settings": {"retryPerStep": 1}}
    assert "docs/engine.md" not in start["description"]
    assert next(iter(schema["paths"])) == "/api/playback/start/"  # what a newcomer tries first
