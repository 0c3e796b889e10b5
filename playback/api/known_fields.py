"""A request body of known fields only: anything else is a 400 naming it (a typo such
as "labels" must not be ignored quietly)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ValidationError


class KnownFieldsSerializer(serializers.Serializer):
    shape = "Send a JSON object."  # what a body that is not an object is told

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [self.shape]})
        allowed = list(self.fields)
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            message = f"Unknown field. Allowed: {', '.join(allowed)}."
            raise ValidationError({key: [message] for key in unknown})
        return super().to_internal_value(data)
