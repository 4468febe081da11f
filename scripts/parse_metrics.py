"""Parses a Prometheus text exposition as Prometheus' own Python client does.

    python parse_metrics.py < metrics.txt

Reads the page from stdin with `prometheus_client.parser.text_string_to_metric_families`
(which refuses a malformed page) and prints one JSON object a line per family:
{"name", "type", "help", "samples": [{"name", "labels", "value"}]}.
"""

import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    for family in text_string_to_metric_families(sys.stdin.read()):
        print(
            json.dumps(
                {
                    "name": family.name,
                    "type": family.type,
                    "help": family.documentation,
                    "samples": [
                        {"name": s.name, "labels": s.labels, "value": s.value}
                        for s in family.samples
                    ],
                }
            )
        )


if __name__ == "__main__":
    main()
