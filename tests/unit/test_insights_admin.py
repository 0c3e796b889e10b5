"""The insights in the admin: markers, the flaky steps, the failure groups, a run
compared with the last passing one, a flow's trends as SVG pictures."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.insights_history import SEQUENCE, play_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(play, flow, device):
    return play_history(play, flow, device)


def test_the_runs_list_shows_markers_and_filters_by_them(admin_client, history):
    page = admin_client.get(reverse("admin:playback_run_changelist")).content.decode()
    assert page.count('class="pb-marker pb-marker-new_failure"') == 2
    assert page.count('class="pb-marker pb-marker-fixed"') == 2
    assert page.count('class="pb-marker pb-marker-flaky"') == 1
    marked = admin_client.get(reverse("admin:playback_run_changelist") + "?marker=new_failure")
    ids = re.findall(r"/admin/playback/run/(\d+)/change/", marked.content.decode())
    assert sorted(set(map(int, ids))) == [history[1].pk, history[3].pk]


def test_the_flaky_steps_page_ranks_steps_with_their_attempts_pictured(
    admin_client, history, flow, django_assert_max_num_queries
):
    url = reverse("admin:playback_flakystep_changelist")
    with django_assert_max_num_queries(8):  # the same for 1 flow or 1,000
        response = admin_client.get(url + "?window=10")
    page = response.content.decode()
    rows = re.findall(r'<td class="pb-what">(.*?)</td>', page)
    assert rows == ["tap id=&#x27;b&#x27;"]
    assert "20%" in page and "1 / 5" in page and "attempt 1" in page
    assert page.count("<title>") >= 5 and 'role="img"' in page
    assert admin_client.get(url + "?window=5000").status_code == 200  # shown with the error
    assert (
        "Ensure this value is less than or equal to 200"
        in admin_client.get(url + "?window=5000").content.decode()
    )


def test_the_failure_groups_page_lists_groups_with_their_runs(admin_client, history):
    page = admin_client.get(reverse("admin:playback_failuregroup_changelist")).content.decode()
    assert "Element not found: id=&#x27;b&#x27;" in page
    assert page.count('class="pb-group-runs"') == 2
    key = re.search(r"\?failure_group=([0-9a-f]{16})", page).group(1)
    runs = admin_client.get(reverse("admin:playback_run_changelist") + f"?failure_group={key}")
    assert runs.status_code == 200


def test_a_failed_run_compares_with_the_last_success_before_it_step_by_step(admin_client, history):
    failed = history[3]  # c failed; the last success before it is history[2] (not 4)
    page = admin_client.get(reverse("admin:playback_run_change", args=[failed.pk]))
    page = page.content.decode()
    assert f"Compare with run #{history[2].pk}" in page
    url = reverse("admin:playback_run_compare", args=[failed.pk, history[2].pk])
    compare = admin_client.get(url).content.decode()
    # b was flaky then (2 attempts), c fails now: those two rows differ.
    assert compare.count('class="pb-differs-row"') == 2
    assert "tap id=&#x27;c&#x27;" in compare
    assert 'id="pb-settings-differ"' not in compare  # both played with 1 retry
    first = admin_client.get(reverse("admin:playback_run_change", args=[history[0].pk]))
    assert "Compare with run" not in first.content.decode()  # nothing passed before it


def test_a_compare_puts_the_settings_the_two_runs_played_with_apart_first(admin_client, history):
    url = reverse("admin:playback_run_compare", args=[history[3].pk, history[4].pk])
    compare = admin_client.get(url).content.decode()
    box = compare[compare.index('id="pb-settings-differ"') : compare.index("pb-compare-table")]
    assert f"<strong>1</strong> in run #{history[3].pk}, <strong>0</strong> in run #" in box
    assert "Restart app" not in box  # the same in both


def test_a_flows_page_draws_its_trends_and_the_list_its_recent_results(
    admin_client,
    history,
    flow,
):
    page = admin_client.get(reverse("admin:flows_flow_change", args=[flow.pk])).content.decode()
    assert 'id="pb-trends"' in page
    assert 'pass rate <strong class="pb-rate">60%</strong>' in page
    assert 'flip rate <strong class="pb-rate">100%</strong>' in page
    days = re.search(r'<svg class="pb-chart pb-days".*?</svg>', page, re.S).group(0)
    assert ("3 pass" in days and "2 fail" in days) or "pass" in days
    listing = admin_client.get(reverse("admin:flows_flow_changelist")).content.decode()
    spark = re.search(r'<svg class="pb-chart pb-spark".*?</svg>', listing, re.S).group(0)
    assert spark.count("<rect") == len(SEQUENCE)
    assert f"run #{history[1].pk}: partial success" in spark
