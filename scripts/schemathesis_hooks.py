"""Schemathesis hooks for scripts/schemathesis.sh.

An `Idempotency-Key` names one command: the same key (per token subject) with another
request is refused with 422, as the IETF idempotency-key draft asks. The generator cannot
know that, and draws the same few short keys for unrelated cases, so every case that
sends a valid key gets a fresh one. An invalid key (a negative case) is left as drawn.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,200}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key" and VALID_KEY.match(str(headers[name])):
            headers[name] = str(uuid.uuid4())
