"""Validates the examples of an OpenAPI 3.1 document against their own schemas.

    python validate_openapi_examples.py openapi.json

Every `examples` entry of a component schema, and of a component parameter's schema, is
checked with the standard `jsonschema` validator (draft 2020-12, the dialect of OpenAPI
3.1), `$ref`s resolved inside the document. Prints one line per schema checked; exits 1
naming every example that does not validate.
"""

import json
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = "urn:pitlane:openapi"


def main(path):
    document = json.load(open(path))
    registry = Registry().with_resource(
        DOCUMENT, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    components = document.get("components", {})
    checks = []
    for name, schema in components.get("schemas", {}).items():
        for example in schema.get("examples", []):
            checks.append((f"schemas/{name}", f"#/components/schemas/{name}", example))
    for name, parameter in components.get("parameters", {}).items():
        for example in parameter.get("schema", {}).get("examples", []):
            checks.append(
                (f"parameters/{name}", f"#/components/parameters/{name}/schema", example)
            )
    failures = 0
    for label, pointer, example in checks:
        validator = Draft202012Validator({"$ref": DOCUMENT + pointer}, registry=registry)
        errors = sorted(validator.iter_errors(example), key=lambda e: list(e.absolute_path))
        for error in errors:
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            print(f"{label}: {where}: {error.message}", file=sys.stderr)
        failures += bool(errors)
        print(f"{label} {'invalid' if errors else 'valid'}")
    if failures:
        print(f"{failures} of {len(checks)} examples are invalid", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1])
