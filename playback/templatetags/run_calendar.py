"""A date hierarchy for large tables.

Django's own asks the database for the DISTINCT years/months/days of every
matching row; on SQLite that calls a Python function per row (0.3 s for 100,000
runs). This one reads only the first and the last (index lookups) and lists the calendar
between them, so it costs the same whatever the number of rows. A month with no
runs may be listed; it shows an empty list when opened.
"""

from __future__ import annotations

import calendar
import datetime
from typing import Any

from django import template
from django.contrib.admin.views.main import ChangeList
from django.db.models import Subquery
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

register = template.Library()


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + datetime.timedelta(days=32)).replace(day=1)
    return months


@register.inclusion_tag("admin/date_hierarchy.html")
def calendar_hierarchy(cl: ChangeList) -> dict[str, Any]:
    field = cl.date_hierarchy
    year_field, month_field, day_field = f"{field}__year", f"{field}__month", f"{field}__day"
    year, month, day = (cl.params.get(f) for f in (year_field, month_field, day_field))

    def link(filters: dict[str, Any]) -> str:
        return cl.get_query_string(filters, [f"{field}__"])

    # The first and the last by walking the index from each end (an aggregate would
    # read every matching row: 600 ms for a failure group of 148,000 runs).
    rows = cl.queryset.values_list(field, flat=True)
    ends = cl.model.objects.annotate(
        first=Subquery(rows.order_by(field)[:1]), last=Subquery(rows.order_by(f"-{field}")[:1])
    )  # one query: SELECT (the first), (the last) FROM <its table> LIMIT 1
    bounds = ends.values_list("first", "last").first() or (None, None)
    if not all(bounds):
        return {"show": False}
    first, last = (timezone.localtime(bound).date() for bound in bounds)
    if not (year or month or day) and first.year == last.year:
        year = first.year
        if first.month == last.month:
            month = first.month

    if year and month and day:
        chosen = datetime.date(int(year), int(month), int(day))
        return {
            "show": True,
            "back": {
                "link": link({year_field: year, month_field: month}),
                "title": capfirst(formats.date_format(chosen, "YEAR_MONTH_FORMAT")),
            },
            "choices": [{"title": capfirst(formats.date_format(chosen, "MONTH_DAY_FORMAT"))}],
        }
    if year and month:
        last_day = calendar.monthrange(int(year), int(month))[1]
        days = [
            datetime.date(int(year), int(month), d)
            for d in range(1, last_day + 1)
            if first <= datetime.date(int(year), int(month), d) <= last
        ]
        return {
            "show": True,
            "back": {"link": link({year_field: year}), "title": str(year)},
            "choices": [
                {
                    "link": link({year_field: year, month_field: month, day_field: d.day}),
                    "title": capfirst(formats.date_format(d, "MONTH_DAY_FORMAT")),
                }
                for d in days
            ],
        }
    if year:
        return {
            "show": True,
            "back": {"link": link({}), "title": _("All dates")},
            "choices": [
                {
                    "link": link({year_field: year, month_field: m.month}),
                    "title": capfirst(formats.date_format(m, "YEAR_MONTH_FORMAT")),
                }
                for m in months_between(first, last)
                if m.year == int(year)
            ],
        }
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": link({year_field: str(y)}), "title": str(y)}
            for y in range(first.year, last.year + 1)
        ],
    }
