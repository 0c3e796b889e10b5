"""A flow's step as the admin edits it: one row of fields that the action specs drive.

The element a step acts on is four fields (find by, value, regex, index); each key an
action takes (`playback.actions.keys()`: x, y, text, duration, …) is a field of its own,
shown only for the actions that take it (flows/static/flows/step_editor.js). A row is
checked by the same rules as the API and import_flow (`parse_step`), and each problem
lands on the field it is about.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from flows.definitions import PLATFORMS, DefinitionError, parse_step, strategy_problems
from flows.models import Flow, Step
from playback import actions, words
from playback.actions.spec import Key
from playback.locators import LOCATOR_STRATEGIES

# Every key an action takes but the element, with the actions that take it.
# Switches (percent, visible) after the values, so a swipe reads start x … duration.
PARAMS: dict[str, tuple[Key, list[str]]] = dict(
    sorted(
        ((name, found) for name, found in actions.keys().items() if found[0].kind != "locator"),
        key=lambda item: item[1][0].kind == "bool",
    )
)
# The actions that act on an element.
WITH_LOCATOR = sorted(name for name, spec in actions.SPECS.items() if "locator" in spec.key_names)
LOCATOR_FIELDS = {
    "using": "locator_using",
    "value": "locator_value",
    "regex": "locator_regex",
    "index": "locator_index",
}
BOOL_CHOICES = [("", "default"), ("true", "yes"), ("false", "no")]
COMMON = ("timeout_ms", "description", "optional", "retries")


def param_name(key: str) -> str:
    return f"p_{key}"


class MasksField(forms.CharField):
    """assert_screen's masks as JSON: [{"using": "id", "value": "clock"},
    {"x": 0, "y": 0, "width": 412, "height": 24}] (parse_step checks each one)."""

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ValidationError(f"Masks are a JSON list: {exc}") from None

    def prepare_value(self, value: Any) -> Any:
        return json.dumps(value) if isinstance(value, list) else value


def param_field(key: Key) -> forms.Field:
    attrs = {"class": "pb-param-input"}
    common = {"required": False, "label": key.name.replace("_", " "), "help_text": key.help}
    if key.kind == "int":
        return forms.IntegerField(
            widget=forms.NumberInput({**attrs, "style": "width:6em"}), **common
        )
    if key.kind == "number":
        return forms.FloatField(
            widget=forms.NumberInput({**attrs, "style": "width:6em", "step": "any"}), **common
        )
    if key.kind == "masks":
        return MasksField(widget=forms.TextInput({**attrs, "size": 24}), **common)
    if key.kind == "bool":
        return forms.TypedChoiceField(
            choices=BOOL_CHOICES,
            coerce=lambda v: v == "true",
            empty_value=None,
            widget=forms.Select(attrs),
            **common,
        )
    return forms.CharField(strip=False, widget=forms.TextInput({**attrs, "size": 14}), **common)


class StepForm(forms.ModelForm):
    """A step row, checked by the same rules as the API and import_flow."""

    action = forms.ChoiceField(choices=actions.choices)
    locator_using = forms.ChoiceField(
        label="find by",
        required=False,
        choices=[("", "—"), *((s, s) for s in LOCATOR_STRATEGIES)],
    )
    locator_value = forms.CharField(
        label="value", required=False, strip=False, widget=forms.TextInput({"size": 18})
    )
    locator_regex = forms.BooleanField(
        label="regex", required=False, help_text='A "text" value as a regular expression.'
    )
    locator_index = forms.IntegerField(
        label="index",
        required=False,
        min_value=0,
        help_text="The n-th match (0: the first).",
        widget=forms.NumberInput({"style": "width:4em"}),
    )

    class Meta:
        model = Step
        fields = ["number", "action", *COMMON]
        # A step is one row of the flow's page: narrow fields, so it fits a laptop's width.
        widgets = {
            "number": forms.NumberInput(attrs={"style": "width: 3.5em", "class": "pb-number"}),
            "description": forms.TextInput(attrs={"size": 14}),
            "timeout_ms": forms.NumberInput(
                attrs={"style": "width: 7em", "placeholder": "timeout ms"}
            ),
            "retries": forms.NumberInput(
                attrs={"style": "width: 5em", "min": 0, "max": 3, "placeholder": "retries"}
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, (key, _) in PARAMS.items():
            self.fields[param_name(name)] = param_field(key)
        step = self.instance
        if step.pk:
            for key, field in LOCATOR_FIELDS.items():
                self.initial[field] = (step.locator or {}).get(key)
            for name, value in (step.params or {}).items():
                if name in PARAMS:
                    shown = {True: "true", False: "false"}.get(value, value)
                    self.initial[param_name(name)] = shown

    def param_fields(self) -> list[tuple[forms.BoundField, str]]:
        """The action keys' fields with the actions that take each (the template's
        one cell; the page shows those of the row's action)."""
        return [
            (self[param_name(name)], " ".join(used_by)) for name, (_, used_by) in PARAMS.items()
        ]

    locator_actions = " ".join(WITH_LOCATOR)

    def as_step(self, data: dict[str, Any]) -> dict[str, Any]:
        """The row as the step's JSON shape (only the chosen action's own keys)."""
        spec = actions.SPECS[data["action"]]
        step: dict[str, Any] = {"step": data.get("number"), "action": data["action"]}
        for name in spec.key_names & set(PARAMS):
            value = data.get(param_name(name))
            if value not in (None, ""):
                step[name] = value
        if "locator" in spec.key_names and (data.get("locator_using") or data.get("locator_value")):
            step["locator"] = {
                "using": data.get("locator_using"),
                "value": data.get("locator_value"),
            }
            if data.get("locator_regex"):
                step["locator"]["regex"] = True
            if data.get("locator_index") is not None:
                step["locator"]["index"] = data["locator_index"]
        for key in COMMON:
            if data.get(key) not in (None, ""):
                step[key] = data[key]
        step["optional"] = bool(data.get("optional"))
        return step

    def field_of(self, path: str) -> str | None:
        """The form field a `parse_step` error path is about ("step.locator.value")."""
        parts = path.split(".")[1:]  # without the leading "step"
        if parts[:1] == ["locator"]:
            return LOCATOR_FIELDS.get(parts[1] if len(parts) > 1 else "value")
        name = parts[0] if parts else ""
        if name in PARAMS:
            return param_name(name)
        return name if name in self.fields else None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors or data.get("DELETE") or not data.get("action"):
            return data
        step = self.as_step(data)
        try:
            definition = parse_step(step, data.get("number") or 1, path="step")
        except DefinitionError as exc:
            for path, message in exc.errors.items():
                field = self.field_of(path)
                shown = message if field or path == "step" else f"{path}: {message}"
                self.add_error(field, shown)
            return data
        # The flow as its own form left it (the inline's parent; a new one is unsaved).
        flow = data.get("flow")
        if isinstance(flow, Flow) and flow.platform in PLATFORMS:
            for problem in strategy_problems(words.Platform(flow.platform), [step]).values():
                raise ValidationError({"locator_using": problem})
        self.instance.params = definition.params
        self.instance.locator = definition.locator
        return data
