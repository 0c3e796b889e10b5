"""The schema's named enums (drf-spectacular's ENUM_NAME_OVERRIDES): the words' choices,
so each enum has one name wherever a model, a filter or a serializer uses it."""

from __future__ import annotations

from playback import actions, words

RUN_STATUS = words.choices(words.RunStatus)
STEP_STATUS = words.choices(words.StepStatus)
PLATFORM = words.choices(words.Platform)
ACTION = actions.choices()
