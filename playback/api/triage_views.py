"""Acting on what the history says, over the API: a failure group's triage (PATCH
/api/insights/failure-groups/{key}/) and the failure categories (GET|PUT
/api/insights/categories/). Whoever may see runs reads them; editors and admins
change them (viewers and runners: 403)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from playback.api.insights_views import FailureGroupSerializer
from playback.api.known_fields import KnownFieldsSerializer
from playback.insights import categories, triage
from playback.insights.lists import failure_groups
from playback.insights.models import FailureGroup


class ReadOrChange(BasePermission):
    """Reading: whoever may see runs; changing: `change_perm` (editors, admins)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return user.has_perm("playback.view_run")
        return user.has_perm(view.change_perm)


class TriageSerializer(KnownFieldsSerializer):
    label = serializers.ChoiceField(choices=[label.value for label in triage.TriageLabel])
    comment = serializers.CharField(
        allow_blank=True, max_length=triage.MAX_COMMENT, trim_whitespace=False
    )
    issue_url = serializers.CharField(allow_blank=True, max_length=500)

    shape = "Send a JSON object with label, comment and/or issue_url."

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if data == {}:
            raise ValidationError({"non_field_errors": [self.shape]})
        return super().to_internal_value(data)

    def validate_issue_url(self, value: str) -> str:
        problem = triage.issue_url_problem(value)
        if problem:
            raise ValidationError(problem)
        return value


class FailureGroupView(APIView):
    permission_classes = [ReadOrChange]
    change_perm = "playback.change_failuregroup"

    def group(self, key: str) -> dict[str, Any]:
        found = failure_groups(keys=[key], limit=1)
        if not found:
            raise NotFound(f"No failure group {key!r}.")
        return found[0]

    @extend_schema(
        summary="A failure group, with its triage and category",
        description=(
            "Its signature, counts, flows, devices and example runs; its label (who set "
            "it, when, or the similar group it followed), comment, issue link; its "
            "status as Allure names it and its category."
        ),
        responses={200: FailureGroupSerializer},
    )
    def get(self, request: Request, key: str) -> Response:
        return Response(FailureGroupSerializer(self.group(key)).data)

    @extend_schema(
        summary="Triage a failure group: its label, comment and issue link",
        description=(
            "label: to_investigate, product_bug, automation_bug, system_issue or no_defect; "
            "issue_url: http(s) only. A person's label is `label_source: manual` and always "
            "wins over one a similar group gave (`similar`). Editors and admins only."
        ),
        request=TriageSerializer(partial=True),
        responses={200: FailureGroupSerializer},
        examples=[
            OpenApiExample(
                "a product bug",
                value={
                    "label": "product_bug",
                    "comment": "Checkout button hidden on small screens",
                    "issue_url": "https://issues.example/SHOP-412",
                },
                request_only=True,
            )
        ],
    )
    def patch(self, request: Request, key: str) -> Response:
        group = FailureGroup.objects.filter(key=key).first()
        if group is None:
            raise NotFound(f"No failure group {key!r}.")
        body = TriageSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        triage.label_groups([group], request.user, **body.validated_data)
        return Response(FailureGroupSerializer(self.group(key)).data)


class CategorySerializer(serializers.Serializer):
    name = serializers.CharField()
    messageRegex = serializers.CharField(required=False)
    traceRegex = serializers.CharField(required=False)
    matchedStatuses = serializers.ListField(
        child=serializers.ChoiceField(choices=categories.STATUSES), required=False
    )


class CategoriesView(APIView):
    permission_classes = [ReadOrChange]
    change_perm = "playback.change_category"

    @extend_schema(
        summary="The failure categories (Allure's categories.json)",
        description="In order; the first that matches a failure names its category.",
        responses={200: CategorySerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response([rule.as_json() for rule in categories.load()])

    @extend_schema(
        summary="Replace the failure categories (Allure's categories.json)",
        description=(
            "The whole ordered list. Each regex is compiled first: a broken one is a 400 "
            "naming it, and the list stays as it was. Matched with a time limit per text. "
            "Editors and admins only."
        ),
        request=CategorySerializer(many=True),
        responses={200: CategorySerializer(many=True)},
        examples=[
            OpenApiExample(
                "two categories",
                value=[
                    {
                        "name": "Element not found",
                        "messageRegex": ".*not found.*",
                        "matchedStatuses": ["broken"],
                    },
                    {"name": "Assertions", "matchedStatuses": ["failed"]},
                ],
                request_only=True,
            )
        ],
    )
    def put(self, request: Request) -> Response:
        rules = categories.parse(request.data)  # CategoriesError: a 400 naming the regex
        categories.save(rules)
        return Response([rule.as_json() for rule in rules])
