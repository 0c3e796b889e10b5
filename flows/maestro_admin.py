"""The flows admin's Maestro page: import a Maestro YAML file as a flow (what does
not map is shown by line, or dropped when asked), and each flow's export link."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from flows import maestro
from flows.maestro.reading import MAX_BYTES
from flows.models import Flow
from playback import words
from playback.words import Platform


class MaestroImportForm(forms.Form):
    file = forms.FileField(
        required=False, help_text="A Maestro flow (.yaml): appId or url, name, ---, commands."
    )
    text = forms.CharField(
        required=False,
        label="Or paste it",
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "spellcheck": "false"}),
    )
    platform = forms.ChoiceField(
        required=False,
        choices=[("", "(a url: flow is web)"), *words.choices(Platform)],
        help_text="The device a flow with appId plays on.",
    )
    name = forms.CharField(required=False, max_length=200, help_text="Else the config's name.")
    drop_unsupported = forms.BooleanField(
        required=False,
        label="Drop what does not map",
        help_text="Import the rest; the commands left out are listed.",
    )

    def raw(self) -> bytes:
        upload = self.cleaned_data.get("file")
        if upload is not None:
            if upload.size > MAX_BYTES:
                raise forms.ValidationError(f"The file is larger than {MAX_BYTES // 1024} KB.")
            return upload.read()
        text = self.cleaned_data.get("text") or ""
        if not text.strip():
            raise forms.ValidationError("Choose a file, or paste the flow.")
        return text.encode()


class MaestroAdmin:
    """A mixin of the flows admin: the import page and its URL."""

    def get_urls(self):
        return [
            path(
                "import-maestro/",
                self.admin_site.admin_view(self.import_maestro_view),
                name="flows_flow_import_maestro",
            ),
            *super().get_urls(),
        ]

    def import_maestro_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied("You may not add flows.")
        form = MaestroImportForm(request.POST or None, request.FILES or None)
        unsupported: list[dict[str, Any]] = []
        if request.method == "POST" and form.is_valid():
            try:
                flow, dropped = self.import_flow(form)
            except maestro.Refused as exc:
                unsupported = exc.unsupported
            except (maestro.MaestroError, maestro.DefinitionError) as exc:
                for field, message in exc.errors.items():
                    form.add_error(None, f"{field}: {message}")
            except forms.ValidationError as exc:
                form.add_error(None, exc)
            else:
                note = f" ({len(dropped)} commands dropped)" if dropped else ""
                self.message_user(request, f"Imported {flow.name} with its steps{note}.")
                for entry in dropped:
                    self.message_user(
                        request,
                        f"Dropped line {entry['line']}: {entry['command']}: {entry['reason']}",
                        messages.WARNING,
                    )
                return HttpResponseRedirect(reverse("admin:flows_flow_change", args=[flow.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import a Maestro flow",
            "form": form,
            "unsupported": unsupported,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/flows/flow/import_maestro.html", context)

    def import_flow(self, form: MaestroImportForm) -> tuple[Flow, list[dict[str, Any]]]:
        definition, dropped = maestro.read_definition(
            form.raw(),
            platform=form.cleaned_data["platform"] or None,
            name=form.cleaned_data["name"] or None,
            drop_unsupported=form.cleaned_data["drop_unsupported"],
        )
        if Flow.objects.filter(name=definition.name).exists():
            raise forms.ValidationError(f"A flow named {definition.name!r} already exists.")
        try:
            return Flow.save_definition(definition, create=True), dropped
        except IntegrityError:
            raise forms.ValidationError(
                f"A flow named {definition.name!r} already exists."
            ) from None
