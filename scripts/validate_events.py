"""Validates events as a Kafka consumer outside Pitlane would: each line of the file is
`{"event_type": ..., "payload": ...}`, checked against the JSON Schema the platform
publishes for that type (contracts/schemas/<event_type>.json), with Python's standard
`jsonschema` package. Prints one line per event type (`<type> <count>`), and exits 1
naming the first event that does not validate, or 2 for a type without a schema.

    python validate_events.py SCHEMA_DIR EVENTS.jsonl
"""

import collections
import json
import pathlib
import sys

import jsonschema


def main(schema_dir: str, events: str) -> int:
    validators = {}
    counts = collections.Counter()
    for number, line in enumerate(open(events, encoding="utf-8"), start=1):
        event = json.loads(line)
        event_type = event["event_type"]
        if event_type not in validators:
            path = pathlib.Path(schema_dir) / f"{event_type}.json"
            if not path.exists():
                print(f"line {number}: no schema for {event_type}", file=sys.stderr)
                return 2
            schema = json.loads(path.read_text(encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
            validators[event_type] = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            )
        errors = list(validators[event_type].iter_errors(event["payload"]))
        if errors:
            print(f"line {number}: {event_type}: {errors[0].message}", file=sys.stderr)
            return 1
        counts[event_type] += 1
    for event_type, count in sorted(counts.items()):
        print(event_type, count)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
