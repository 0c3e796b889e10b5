from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from flows.definitions import FlowDefinition, StepDefinition, app_id_problem
from playback import words
from playback.actions import summary


class Tag(models.Model):
    """A word flows are picked by ("smoke"); the rules are flows/tags.py's."""

    name = models.CharField(max_length=50, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Flow(models.Model):
    """A recorded test: what to play, on which kind of device, against which app."""

    name = models.CharField(max_length=200, unique=True)
    platform = models.CharField(max_length=16, choices=words.choices(words.Platform))
    app_id = models.CharField(
        "app id",
        max_length=255,
        help_text="Android package, iOS bundle id, or a web app's start URL.",
    )
    tags = models.ManyToManyField(
        Tag, blank=True, related_name="flows", help_text="What batches pick flows by."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        problem = app_id_problem(self.platform, self.app_id or "")
        if problem:
            raise ValidationError({"app_id": problem})

    def as_json(self) -> dict[str, Any]:
        """The flow in the shape `import_flow` reads (flows.definitions)."""
        return {
            "name": self.name,
            "platform": self.platform,
            "app_id": self.app_id,
            "tags": self.tag_names(),
            "steps": [step.definition().as_json() for step in self.steps.all()],
        }

    def tag_names(self) -> list[str]:
        return sorted(tag.name for tag in self.tags.all())  # prefetched where listed

    def set_tags(self, names: tuple[str, ...] | list[str]) -> None:
        """Give the flow exactly these tags (valid ones: flows/tags.py)."""
        Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
        self.tags.set(Tag.objects.filter(name__in=names))

    @classmethod
    def save_definition(
        cls, definition: FlowDefinition, *, flow: Flow | None = None, create: bool = False
    ) -> Flow:
        """Create `flow` (or update the flow of the same name) or replace its fields and
        steps; with `create`, only create: a flow of that name raises IntegrityError
        (the unique name decides between concurrent creates, on every database)."""
        with transaction.atomic():
            if flow is None and not create:
                flow = cls.objects.select_for_update().filter(name=definition.name).first()
            flow = flow or cls(name=definition.name)
            flow.name = definition.name
            flow.platform = definition.platform
            flow.app_id = definition.app_id
            flow.save()
            flow.set_tags(definition.tags)
            flow.steps.all().delete()
            Step.objects.bulk_create(
                [Step.from_definition(flow, step) for step in definition.steps]
            )
        return flow


class Step(models.Model):
    """One recorded step; `params` holds the action's own fields (x/y, swipe, text)."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="steps")
    number = models.PositiveIntegerField()
    action = models.CharField(max_length=32)  # one of playback.actions.SPECS (checked there)
    locator = models.JSONField(null=True, blank=True)
    params = models.JSONField(default=dict, blank=True)
    timeout_ms = models.PositiveIntegerField(null=True, blank=True)
    description = models.CharField(max_length=10_000, blank=True)
    optional = models.BooleanField(
        default=False, help_text="Its failure does not fail the run (the run goes on)."
    )
    retries = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Its own extra attempts (0-3), else the run's setting."
    )

    class Meta:
        ordering = ["flow", "number"]
        constraints = [
            models.UniqueConstraint(fields=["flow", "number"], name="unique_step_number_per_flow"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.summary()}"

    @classmethod
    def from_definition(cls, flow: Flow, step: StepDefinition) -> Step:
        return cls(
            flow=flow,
            number=step.number,
            action=step.action,
            locator=step.locator,
            params=step.params,
            timeout_ms=step.timeout_ms,
            description=step.description,
            optional=step.optional,
            retries=step.retries,
        )

    def definition(self) -> StepDefinition:
        return StepDefinition(
            self.number,
            self.action,
            self.locator,
            dict(self.params or {}),
            self.timeout_ms,
            self.description,
            self.optional,
            self.retries,
        )

    def summary(self) -> str:
        """A one-line description for lists and logs."""
        return summary(self.definition().as_json())
