"""Schemathesis hooks for scripts/schemathesis.sh: what the OpenAPI document cannot say.

1. An `Idempotency-Key` names one command: the same key (per token subject) with another
   request is refused with 422, as the IETF idempotency-key draft asks. The generator
   cannot know that, and draws the same few short keys for unrelated cases, so every case
   that sends a valid key gets a fresh one. An invalid key (a negative case) is left as
   drawn.

2. Some rules compare two values, which JSON Schema cannot express; each is stated in the
   field's description, enforced by the server with a 422 naming the field, and tested by
   the project's own tests. A case the generator calls valid (positive) but that breaks one
   of them is not sent: it is not a valid request, and the server would rightly refuse it.
   Negative cases are sent as drawn.

3. Some values only the server can issue: a page token (`page_token`: opaque, it encodes
   where the previous page ended) and a consistency token (`X-Consistency-Token`, `?after=`:
   `<stream>:<version>:<position>`, a position the log has reached; one beyond the head is
   refused with 422 at once rather than waited for). A drawn one is well-formed but names
   nothing, so a positive case carrying one is not sent either.
"""

import re
import uuid
from datetime import datetime

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,200}$")
CONSISTENCY_TOKEN = "x-consistency-token"


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and VALID_KEY.match(str(headers[name])):
            headers[name] = str(uuid.uuid4())


def instant(value):
    """An RFC 3339 instant, or None when the value is not one (a negative draw)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def not_after(earlier, later):
    """Both are instants and `later` is not after `earlier`."""
    earlier, later = instant(earlier), instant(later)
    return earlier is not None and later is not None and later <= earlier


def body_field(case, *path):
    value = case.body if isinstance(case.body, dict) else {}
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def query(case, name):
    return (case.query or {}).get(name)


def header(case, name):
    return next((v for k, v in (case.headers or {}).items() if k.lower() == name), None)


def planned_off_its_date(case):
    """A job's slot lies on the planning's date (the path's `date`), start and end."""
    date = (case.path_parameters or {}).get("date")
    start, end = instant(body_field(case, "slot", "start")), instant(body_field(case, "slot", "end"))
    if not (isinstance(date, str) and start and end):
        return False
    return any(moment.date().isoformat() != date for moment in (start, end))


# Rules of two values: the case breaks the rule when the function says True.
COMPARISONS = [
    ("slot.end after slot.start", lambda c: not_after(body_field(c, "slot", "start"), body_field(c, "slot", "end"))),
    ("actual_end after actual_start", lambda c: not_after(body_field(c, "actual_start"), body_field(c, "actual_end"))),
    ("a job's slot on the planning's date", planned_off_its_date),
    ("`to` after `from`", lambda c: not_after(query(c, "from"), query(c, "to"))),
    ("scheduled_to after scheduled_from", lambda c: not_after(query(c, "scheduled_from"), query(c, "scheduled_to"))),
    ("`version` or `at`, not both", lambda c: query(c, "version") is not None and query(c, "at") is not None),
]

# Values only the server issues.
SERVER_ISSUED = [
    ("page_token", lambda c: query(c, "page_token") not in (None, "")),
    ("consistency token header", lambda c: header(c, CONSISTENCY_TOKEN) not in (None, "")),
    ("consistency token ?after=", lambda c: isinstance(query(c, "after"), str) and ":" in query(c, "after")),
]


def is_positive(case):
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return str(getattr(mode, "value", mode)).lower() == "positive"


@schemathesis.hook
def filter_case(ctx, case):
    if not is_positive(case):
        return True
    return not any(broken(case) for _, broken in COMPARISONS + SERVER_ISSUED)
