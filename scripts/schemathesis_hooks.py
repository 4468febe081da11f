"""Schemathesis hooks for scripts/schemathesis.sh: what the OpenAPI document cannot say.

1. An `Idempotency-Key` names one command: the same key (per token subject) with another
   request is refused with 422, as the IETF idempotency-key draft asks. The generator
   cannot know that, and draws the same few short keys for unrelated cases, so every case
   that sends a valid key gets a fresh one. Negative cases are left as drawn: the server
   refuses them before it looks at the key, and editing a case makes schemathesis
   re-judge it (a case missing its `Authorization` on purpose would be sent with it).

2. Some rules compare two values, which JSON Schema cannot express; each is stated in the
   field's description, enforced by the server with a 422 naming the field, and tested by
   the project's own tests: a slot ends after it starts, a job's slot lies on its
   planning's date, a finish's `actual_end` follows its `actual_start`, a range's `to`
   follows its `from`, a state is asked at a `version` or `at` an instant, not both. A case
   the generator calls valid (positive) is put in order before it is sent (the later
   value moved after the earlier, the path's date set to the slot's); negative cases are
   sent as drawn.

3. Some values only the server can issue: a page token (`page_token`: opaque, it encodes
   where the previous page ended) and a consistency token (`X-Consistency-Token`, `?after=`:
   `<stream>:<version>:<position>`, a position the log has reached; one beyond the head is
   refused with 422 at once rather than waited for). A drawn one is well-formed but names
   nothing, so a positive case carrying one is not sent (nor one asking a state at both a
   `version` and a time).

Filtering such cases out instead would discard most of some operations' draws (a random
planning date almost never matches a random slot), which Hypothesis reports as a failed
health check.
"""

import re
import uuid
from datetime import datetime, timedelta, timezone

import schemathesis

VALID_KEY = re.compile(r"^[\t -~]{1,200}\Z")
CONSISTENCY_TOKEN = "x-consistency-token"


def is_positive(case):
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return str(getattr(mode, "value", mode)).lower() == "positive"


def instant(value):
    """An RFC 3339 instant, or None when the value is not one."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def rfc3339(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def in_order(container, earlier, later):
    """Puts `container[later]` after `container[earlier]` when both are instants or both
    whole numbers and it is not: swapped, or, when equal, a second apart. Instants keep
    the form they were written in (the year as written is what the API bounds)."""
    if not isinstance(container, dict):
        return
    first, second = container.get(earlier), container.get(later)
    if isinstance(first, int) and isinstance(second, int) and not isinstance(first, bool):
        if second < first:
            container[earlier], container[later] = second, first
        return
    start, end = instant(first), instant(second)
    if start is None or end is None or end > start:
        return
    if end < start:
        container[earlier], container[later] = second, first
        return
    later_by_a_second = (start + timedelta(seconds=1)).isoformat()
    if later_by_a_second[:4] == first[:4]:
        container[later] = later_by_a_second
    else:  # the last second of a year: the start moves back instead
        container[earlier] = (start - timedelta(seconds=1)).isoformat()


def on_planning_date(case):
    """A job's slot lies on the path's planning date: the date becomes the slot start's
    (UTC), and an end on another day or not after the start becomes the start plus an hour."""
    slot = case.body.get("slot") if isinstance(case.body, dict) else None
    path = case.path_parameters or {}
    if not isinstance(slot, dict) or "date" not in path:
        return
    start, end = instant(slot.get("start")), instant(slot.get("end"))
    if start is None or end is None:
        return
    start = start.astimezone(timezone.utc)
    end = end.astimezone(timezone.utc)
    if not 2000 <= start.year <= 2099:  # written in 2099 or 2000, another year in UTC
        start, end = start.replace(year=2048), end.replace(year=2048)  # a leap year
    if end <= start or end.date() != start.date():
        end = min(start + timedelta(hours=1), start.replace(hour=23, minute=59, second=59))
        if end <= start:
            start = start.replace(hour=23, minute=0, second=0)
            end = start + timedelta(minutes=30)
    slot["start"], slot["end"] = rfc3339(start), rfc3339(end)
    path["date"] = start.date().isoformat()


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    if not is_positive(case):
        return
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and VALID_KEY.match(str(headers[name])):
            headers[name] = str(uuid.uuid4())
    # The stateful phase fills linked values in after `map_case` (one captured instant
    # can become both ends of a slot): put them in order again as the case is sent.
    put_in_order(case)


@schemathesis.hook
def map_case(ctx, case):
    """2. Rules of two values, put in order in positive cases as they are drawn."""
    if not is_positive(case):
        return case
    put_in_order(case)
    return case


def put_in_order(case):
    body = case.body if isinstance(case.body, dict) else {}
    in_order(body.get("slot"), "start", "end")
    in_order(body, "actual_start", "actual_end")
    on_planning_date(case)
    query = case.query if isinstance(case.query, dict) else {}
    in_order(query, "from", "to")
    in_order(query, "scheduled_from", "scheduled_to")
    in_order(query, "from_position", "to_position")


def header(case, name):
    return next((v for k, v in (case.headers or {}).items() if k.lower() == name), None)


# The document's UUID path parameters (`UUID_PARAMETERS` in bff/src/openapi/conventions.rs).
UUID_PARAMETERS = {"customer_id", "delivery_id", "driver_id", "incident_id", "job_id", "route_id", "technician_id"}
UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")


def mislinked(case):
    """The stateful phase links calls by response field names, and every command answers
    the same `CommandResult` whose `id` may be a license number: a case it calls positive
    can carry a license number in a UUID path parameter (`route_id`), which the schema
    does not admit. Not a valid request, so not sent."""
    return any(
        name in UUID_PARAMETERS and isinstance(value, str) and not UUID.match(value)
        for name, value in (case.path_parameters or {}).items()
    )


# Cases a positive draw cannot repair, not sent (a deletion in `before_call` does not
# reach the request: schemathesis sends the headers and query it generated).
NOT_SENT = [
    ("`version` or `at`, not both", lambda q, c: q.get("version") is not None and q.get("at") is not None),
    ("page_token", lambda q, c: q.get("page_token") not in (None, "")),
    ("consistency token ?after=", lambda q, c: isinstance(q.get("after"), str) and ":" in q.get("after")),
    ("consistency token header", lambda q, c: header(c, CONSISTENCY_TOKEN) is not None),
    ("a license number linked into a UUID parameter", lambda q, c: mislinked(c)),
]


@schemathesis.hook
def filter_case(ctx, case):
    if not is_positive(case):
        return True
    query = case.query if isinstance(case.query, dict) else {}
    return not any(broken(query, case) for _, broken in NOT_SENT)
