"""Visual assertions (assert_screen): the step's keys and their refusals, the pixel
comparison as table tests, and the baselines' life (no baseline → a candidate →
approved → pass → a change fails with a diff → a mask passes), played with the
in-process driver; the API's baselines and their permissions. The web device's
path: tests/integration/test_visual_on_web.py."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw

from flows.definitions import DefinitionError, parse_step
from playback.visual.compare import Rect, compare
from playback.visual.models import Baseline
from tests.scripted_driver import ScriptedDriver

pytestmark = pytest.mark.django_db


def png(size=(40, 30), box=None, colour=(255, 0, 0), mode="RGB", background="white") -> bytes:
    image = Image.new(mode, size, background)
    if box:
        ImageDraw.Draw(image).rectangle(box, fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --- the step ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("step", "path", "message"),
    [
        ({}, "s.name", "Required: a non-empty string"),
        ({"name": ""}, "s.name", "Required: a non-empty string"),
        ({"name": "x" * 101}, "s.name", "At most 100 characters"),
        ({"name": "a", "threshold": 1.5}, "s.threshold", "Must be a number from 0 to 1 (got 1.5)"),
        ({"name": "a", "threshold": "0.1"}, "s.threshold", "Must be a number from 0 to 1"),
        ({"name": "a", "max_diff_ratio": -0.1}, "s.max_diff_ratio", "from 0 to 1 (got -0.1)"),
        ({"name": "a", "max_diff_ratio": True}, "s.max_diff_ratio", "(got True)"),
        ({"name": "a", "masks": "clock"}, "s.masks", "Must be a list of at most 50 masks"),
        ({"name": "a", "masks": [{"x": 1}]}, "s.masks[0]", "Must be a locator"),
        ({"name": "a", "masks": [7]}, "s.masks[0]", "or a rectangle"),
        (
            {"name": "a", "masks": [{"x": 0, "y": 0, "width": 0, "height": 5}]},
            "s.masks[0].width",
            "from 1",
        ),
        ({"name": "a", "masks": [{"using": "id"}]}, "s.masks[0].value", "Required"),
    ],
)
def test_a_bad_assert_screen_step_is_refused_on_its_field(step, path, message):
    with pytest.raises(DefinitionError) as caught:
        parse_step({"action": "assert_screen", **step}, 1, path="s")
    assert message in caught.value.errors[path]


def test_an_assert_screen_step_keeps_its_keys():
    step = parse_step(
        {
            "action": "assert_screen",
            "name": "cart",
            "threshold": 0.2,
            "max_diff_ratio": 0.01,
            "masks": [{"using": "id", "value": "clock"}, {"x": 0, "y": 0, "width": 9, "height": 4}],
        },
        1,
    )
    assert step.params == {
        "name": "cart",
        "threshold": 0.2,
        "max_diff_ratio": 0.01,
        "masks": [{"using": "id", "value": "clock"}, {"x": 0, "y": 0, "width": 9, "height": 4}],
    }


# --- the comparison --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("actual", "threshold", "masks", "pixels"),
    [
        (png(), 0.1, [], 0),  # the same screen
        (png(box=(0, 0, 9, 9)), 0.1, [], 100),  # a red square on white
        (png(box=(0, 0, 9, 9)), 0.1, [Rect(0, 0, 10, 10)], 0),  # masked
        (png(box=(0, 0, 9, 9)), 0.1, [Rect(0, 0, 5, 10)], 50),  # half masked
        (png(box=(0, 0, 9, 9), colour=(250, 250, 250)), 0.1, [], 0),  # under the threshold
        (png(box=(0, 0, 9, 9), colour=(250, 250, 250)), 0.0, [], 100),  # threshold 0: any change
        (png(box=(0, 0, 9, 9), colour=(200, 200, 200)), 0.1, [], 100),
        (png(box=(0, 0, 9, 9), colour=(200, 200, 200)), 0.3, [], 0),
        (png(mode="RGBA", background=(0, 0, 0, 0)), 0.1, [], 0),  # transparent = white
    ],
)
def test_pixels_differ_by_their_yiq_distance_over_the_threshold(actual, threshold, masks, pixels):
    found = compare(png(), actual, threshold=threshold, masks=masks)
    assert found.diff_pixels == pixels
    masked = sum(min(m.width, 40) * min(m.height, 30) for m in masks)
    assert found.compared_pixels == 40 * 30 - masked
    assert (found.diff_png is not None) == (pixels > 0)


def test_the_diff_paints_differing_pixels_red_and_hatches_masks():
    found = compare(png(), png(box=(20, 20, 29, 29)), threshold=0.1, masks=[Rect(0, 0, 10, 10)])
    with Image.open(io.BytesIO(found.diff_png)) as diff:
        assert diff.getpixel((25, 25)) == (255, 0, 0)
        assert diff.getpixel((39, 0)) == (255, 255, 255)  # the rest: the screen, dimmed
        assert (120, 120, 255) in {diff.getpixel((x, 0)) for x in range(10)}  # the hatch


def test_a_size_change_names_both_sizes():
    found = compare(png(size=(40, 30)), png(size=(41, 30)), threshold=0.1)
    assert found.size_error == "the screen is 41x30 px, its baseline 40x30 px: the size changed"


# --- the baselines' life, played ----------------------------------------------------------------
def assert_screen(**keys):
    return {"action": "assert_screen", "name": "home", **keys}


def visual_of(run):
    return run.step_results.get().visual


def test_no_baseline_fails_and_makes_a_candidate_that_approved_passes(
    play, make_flow, device, user
):
    flow = make_flow([assert_screen()])
    first = play(flow, device, driver=ScriptedDriver(screens=[png()]))
    result = first.step_results.get()
    assert result.status == "fail"
    assert "no approved baseline for 'home' on sim 40x30" in result.error
    candidate = Baseline.objects.get(pk=result.visual["candidate_id"])
    assert (candidate.status, candidate.version, candidate.profile) == ("candidate", 1, "sim 40x30")
    assert (candidate.run_id, candidate.step_number) == (first.pk, 1)

    from playback.visual import baselines

    baselines.approve(candidate, user)
    again = play(flow, device, driver=ScriptedDriver(screens=[png()]))
    assert again.step_results.get().status == "pass"
    visual = visual_of(again)
    assert (visual["baseline_id"], visual["diff_pixels"], visual["diff"]) == (candidate.pk, 0, "")
    assert default_storage.exists(visual["actual"])


def test_a_changed_screen_fails_with_a_diff_and_passes_with_the_change_masked(
    play, make_flow, device, user
):
    from playback.visual import baselines

    flow = make_flow([assert_screen()])
    taken = play(flow, device, driver=ScriptedDriver(screens=[png()]))
    baselines.approve(Baseline.objects.get(pk=visual_of(taken)["candidate_id"]), user)
    changed = png(box=(0, 0, 9, 9))
    run = play(flow, device, driver=ScriptedDriver(screens=[changed]))
    result = run.step_results.get()
    assert result.status == "fail"
    assert "differs from its baseline (v1 on sim 40x30): 100 px, 8.33%" in result.error
    assert default_storage.exists(result.visual["diff"])
    assert Baseline.objects.get(pk=result.visual["candidate_id"]).status == "candidate"

    masked = make_flow(
        [assert_screen(masks=[{"x": 0, "y": 0, "width": 10, "height": 10}])], name="masked"
    )
    Baseline.objects.filter(flow=flow).update(flow=masked)
    assert play(masked, device, driver=ScriptedDriver(screens=[changed])).status == "success"
    tolerant = make_flow([assert_screen(max_diff_ratio=0.1)], name="tolerant")
    Baseline.objects.filter(flow=masked).update(flow=tolerant)
    assert play(tolerant, device, driver=ScriptedDriver(screens=[changed])).status == "success"


def test_a_screen_still_moving_passes_on_a_retake_as_flaky(play, make_flow, device, user):
    from playback.visual import baselines

    flow = make_flow([assert_screen()])
    taken = play(flow, device, driver=ScriptedDriver(screens=[png()]))
    baselines.approve(Baseline.objects.get(pk=visual_of(taken)["candidate_id"]), user)
    moving = ScriptedDriver(screens=[png(box=(0, 0, 20, 20)), png()])
    run = play(flow, device, {"retry_per_step": 1}, driver=moving)
    result = run.step_results.get()
    assert result.status == "flaky"
    (attempt,) = result.attempt_log
    assert attempt["visual"]["diff_pixels"] > 0 and result.visual["diff_pixels"] == 0


def test_update_baselines_approves_what_it_takes(play, make_flow, device):
    flow = make_flow([assert_screen()])
    first = play(flow, device, {"update_baselines": True}, driver=ScriptedDriver(screens=[png()]))
    assert first.status == "success"
    second = play(
        flow,
        device,
        {"update_baselines": True},
        driver=ScriptedDriver(screens=[png(box=(1, 1, 3, 3))]),
    )
    assert second.status == "success"
    assert list(Baseline.objects.order_by("version").values_list("version", "status")) == [
        (1, "retired"),
        (2, "approved"),
    ]


def test_element_masks_and_the_status_bar_are_scaled_to_the_screens_pixels(
    play, make_flow, device, user
):
    from playback.visual import baselines

    flow = make_flow([assert_screen(masks=[{"using": "id", "value": "clock"}])])
    # A screen of 40 x 30 px for a device of 20 x 15 points: each point is 2 px.
    driver = ScriptedDriver(
        screens=[png()],
        screen=(20, 15),
        element_bounds={"clock": (0, 0, 5, 5)},
        system_bars=[(0, 10, 20, 5)],
    )
    taken = play(flow, device, driver=driver)
    baselines.approve(Baseline.objects.get(pk=visual_of(taken)["candidate_id"]), user)
    changed = png(box=(0, 0, 9, 9))  # under the clock (10 x 10 px)
    changed_bar = png(box=(0, 20, 39, 29))  # the status bar (the last 10 rows)
    for screen in (changed, changed_bar):
        driver = ScriptedDriver(
            screens=[screen],
            screen=(20, 15),
            element_bounds={"clock": (0, 0, 5, 5)},
            system_bars=[(0, 10, 20, 5)],
        )
        assert play(flow, device, driver=driver).status == "success"


# --- the API ---------------------------------------------------------------------------------
def client_of(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def failed_against_a_baseline(play, make_flow, device, user):
    from playback.visual import baselines

    flow = make_flow([assert_screen()])
    taken = play(flow, device, driver=ScriptedDriver(screens=[png()]))
    baselines.approve(Baseline.objects.get(pk=visual_of(taken)["candidate_id"]), user)
    return play(flow, device, driver=ScriptedDriver(screens=[png(box=(0, 0, 9, 9))]))


def test_the_run_resource_has_the_steps_visual_with_signed_images(
    play, make_flow, device, user, api
):
    from rest_framework.test import APIClient

    run = failed_against_a_baseline(play, make_flow, device, user)
    step = api.get(f"/api/playback/runs/{run.pk}/").json()["steps"][0]
    visual = step["visual"]
    base = f"http://testserver/api/playback/runs/{run.pk}/steps/1/visual/"
    assert visual["baseline"].startswith(f"{base}baseline?sig=")
    assert visual["actual"].startswith(f"{base}actual?sig=")
    assert visual["diff"].startswith(f"{base}diff?sig=")
    assert (visual["diff_pixels"], visual["diff_ratio"]) == (100, 0.083333)
    assert (visual["name"], visual["profile"]) == ("home", "sim 40x30")
    anonymous = APIClient()  # an <img src> sends no token
    for kind in ("baseline", "actual", "diff"):
        answer = anonymous.get(visual[kind])
        assert (answer.status_code, answer["Content-Type"]) == (200, "image/png"), kind
        assert b"".join(answer.streaming_content).startswith(b"\x89PNG")
    assert anonymous.get(f"{base}diff").status_code == 401
    assert api.get(f"/api/playback/runs/{run.pk}/steps/1/attempts/1/visual/diff").status_code == 404


def test_baselines_are_listed_filtered_and_approved_by_editors_only(
    play, make_flow, device, user, member
):
    run = failed_against_a_baseline(play, make_flow, device, user)
    candidate = run.step_results.get().visual["candidate_id"]
    viewer, runner, editor = (client_of(member(g)) for g in ("viewer", "runner", "editor"))
    every = viewer.get("/api/baselines/").json()
    assert [(b["version"], b["status"]) for b in every] == [(2, "candidate"), (1, "approved")]
    assert every[0]["image"] == f"http://testserver/api/baselines/{candidate}/image"
    assert every[0]["run_id"] == run.pk and every[0]["step"] == 1
    flow = every[0]["flow_id"]
    assert len(viewer.get(f"/api/baselines/?flow={flow}&name=home&status=candidate").json()) == 1
    assert viewer.get("/api/baselines/?name=other").json() == []
    bad = viewer.get("/api/baselines/?status=new&color=red")
    assert bad.status_code == 400
    assert set(bad.json()) == {"color"}  # an unknown parameter first
    assert viewer.get("/api/baselines/?status=new").json() == {
        "status": ["One of candidate, approved, retired."]
    }
    assert viewer.get("/api/baselines/?flow=x").status_code == 400
    assert viewer.get(f"/api/baselines/{candidate}/").json()["status"] == "candidate"
    assert viewer.get(f"/api/baselines/{candidate}/image")["Content-Type"] == "image/png"
    assert viewer.post(f"/api/baselines/{candidate}/approve/").status_code == 403
    assert runner.post(f"/api/baselines/{candidate}/approve/").status_code == 403
    approved = editor.post(f"/api/baselines/{candidate}/approve/")
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["approved_by"]) == ("approved", "editor")
    assert [b["status"] for b in viewer.get("/api/baselines/").json()] == ["approved", "retired"]
    again = editor.post(f"/api/baselines/{candidate}/approve/")
    assert again.status_code == 409 and "approved already" in again.json()["detail"]
    assert editor.post("/api/baselines/999999/approve/").status_code == 404


# --- the admin -------------------------------------------------------------------------------
def test_a_failed_visual_step_shows_its_three_screens_and_approves_in_one_click(
    play, make_flow, device, user, admin_client
):
    from django.urls import reverse

    run = failed_against_a_baseline(play, make_flow, device, user)
    candidate = run.step_results.get().visual["candidate_id"]
    page = admin_client.get(reverse("admin:playback_run_change", args=[run.pk])).content.decode()
    for kind in ("baseline", "actual", "diff"):
        assert f'src="/api/playback/runs/{run.pk}/steps/1/visual/{kind}"' in page
    assert 'type="range"' in page  # the slider over baseline and actual
    approve = reverse("admin:playback_baseline_approve", args=[candidate])
    assert f'formaction="{approve}?next=' in page
    back = reverse("admin:playback_run_change", args=[run.pk]) + "#step-1"
    answer = admin_client.post(f"{approve}?next={back.replace('#', '%23')}")
    assert answer.status_code == 302 and answer["Location"] == back
    assert Baseline.objects.get(pk=candidate).status == "approved"


def test_the_baselines_page_lists_each_names_versions_and_approves_several(
    play, make_flow, device, user, admin_client, member, client
):
    from django.urls import reverse

    run = failed_against_a_baseline(play, make_flow, device, user)
    other = play(
        make_flow([assert_screen(name="cart")], name="shop"),
        device,
        driver=ScriptedDriver(screens=[png()]),
    )
    page_url = reverse("admin:playback_baseline_changelist")
    page = admin_client.get(f"{page_url}?flow__id__exact={run.flow_id}").content.decode()
    assert page.count('class="pb-baseline"') == 2  # home v2 (candidate), v1 (approved)
    candidates = list(Baseline.objects.filter(status="candidate").values_list("pk", flat=True))
    assert len(candidates) == 2
    admin_client.post(page_url, {"action": "approve_selected", "_selected_action": candidates})
    assert set(Baseline.objects.values_list("name", "status")) == {
        ("home", "approved"),
        ("home", "retired"),
        ("cart", "approved"),
    }
    assert other.status == "failed"
    client.force_login(member("viewer", staff=True))
    assert (
        client.post(reverse("admin:playback_baseline_approve", args=[candidates[0]])).status_code
        == 403
    )
