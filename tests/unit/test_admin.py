"""The admin: every page and action, with query counts that do not grow with rows."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from flows.models import Flow, Step
from playback import services, words
from playback.devices import queue as devices_queue
from playback.insights import windows
from playback.models import Device, Run, StepResult
from playback.runs import lifecycle, search
from playback.words import FailureBehaviour, RecordVideo, RunSettings
from tests.helpers import tap

pytestmark = pytest.mark.django_db

TAP = {"action": "tap", "locator": {"using": "id", "value": "ok"}}


def png(width: int = 540, height: int = 1140) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def make_run(flow, device, status="failed", steps=("pass", "flaky", "fail"), **fields) -> Run:
    run = services.start_run(flow=flow, device=device, foreground=True)
    counts = {
        "successful_steps": sum(s in ("pass", "flaky") for s in steps),
        "flaky_steps": steps.count("flaky"),
        "failed_steps": steps.count("fail"),
        "skipped_steps": steps.count("skipped"),
        "blocked_steps": steps.count("blocked"),
    }
    if status not in words.ACTIVE_RUN_STATUSES:
        fields.setdefault("finished_at", datetime.now(UTC))
    Run.objects.filter(pk=run.pk).update(status=status, **counts, **fields)
    image = png()
    for number, step_status in enumerate(steps, start=1):
        result = StepResult(
            run=run,
            step_number=number,
            action="tap",
            status=step_status,
            attempts=2 if step_status in ("flaky", "fail") else 1,
            attempt_errors=["Element not found: id='ok'"]
            if step_status in ("flaky", "fail")
            else [],
            error="Failed after 2 attempts: Element not found" if step_status == "fail" else "",
        )
        if step_status in ("pass", "flaky", "fail"):
            result.screenshot.save("s.png", ContentFile(image), save=False)
        result.save()
    run = Run.objects.get(pk=run.pk)
    search.index_run(run)  # as a run's end does
    if run.status not in words.ACTIVE_RUN_STATUSES:
        windows.record_run(run)
    return run


# No admin page may cost more than this many queries, whatever the number of rows.
MAX_QUERIES = 12


@pytest.fixture
def queries(admin_client, django_assert_max_num_queries):
    """Load a page as the admin; assert its query budget; return (count, response)."""

    def load(url: str) -> tuple[int, object]:
        cache.clear()  # every load does the same work (the runs list caches its total)
        with django_assert_max_num_queries(MAX_QUERIES) as ctx:
            response = admin_client.get(url)
        assert response.status_code == 200, url
        return len(ctx.captured_queries), response

    return load


CHANGELIST = reverse("admin:playback_run_changelist")


# --- runs list ----------------------------------------------------------------------------
def test_runs_list_shows_badges_counts_and_rerun_links(admin_client, flow, device):
    first = make_run(flow, device, duration_ms=1234)
    rerun = make_run(flow, device, status="success", steps=("pass",) * 3, rerun_of=first)
    page = admin_client.get(CHANGELIST).content.decode()
    assert '<span class="pb-badge pb-failed">Failed</span>' in page
    assert 'title="1 flaky">~1</span>' in page
    assert "1.2 s" in page
    assert f'<a href="/admin/playback/run/{first.pk}/change/">#{first.pk}</a>' in page
    assert page.index(f"/admin/playback/run/{rerun.pk}/change/") < page.index(
        f"/admin/playback/run/{first.pk}/change/"
    )  # newest first


def test_runs_list_costs_the_same_queries_for_5_or_40_runs(admin_client, flow, device, queries):
    for _ in range(5):
        make_run(flow, device)
    few, _ = queries(CHANGELIST)
    for _ in range(35):
        make_run(flow, device)
    many, _ = queries(CHANGELIST)
    assert few == many


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("outcome=not_passed", {"failed", "error"}),
        ("outcome=passed", {"success"}),
        ("outcome=active", set()),
        ("status__exact=failed", {"failed"}),
        ("status__exact=success", {"success"}),
        ("flaky=yes", {"failed"}),
        ("flaky=no", {"success", "error"}),
        ("device__platform__exact=sim", {"failed", "success", "error"}),
        ("device__platform__exact=android", set()),
        ("q=Checkout", {"failed", "success", "error"}),
        ("q=emulator-5554", {"failed", "success", "error"}),
        ("q=unreachable", {"error"}),
        ("queued_at__year=2026&queued_at__month=3", {"error"}),
    ],
)
def test_runs_list_filters_and_search(admin_client, flow, device, query, expected, queries):
    make_run(flow, device, status="failed", queued_at=datetime(2026, 1, 5, tzinfo=UTC))
    make_run(flow, device, status="success", steps=("pass",) * 3,
             queued_at=datetime(2026, 2, 5, tzinfo=UTC))  # fmt: skip
    make_run(flow, device, status="error", steps=("blocked",) * 3,
             error="Appium server is unreachable",
             queued_at=datetime(2026, 3, 5, tzinfo=UTC))  # fmt: skip
    _, response = queries(f"{CHANGELIST}?{query}")
    shown = {run.status for run in response.context["cl"].result_list}
    assert shown == expected


def test_runs_list_filters_by_flow_and_device(admin_client, flow, device, make_flow, make_device):
    other = make_run(make_flow([TAP], name="Other"), make_device("http://x:1", device_id="d2"))
    mine = make_run(flow, device)
    for query, run in (
        (f"flow__id__exact={flow.pk}", mine),
        ("device__id__exact=" + str(other.device_id), other),
    ):
        response = admin_client.get(f"{CHANGELIST}?{query}")
        assert [r.pk for r in response.context["cl"].result_list] == [run.pk]


# --- run page -------------------------------------------------------------------------------
def test_run_page_shows_settings_error_timeline_and_every_step(admin_client, flow, device):
    run = make_run(flow, device, error="", duration_ms=900)
    page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    assert "<th>Retries per step</th><td>0</td>" in page
    assert "<th>Run timeout</th><td>1800 seconds</td>" in page
    assert "attempt 1: Element not found: id=&#x27;ok&#x27;" in page
    assert page.count('class="pb-shot"') == 3
    assert reverse("admin:playback_run_thumbnail", kwargs={"run_id": run.pk, "step": 2}) in page
    assert f'href="/api/playback/runs/{run.pk}/"' in page
    assert "queued " in page and "started " in page
    assert 'id="pb-rerun"' in page
    assert "window.location.reload" not in page  # finished: no refreshing
    assert 'name="_save"' not in page  # read-only history


def test_run_page_refreshes_itself_while_the_run_is_active(admin_client, flow, device):
    run = services.start_run(flow=flow, device=device)
    page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    assert "window.location.reload" in page
    assert 'id="pb-cancel"' in page


def test_run_page_costs_the_same_queries_for_3_or_60_steps(admin_client, flow, device, queries):
    small = make_run(flow, device)
    big = make_run(flow, device, steps=("pass", "flaky", "fail") * 20)
    admin_client.get(reverse("admin:playback_run_change", args=[small.pk]))  # warm caches
    few, _ = queries(reverse("admin:playback_run_change", args=[small.pk]))
    many, _ = queries(reverse("admin:playback_run_change", args=[big.pk]))
    assert few == many


def test_thumbnails_are_made_once_and_small(admin_client, flow, device, monkeypatch):
    run = make_run(flow, device)
    url = reverse("admin:playback_run_thumbnail", kwargs={"run_id": run.pk, "step": 1})
    response = admin_client.get(url)
    assert response["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(response.content)) as image:
        assert max(image.size) == 240
    result = run.step_results.get(step_number=1)
    assert default_storage.exists(result.screenshot.name.replace(".png", ".thumb.png"))
    monkeypatch.setattr(Image, "open", lambda *a, **k: pytest.fail("made twice"))
    assert admin_client.get(url).content == response.content


def test_a_missing_screenshot_shows_a_placeholder_not_an_error(admin_client, flow, device):
    run = make_run(flow, device)
    result = run.step_results.get(step_number=1)
    default_storage.delete(result.screenshot.name)
    for name in ("admin:playback_run_thumbnail", "admin:playback_run_screenshot"):
        response = admin_client.get(reverse(name, kwargs={"run_id": run.pk, "step": 1}))
        assert response.status_code == 200
        assert response.content.startswith(b"\x89PNG")
    missing = reverse("admin:playback_run_thumbnail", kwargs={"run_id": 999, "step": 1})
    assert admin_client.get(missing).status_code == 200


def test_full_screenshots_are_served_to_staff(admin_client, client, flow, device):
    run = make_run(flow, device)
    url = reverse("admin:playback_run_screenshot", kwargs={"run_id": run.pk, "step": 2})
    assert admin_client.get(url).content == png()
    assert client.get(url).status_code == 302  # to the login page


# --- actions --------------------------------------------------------------------------------
def post_action(admin_client, action, runs):
    return admin_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [r.pk for r in runs]},
        follow=True,
    )


def test_rerun_failed_queues_failed_runs_and_says_what_it_left_out(admin_client, flow, device):
    failed = make_run(flow, device, status="failed")
    partial = make_run(flow, device, status="partial_success")
    ok = make_run(flow, device, status="success", steps=("pass",) * 3)
    response = post_action(admin_client, "rerun_failed", [failed, partial, ok])
    texts = [str(m) for m in response.context["messages"]]
    new = Run.objects.filter(rerun_of__isnull=False).order_by("pk")
    assert [r.rerun_of_id for r in new] == [failed.pk, partial.pk]
    assert all(r.status == "queued" for r in new)
    assert texts[0].startswith("Queued 2 re-runs: ")
    assert f'<a href="/admin/playback/run/{new[0].pk}/change/">#{new[0].pk}</a>' in texts[0]
    assert texts[1] == (
        f'Left out: <a href="/admin/playback/run/{ok.pk}/change/">#{ok.pk}</a> '
        "(success, not failed)."
    )


def test_rerun_selected_reports_runs_it_could_not_queue(admin_client, flow, device):
    run = make_run(flow, device, status="success", steps=("pass",) * 3)
    Device.objects.filter(pk=device.pk).update(enabled=False)
    response = post_action(admin_client, "rerun_selected", [run])
    assert not Run.objects.filter(rerun_of=run).exists()
    assert "is disabled" in next(str(m) for m in response.context["messages"])


def test_cancel_selected_cancels_queued_and_leaves_finished(admin_client, flow, device):
    queued = services.start_run(flow=flow, device=device)
    finished = make_run(flow, device)
    response = post_action(admin_client, "cancel_selected", [queued, finished])
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    texts = [str(m) for m in response.context["messages"]]
    assert texts == [f"Cancelled 1: #{queued.pk}.", f"Left out: #{finished.pk} (already failed)."]


def test_rerun_and_cancel_buttons_on_the_run_page(admin_client, flow, device):
    run = make_run(flow, device)
    response = admin_client.post(reverse("admin:playback_run_rerun", args=[run.pk]))
    new = Run.objects.get(rerun_of=run)
    assert response["Location"] == reverse("admin:playback_run_change", args=[new.pk])
    admin_client.post(reverse("admin:playback_run_cancel", args=[new.pk]))
    new.refresh_from_db()
    assert new.status == "cancelled"
    assert admin_client.get(reverse("admin:playback_run_rerun", args=[run.pk])).status_code == 405


def test_staff_need_model_permissions(client, django_user_model, flow, device):
    run = make_run(flow, device)
    staff = django_user_model.objects.create_user("lead", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(CHANGELIST).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_run"))
    page = client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    assert 'id="pb-rerun"' not in page
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "rerun_failed" not in response.content.decode()
    assert client.post(reverse("admin:playback_run_rerun", args=[run.pk])).status_code == 403
    assert client.post(reverse("admin:playback_run_cancel", args=[run.pk])).status_code == 403
    assert client.get(reverse("admin:flows_flow_play", args=[flow.pk])).status_code == 403
    assert not Run.objects.filter(rerun_of=run).exists()


# --- flows and devices ----------------------------------------------------------------------
def test_flows_list_shows_steps_last_run_and_pass_rate(
    admin_client, flow, device, make_flow, queries
):
    make_run(flow, device, status="success", steps=("pass",) * 3)
    make_run(flow, device, status="failed")
    make_flow([TAP], name="Unplayed")
    count, response = queries(reverse("admin:flows_flow_changelist"))
    page = response.content.decode()
    assert "50% of 2" in page
    assert '<span class="pb-badge pb-failed">Failed</span>' in page
    for i in range(10):
        make_run(make_flow([TAP], name=f"more {i}"), device)
    assert queries(reverse("admin:flows_flow_changelist"))[0] == count


def test_flow_page_has_ordered_steps_its_last_runs_and_a_play_button(
    admin_client, flow, device, queries
):
    run = make_run(flow, device, status="success", steps=("pass",) * 3)
    _, response = queries(reverse("admin:flows_flow_change", args=[flow.pk]))
    page = response.content.decode()
    assert "Pass rate of the last 1 finished runs: 100%." in page
    assert f"#{run.pk}" in page
    assert reverse("admin:flows_flow_play", args=[flow.pk]) in page


def step_formset(rows):
    data = {
        "name": "Login",
        "platform": "sim",
        "app_id": "com.example",
        "steps-TOTAL_FORMS": str(len(rows)),
        "steps-INITIAL_FORMS": "0",
        "steps-MIN_NUM_FORMS": "0",
        "steps-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"steps-{i}-{key}"] = value
    return data


def test_adding_a_flow_with_steps_in_the_admin(admin_client):
    rows = [
        {"number": "1", "action": "tap", "locator_using": "id", "locator_value": "ok"},
        {"number": "2", "action": "swipe", "p_start_x": "1", "p_start_y": "2", "p_end_x": "3",
         "p_end_y": "4", "p_text": "left over from another action"},
        {"number": "3", "action": "tap", "locator_using": "text", "locator_value": "Sign (in|up)",
         "locator_regex": "on", "locator_index": "1"},
    ]  # fmt: skip
    response = admin_client.post(reverse("admin:flows_flow_add"), step_formset(rows))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    flow = Flow.objects.get(name="Login")
    swipe = flow.steps.get(number=2)
    points = {key: swipe.params[key] for key in ("start_x", "start_y", "end_x", "end_y")}
    assert points == {"start_x": 1, "start_y": 2, "end_x": 3, "end_y": 4}
    assert swipe.params["duration"] == 500  # the spec's default
    assert "text" not in swipe.params and swipe.locator is None  # only the swipe's own keys
    assert flow.steps.get(number=3).locator == {
        "using": "text",
        "value": "Sign (in|up)",
        "regex": True,
        "index": 1,
    }
    # The page shows each step's fields filled in again.
    page = admin_client.get(reverse("admin:flows_flow_change", args=[flow.pk]))
    form = page.context["inline_admin_formsets"][0].formset.forms[2]
    assert form["locator_value"].value() == "Sign (in|up)" and form["locator_regex"].value()
    assert page.context["inline_admin_formsets"][0].formset.forms[1]["p_end_y"].value() == 4


def test_moving_steps_up_and_down_in_the_admin_swaps_their_numbers(admin_client, make_flow):
    flow = make_flow([tap("a"), tap("b"), tap("c")])
    steps = list(flow.steps.order_by("number"))
    data = {**step_formset([]), "name": flow.name, "platform": "sim", "app_id": flow.app_id,
            "steps-TOTAL_FORMS": "3", "steps-INITIAL_FORMS": "3"}  # fmt: skip
    # c moves to the top (a and c swap numbers), b is removed: c 1, a 2.
    for i, (step, number) in enumerate(zip(steps, ("2", "3", "1"), strict=True)):
        data.update({f"steps-{i}-id": str(step.pk), f"steps-{i}-flow": str(flow.pk),
                     f"steps-{i}-number": number, f"steps-{i}-action": "tap",
                     f"steps-{i}-locator_using": "accessibility id",
                     f"steps-{i}-locator_value": step.locator["value"]})  # fmt: skip
    data["steps-1-DELETE"] = "on"
    response = admin_client.post(reverse("admin:flows_flow_change", args=[flow.pk]), data)
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    assert [(s.number, s.locator["value"]) for s in flow.steps.order_by("number")] == [
        (1, "c"),
        (2, "a"),
    ]


def test_a_flows_tags_are_edited_as_words_in_the_admin_and_filtered_by(admin_client, flow):
    rows = [{"number": "1", "action": "tap", "locator_using": "id", "locator_value": "ok"}]
    data = {**step_formset(rows), "tags_text": "Smoke, nightly smoke"}
    response = admin_client.post(reverse("admin:flows_flow_add"), data)
    assert response.status_code == 302
    tagged = Flow.objects.get(name="Login")
    assert tagged.tag_names() == ["nightly", "smoke"]
    page = admin_client.get(reverse("admin:flows_flow_change", args=[tagged.pk])).content.decode()
    assert 'value="nightly, smoke"' in page
    listed = admin_client.get(
        reverse("admin:flows_flow_changelist") + f"?tags__id__exact={tagged.tags.first().pk}"
    ).content.decode()
    assert "Login" in listed and flow.name not in listed
    bad = admin_client.post(reverse("admin:flows_flow_add"), {**data, "name": "x",
                                                              "tags_text": "no/slash"})  # fmt: skip
    assert bad.status_code == 200 and "Tag &#x27;no/slash&#x27;" in bad.content.decode()
    assert not Flow.objects.filter(name="x").exists()


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"number": "1", "action": "tap"}, "__all__",
         "A tap needs a locator or x and y screen coordinates."),
        ({"number": "1", "action": "type"}, "p_text", "Required: the text to type"),
        ({"number": "1", "action": "tap", "locator_using": "css", "locator_value": "a"},
         "locator_using", "Select a valid choice"),
        ({"number": "1", "action": "long_press", "locator_using": "id", "locator_value": "a",
          "p_duration": "soon"}, "p_duration", "Enter a whole number."),
        ({"number": "1", "action": "tap", "locator_using": "-android uiautomator",
          "locator_value": "a"}, "locator_using",
         "A sim flow cannot find elements by '-android uiautomator'"),
        ({"number": "1", "action": "assert"}, "locator_value",
         "Required: the element that must be displayed."),
        ({"number": "1", "action": "tap", "locator_using": "id", "locator_value": "a",
          "locator_regex": "on"}, "locator_regex", 'Only a "text" locator is a regular'),
        ({"number": "1", "action": "swipe", "p_start_x": "1", "p_start_y": "2", "p_end_x": "3",
          "p_end_y": "-4"}, "p_end_y", "Must be from 0 to 100000 (got -4)."),
    ],
)  # fmt: skip
def test_bad_steps_in_the_admin_are_refused_on_their_field(admin_client, row, field, message):
    response = admin_client.post(reverse("admin:flows_flow_add"), step_formset([row]))
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.errors[0]
    assert any(message in text for text in errors.get(field, [])), errors
    assert not Flow.objects.exists()
    assert not Step.objects.exists()


def test_a_web_flow_in_the_admin_needs_a_start_url_and_may_use_css(admin_client, settings):
    settings.PLAYBACK_WEB_ALLOWED_HOSTS = ["shop.example"]  # a lab's host, as written
    row = {"number": "1", "action": "tap", "locator_using": "css selector",
           "locator_value": "#sign-in"}  # fmt: skip
    data = {**step_formset([row]), "platform": "web"}
    response = admin_client.post(reverse("admin:flows_flow_add"), data)
    assert response.status_code == 200
    assert "A web flow&#x27;s app_id is its start URL" in response.content.decode()
    assert not Flow.objects.exists()
    data["app_id"] = "https://shop.example/m/"
    assert admin_client.post(reverse("admin:flows_flow_add"), data).status_code == 302
    assert Flow.objects.get().steps.get().locator["using"] == "css selector"


def test_playing_a_flow_on_a_device_from_the_admin(admin_client, flow, device):
    url = reverse("admin:flows_flow_play", args=[flow.pk])
    page = admin_client.get(url).content.decode()
    assert "emulator-5554" in page
    response = admin_client.post(
        url,
        {"device": device.pk, "retry_per_step": "2", "failure_behaviour": "skip",
         "restart_app": "on", "capture_screenshots": "on"},
    )  # fmt: skip
    run = Run.objects.get()
    assert response["Location"] == reverse("admin:playback_run_change", args=[run.pk])
    assert run.settings == RunSettings(
        restart_app=True,
        clear_data=False,
        retry_per_step=2,
        failure_behaviour=FailureBehaviour.SKIP,
        capture_screenshots=True,
        run_timeout_s=1800,
        record_video=RecordVideo.OFF,  # the server's default in tests
    )


def test_the_play_form_puts_a_refused_setting_on_its_field(admin_client, flow, device, settings):
    settings.PLAYBACK_MAX_RUN_TIMEOUT_S = 600
    response = admin_client.post(
        reverse("admin:flows_flow_play", args=[flow.pk]),
        {"device": device.pk, "retry_per_step": "0", "failure_behaviour": "stop",
         "run_timeout_s": "601"},
    )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "run_timeout_s": ["Must be from 1 to 600 seconds (got 601)."]
    }
    assert not Run.objects.exists()


def test_the_play_action_needs_exactly_one_flow(admin_client, flow, make_flow):
    other = make_flow([TAP])
    url = reverse("admin:flows_flow_changelist")
    response = admin_client.post(
        url, {"action": "play_on_device", "_selected_action": [flow.pk, other.pk]}, follow=True
    )
    assert "Select exactly one flow" in response.content.decode()
    response = admin_client.post(url, {"action": "play_on_device", "_selected_action": [flow.pk]})
    assert response["Location"] == reverse("admin:flows_flow_play", args=[flow.pk])


def test_devices_show_busy_or_free_and_their_last_runs(
    admin_client, flow, device, make_device, queries
):
    run = services.start_run(flow=flow, device=device)
    devices_queue.dispatch_next(device_pk=device.pk)
    make_device("http://x:1", device_id="idle")
    count, response = queries(reverse("admin:playback_device_changelist"))
    page = response.content.decode()
    assert f'busy</span> <a href="/admin/playback/run/{run.pk}/change/">#{run.pk}</a>' in page
    assert '<span class="pb-badge pb-free">free</span>' in page
    page = admin_client.get(reverse("admin:playback_device_change", args=[device.pk])).content
    assert f"#{run.pk}".encode() in page
    assert f'<a href="/admin/flows/flow/{flow.pk}/change/">Checkout</a>'.encode() in page
    for i in range(10):
        make_device("http://x:1", device_id=f"more-{i}")
    assert queries(reverse("admin:playback_device_changelist"))[0] == count


def test_enable_and_disable_devices(admin_client, device):
    url = reverse("admin:playback_device_changelist")
    admin_client.post(url, {"action": "disable", "_selected_action": [device.pk]})
    device.refresh_from_db()
    assert device.enabled is False
    admin_client.post(url, {"action": "enable", "_selected_action": [device.pk]})
    device.refresh_from_db()
    assert device.enabled is True


@pytest.mark.parametrize(
    "name",
    [
        "admin:index",
        "admin:flows_flow_add",
        "admin:playback_device_add",
        "admin:authtoken_tokenproxy_changelist",
        "admin:django_q_schedule_changelist",
        "admin:axes_accessattempt_changelist",
        "admin:axes_accessfailurelog_changelist",
    ],
)
def test_other_admin_pages_load(admin_client, name):
    assert admin_client.get(reverse(name)).status_code == 200


def test_the_admin_refuses_capabilities_too_deep_to_show(admin_client):
    deep = '{"a": ' * 12 + "1" + "}" * 12
    response = admin_client.post(
        reverse("admin:playback_device_add"),
        {"device_id": "deep", "platform": "sim", "appium_url": "http://127.0.0.1:4723",
         "capabilities": deep, "enabled": "on"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "nested deeper than 10 levels" in response.content.decode()
    assert not Device.objects.exists()


def test_runs_are_history_and_cannot_be_deleted(admin_client, api, flow, device):
    run = services.start_run(flow=flow, device=device)
    devices_queue.dispatch_next(device_pk=device.pk)
    assert admin_client.get(reverse("admin:playback_run_delete", args=[run.pk])).status_code == 403
    admin_client.post(reverse("admin:playback_run_delete", args=[run.pk]), {"post": "yes"})
    response = admin_client.post(
        reverse("admin:playback_run_changelist"),
        {"action": "delete_selected", "_selected_action": [run.pk], "post": "yes"},
    )
    assert "delete_selected" not in admin_client.get(CHANGELIST).content.decode()
    assert response.status_code in (200, 302)
    assert api.delete(f"/api/playback/runs/{run.pk}/").status_code in (403, 405)
    assert Run.objects.filter(pk=run.pk).exists()
    assert Device.objects.get(pk=device.pk).current_run_id == run.pk  # still its run's


# --- what a QA lead needed in the first hour -------------------------------------------
def test_the_index_shows_runs_flows_and_devices_first_and_the_machinery_to_superusers(
    admin_client, client, member
):
    apps = admin_client.get(reverse("admin:index")).context["app_list"]
    assert [m["object_name"] for m in apps[0]["models"]] == [
        "Run", "Batch", "BatchSchedule", "Flow", "Device", "FlakyStep", "FailureGroup",
        "Quarantine", "Baseline",
    ]  # fmt: skip
    assert {a["app_label"] for a in apps[-2:]} == {"django_q", "authtoken"}
    lead = member("editor", "lead", staff=True)
    lead.user_permissions.add(Permission.objects.get(codename="view_schedule"))
    client.force_login(lead)
    labels = [a["app_label"] for a in client.get(reverse("admin:index")).context["app_list"]]
    assert "django_q" not in labels and "authtoken" not in labels
    assert "View site" not in client.get(reverse("admin:index")).content.decode()


def test_a_run_page_says_what_each_step_did_and_jumps_to_the_first_failure(
    admin_client, flow, device, play
):
    from tests.scripted_driver import ScriptedDriver

    run = play(flow, device, {"failure_behaviour": "continue"},
               driver=ScriptedDriver(find_failures={"b": 9}))  # fmt: skip
    rerun = services.rerun(run=run)
    page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    assert '<span id="step-2" class="pb-what">tap id=&#x27;b&#x27;</span>' in page
    assert 'href="#step-2" id="pb-first-failure"' in page
    assert f'<a href="/admin/playback/run/{rerun.pk}/change/">#{rerun.pk}</a>' in page  # re-run as
    assert 'id="pb-rerun"' in page and "Delete" not in page and "History" not in page
    viewer = reverse("admin:playback_run_step", args=[run.pk, 2])
    assert f'href="{viewer}"' in page  # a thumbnail opens the viewer, not a raw PNG


def test_the_screenshot_viewer_shows_the_step_and_leads_to_its_neighbours(
    admin_client, flow, device
):
    run = make_run(flow, device)  # pass, flaky, fail
    page = admin_client.get(reverse("admin:playback_run_step", args=[run.pk, 2])).content.decode()
    assert "step 2 of 3" in page
    assert reverse("admin:playback_run_screenshot", args=[run.pk, 2]) in page
    assert f'href="{reverse("admin:playback_run_step", args=[run.pk, 1])}"' in page
    assert f'href="{reverse("admin:playback_run_step", args=[run.pk, 3])}"' in page
    assert "pb-badge pb-flaky" in page and "Element not found" in page


def test_a_running_run_says_which_step_and_a_queued_one_why_it_waits(admin_client, flow, device):
    first = services.start_run(flow=flow, device=device)
    devices_queue.dispatch_next(device_pk=device.pk)
    lifecycle.claim(first.pk)
    second = services.start_run(flow=flow, device=device)
    third = services.start_run(flow=flow, device=device)
    page = admin_client.get(reverse("admin:playback_run_change", args=[first.pk])).content.decode()
    assert "step 1 of 3" in page
    page = admin_client.get(reverse("admin:playback_run_change", args=[third.pk])).content.decode()
    assert f"Device emulator-5554 is playing run #{first.pk}; 1 run ahead of it." in page
    assert second.pk  # the one ahead


def test_the_play_form_picks_the_one_device_that_fits(admin_client, flow, device, make_device):
    url = reverse("admin:flows_flow_play", args=[flow.pk])
    field = admin_client.get(url).context["form"]["device"]
    assert field.value() == device.pk and "---------" not in str(field)
    make_device("http://127.0.0.1:9", device_id="emulator-5556")
    field = admin_client.get(url).context["form"]["device"]
    assert field.value() is None and "---------" in str(field)


def test_a_batch_page_says_its_settings_in_the_apis_words_and_its_mode_filter_reads(
    admin_client, flow, device
):
    from playback.batches.models import Batch

    batch = Batch.objects.create(
        mode="split", settings=RunSettings(retry_per_step=2).stored(), device_ids=[device.pk]
    )
    page = admin_client.get(reverse("admin:playback_batch_change", args=[batch.pk]))
    html = page.content.decode()
    assert "retryPerStep=2" in html and "restartApp=true" in html
    assert "retry_per_step" not in html
    changelist = admin_client.get(reverse("admin:playback_batch_changelist")).content.decode()
    assert "Split across devices" in changelist and "Every flow on every device" in changelist


def test_the_rerun_with_settings_action_offers_the_oldest_runs_settings_for_all_selected(
    admin_client, flow, device
):
    from playback import services

    old = services.start_run(
        flow=flow, device=device, settings=RunSettings(retry_per_step=1), foreground=True
    )
    new = services.start_run(flow=flow, device=device, foreground=True)
    changelist = reverse("admin:playback_run_changelist")
    chosen = {"action": "rerun_with_settings", "_selected_action": [str(new.pk), str(old.pk)]}
    page = admin_client.post(changelist, chosen)
    assert page.status_code == 200
    assert page.context["form"]["retry_per_step"].value() == 1  # the oldest run's
    assert f'value="{old.pk}"' in page.content.decode()
    bad = admin_client.post(changelist, {**chosen, "pb_settings": "1", "retry_per_step": "9"})
    assert bad.status_code == 200 and "retry_per_step" in bad.context["form"].errors
    assert Run.objects.count() == 2  # nothing queued from a refused form
    done = admin_client.post(
        changelist,
        {**chosen, "pb_settings": "1", "retry_per_step": "2", "failure_behaviour": "continue",
         "clear_data": "on", "restart_app": "on", "capture_screenshots": "on",
         "run_timeout_s": "600"},
    )  # fmt: skip
    assert done.status_code == 302
    reruns = Run.objects.exclude(pk__in=[old.pk, new.pk]).order_by("pk")
    assert [r.rerun_of_id for r in reruns] == [old.pk, new.pk]
    assert all((r.settings.retry_per_step, r.settings.clear_data) == (2, True) for r in reruns)


def test_a_rerun_from_the_admin_offers_the_runs_settings_to_change(admin_client, flow, device):
    from playback import services

    run = services.start_run(
        flow=flow, device=device, settings=RunSettings(retry_per_step=1), foreground=True
    )
    page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    url = reverse("admin:playback_run_rerun_settings", args=[run.pk])
    assert url in page
    form = admin_client.get(url).context["form"]
    assert form["retry_per_step"].value() == 1 and form["clear_data"].value() is False
    response = admin_client.post(
        url,
        {"retry_per_step": "2", "failure_behaviour": "continue", "clear_data": "on",
         "restart_app": "on", "capture_screenshots": "on", "run_timeout_s": "600"},
    )  # fmt: skip
    new = Run.objects.exclude(pk=run.pk).get()
    assert response["Location"] == reverse("admin:playback_run_change", args=[new.pk])
    assert new.rerun_of_id == run.pk
    assert (new.settings.retry_per_step, new.settings.clear_data) == (2, True)
    assert new.settings.failure_behaviour == FailureBehaviour.CONTINUE
    refused = admin_client.post(url, {"retry_per_step": "9", "failure_behaviour": "stop"})
    assert refused.status_code == 200 and refused.context["form"].errors
