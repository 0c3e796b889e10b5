"""Triage: failure groups' labels (by people, and following similar failures), the
failure categories (Allure's categories.json) and their pages (#24 items 1-3)."""

from __future__ import annotations

import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from playback.insights import categories, triage
from playback.insights.rebuild import rebuild
from playback.models import FailureGroup
from tests.helpers import tap
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


def fail(play, flow, device, *missing: str):
    """A run of `flow` whose taps on `missing` are not found."""
    driver = ScriptedDriver(find_failures={value: 99 for value in missing})
    return play(flow, device, {"failure_behaviour": "continue"}, driver=driver)


def group_of(locator: str) -> FailureGroup:
    return FailureGroup.objects.get(signature__contains=f"'{locator}'")


@pytest.fixture
def checkout(make_flow):
    return make_flow([tap("checkout-button"), tap("pay"), tap("cart-badge-count")])


# --- labels --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "ok"),
    [("", True), ("https://issues.example/SHOP-1", True), ("http://jira/x", True),
     ("javascript:alert(1)", False), ("ftp://files.example/x", False), ("https://", False),
     ("issues.example/SHOP-1", False), ("https://x/" + "a" * 500, False)],
)  # fmt: skip
def test_an_issue_link_is_http_or_https_with_a_host(url, ok):
    assert (triage.issue_url_problem(url) == "") is ok


def test_an_editor_labels_a_group_and_the_list_filters_by_label(api, play, checkout, device):
    fail(play, checkout, device, "pay")
    key = group_of("pay").key
    body = {"label": "product_bug", "comment": "Pay hidden", "issue_url": "https://i.example/7"}
    response = api.patch(f"/api/insights/failure-groups/{key}/", body, format="json")
    assert response.status_code == 200, response.json()
    group = response.json()
    assert (group["label"], group["label_source"], group["labelled_by"]) == (
        "product_bug",
        "manual",
        "qa",
    )
    assert group["comment"] == "Pay hidden" and group["labelled_at"]
    listed = api.get("/api/insights/failure-groups/?label=product_bug").json()
    assert [g["key"] for g in listed] == [key]
    assert api.get("/api/insights/failure-groups/?label=no_defect").json() == []
    assert api.get(f"/api/insights/failure-groups/{key}/").json()["label"] == "product_bug"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"label": "bug"}, "label"), ({"issue_url": "javascript:alert(1)"}, "issue_url"),
     ({"labels": "product_bug"}, "labels"), ({}, "non_field_errors"),
     ({"comment": "x" * 10_001}, "comment")],
)  # fmt: skip
def test_bad_triage_is_a_400_on_its_field_and_changes_nothing(api, play, checkout, device,
                                                             body, field):  # fmt: skip
    fail(play, checkout, device, "pay")
    key = group_of("pay").key
    response = api.patch(f"/api/insights/failure-groups/{key}/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert FailureGroup.objects.get(key=key).label_source == ""


def test_viewers_and_runners_read_groups_but_may_not_label_them(member, play, checkout, device):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    fail(play, checkout, device, "pay")
    key = group_of("pay").key
    for role in ("viewer", "runner"):
        client = APIClient()
        user = member(role)
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        assert client.get(f"/api/insights/failure-groups/{key}/").status_code == 200
        url = f"/api/insights/failure-groups/{key}/"
        assert client.patch(url, {"label": "no_defect"}, format="json").status_code == 403
        assert client.put("/api/insights/categories/", [], format="json").status_code == 403
    assert FailureGroup.objects.get(key=key).label == "to_investigate"


def test_an_unknown_group_is_a_404(api):
    url = "/api/insights/failure-groups/0123456789abcdef/"
    assert api.patch(url, {"label": "no_defect"}, format="json").status_code == 404
    assert api.get("/api/insights/failure-groups/not-a-key/").status_code == 404


def test_a_new_group_like_a_labelled_one_takes_its_label_and_a_person_wins(
    api, play, checkout, device, make_flow
):
    fail(play, checkout, device, "checkout-button")
    labelled = group_of("checkout-button")
    api.patch(f"/api/insights/failure-groups/{labelled.key}/", {"label": "automation_bug"},
              format="json")  # fmt: skip
    # Another flow fails alike (one letter apart), and otherwise (a click refused).
    other = make_flow([tap("checkout-buttons"), tap("cart-badge-count")])
    driver = ScriptedDriver(find_failures={"checkout-buttons": 99},
                            click_failures={"cart-badge-count": 99})  # fmt: skip
    play(other, device, {"failure_behaviour": "continue"}, driver=driver)
    similar = group_of("checkout-buttons")
    unlike = FailureGroup.objects.get(signature__contains="not clickable")
    assert (similar.label, similar.label_source, similar.similar_to) == (
        "automation_bug",
        "similar",
        labelled.key,
    )
    assert (unlike.label, unlike.label_source) == ("to_investigate", "")
    shown = api.get(f"/api/insights/failure-groups/{similar.key}/").json()
    assert (shown["label_source"], shown["similar_to"]) == ("similar", labelled.key)
    # A person's label on it stays, whatever the group it followed says later.
    api.patch(f"/api/insights/failure-groups/{similar.key}/", {"label": "product_bug"},
              format="json")  # fmt: skip
    api.patch(f"/api/insights/failure-groups/{labelled.key}/", {"label": "no_defect"},
              format="json")  # fmt: skip
    fail(play, other, device, "checkout-buttons")
    similar.refresh_from_db()
    assert (similar.label, similar.label_source, similar.similar_to) == (
        "product_bug",
        "manual",
        "",
    )


def test_a_run_that_makes_no_new_group_never_reads_the_labelled_ones(play, checkout, device):
    fail(play, checkout, device, "pay")
    FailureGroup.objects.update(label="product_bug", label_source="manual")
    with CaptureQueriesContext(connection) as queries:
        fail(play, checkout, device, "pay")  # the same group again
    assert not [q for q in queries.captured_queries if "label_source" in q["sql"]]


def test_rebuilding_the_insights_keeps_what_people_decided(api, play, checkout, device):
    fail(play, checkout, device, "pay")
    key = group_of("pay").key
    api.patch(f"/api/insights/failure-groups/{key}/",
              {"label": "system_issue", "comment": "lab wifi"}, format="json")  # fmt: skip
    rebuild()
    group = FailureGroup.objects.get(key=key)
    assert (group.label, group.label_source, group.comment) == (
        "system_issue",
        "manual",
        "lab wifi",
    )


# --- categories -----------------------------------------------------------------------------
RULES = [
    {"name": "Assertions", "matchedStatuses": ["failed"]},
    {"name": "Missing elements", "messageRegex": ".*not found.*", "matchedStatuses": ["broken"]},
    {"name": "Anything broken", "messageRegex": ".*"},
]


@pytest.mark.parametrize(
    ("message", "status", "category"),
    [("Assertion failed: id='x' not displayed", "failed", "Assertions"),
     ("Element not found: id='x'", "broken", "Missing elements"),
     ("Appium session ended", "broken", "Anything broken"),
     ("Element not found: id='x'", "skipped", "")],
)  # fmt: skip
def test_the_first_category_that_matches_names_a_failure(message, status, category):
    rules = categories.parse(RULES)
    assert categories.allure_status(message) == ("failed" if "Assertion" in message else "broken")
    assert categories.category_of(rules, message, status) == category


@pytest.mark.parametrize(
    ("data", "path"),
    [({"name": "x"}, "non_field_errors"), ([{"messageRegex": ".*"}], "[0].name"),
     ([{"name": "x", "messageRegex": "(unclosed"}], "[0].messageRegex"),
     ([{"name": "x", "traceRegex": "[z-a]"}], "[0].traceRegex"),
     ([{"name": "x", "matchedStatuses": ["red"]}], "[0].matchedStatuses"),
     ([{"name": "x", "colour": "red"}], "[0]"), (["x"], "[0]")],
)  # fmt: skip
def test_bad_categories_name_what_to_fix(data, path):
    with pytest.raises(categories.CategoriesError) as refused:
        categories.parse(data)
    assert path in refused.value.errors


def test_a_pathological_pattern_gives_up_within_its_time_limit():
    rules = categories.parse([{"name": "slow", "messageRegex": "(x+x+)+y"}])
    started = time.monotonic()
    assert categories.category_of(rules, "x" * 5000, "broken") == ""
    assert time.monotonic() - started < 1


def test_categories_are_replaced_whole_and_a_broken_one_keeps_the_list(api, play, checkout, device):
    assert api.put("/api/insights/categories/", RULES, format="json").status_code == 200
    assert api.get("/api/insights/categories/").json() == RULES
    bad = [*RULES, {"name": "broken", "messageRegex": "(oops"}]
    response = api.put("/api/insights/categories/", bad, format="json")
    assert response.status_code == 400 and "[3].messageRegex" in response.json()
    assert "(oops" in response.json()["[3].messageRegex"][0]
    assert api.get("/api/insights/categories/").json() == RULES
    fail(play, checkout, device, "pay")
    group = api.get("/api/insights/failure-groups/").json()[0]
    assert (group["status"], group["category"]) == ("broken", "Missing elements")


# --- the admin ------------------------------------------------------------------------------
def test_a_lead_labels_groups_in_the_admin_one_and_many_and_sees_them_on_flow_and_run(
    admin_client, play, checkout, device
):
    run = fail(play, checkout, device, "pay", "cart-badge-count")
    pay, badge = group_of("pay"), group_of("cart-badge-count")
    page = reverse("admin:playback_failuregroup_group", args=[pay.key])
    form = {"label": "product_bug", "comment": "hidden", "issue_url": "https://i.example/1"}
    assert admin_client.post(page, form).status_code == 302
    pay.refresh_from_db()
    assert (pay.label, pay.labelled_by.username) == ("product_bug", "admin")
    bad = admin_client.post(page, {**form, "issue_url": "javascript:x"})
    assert bad.status_code == 200 and "http:// or https://" in bad.content.decode()
    # Several at once from the list; the list filters by label.
    groups = reverse("admin:playback_failuregroup_changelist")
    chosen = {"groups": [pay.key, badge.key], "label": "system_issue", "comment": ""}
    assert admin_client.post(groups, chosen).status_code == 302
    assert set(FailureGroup.objects.values_list("label", flat=True)) == {"system_issue"}
    listed = admin_client.get(groups + "?label=system_issue").content.decode()
    assert listed.count('class="pb-group"') == 2
    assert 'class="pb-group"' not in admin_client.get(groups + "?label=no_defect").content.decode()
    flow_page = admin_client.get(reverse("admin:flows_flow_change", args=[checkout.pk]))
    assert flow_page.content.decode().count("pb-triage-system_issue") == 2
    run_page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk]))
    assert run_page.content.decode().count('class="pb-triage pb-triage-system_issue"') == 2


def test_a_viewer_sees_the_groups_but_cannot_label_them(client, member, play, checkout, device):
    fail(play, checkout, device, "pay")
    client.force_login(member("viewer", staff=True))
    key = group_of("pay").key
    page = client.get(reverse("admin:playback_failuregroup_group", args=[key]))
    assert page.status_code == 200 and "pb-triage-form" not in page.content.decode()
    posted = client.post(reverse("admin:playback_failuregroup_group", args=[key]),
                         {"label": "no_defect"})  # fmt: skip
    assert posted.status_code == 403


def test_the_categories_page_imports_the_file_and_refuses_a_broken_regex(admin_client):
    url = reverse("admin:playback_categories")
    upload = SimpleUploadedFile("categories.json", json.dumps(RULES).encode())
    assert admin_client.post(url, {"rules": "", "upload": upload}).status_code == 302
    assert categories.load() == categories.parse(RULES)
    page = admin_client.get(url).content.decode()
    assert "Missing elements" in page
    broken = json.dumps([{"name": "x", "messageRegex": "(oops"}])
    refused = admin_client.post(url, {"rules": broken})
    assert refused.status_code == 200 and "[0].messageRegex" in refused.content.decode()
    assert len(categories.load()) == 3


def test_the_groups_page_costs_the_same_queries_for_five_groups_or_fifty(
    admin_client, play, make_flow, device
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def load() -> int:
        with CaptureQueriesContext(connection) as ctx:
            page = admin_client.get(reverse("admin:playback_failuregroup_changelist"))
        assert page.status_code == 200
        return len(ctx.captured_queries)

    categories.save(categories.parse([{"name": "Missing", "messageRegex": ".*not found.*"}]))
    names = [f"missing-{n}" for n in range(50)]
    flow = make_flow([tap(name) for name in names])
    fail(play, flow, device, *names[:5])
    few = load()
    fail(play, flow, device, *names)
    FailureGroup.objects.filter(signature__contains="missing-1").update(
        label="product_bug", label_source="manual"
    )
    assert FailureGroup.objects.count() == 50
    assert load() == few
