#!/usr/bin/env python3
"""Validate a YNL netlink spec against a JSON schema (draft-07, written in YAML).

Usage: python3 Tools/validate-spec.py SPEC SCHEMA

Prints "valid" and exits 0 when SPEC conforms to SCHEMA. Otherwise prints one
line per violation, "<path in the spec>: <message>", and exits 1. Exits 2 on a
usage error.
"""

import sys

try:
    import jsonschema
    import yaml
except ImportError as err:  # pragma: no cover - depends on the machine
    print(f"validate-spec: missing python module: {err.name}", file=sys.stderr)
    sys.exit(2)


def load_yaml(path):
    """Parse the YAML document at path, or exit 1 with the reason."""
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as err:
        print(f"{path}: cannot read: {err.strerror}")
    except yaml.YAMLError as err:
        print(f"{path}: not valid YAML: {err}")
    sys.exit(1)


def location(error):
    """Render where in the spec an error is, like attribute-sets[5].attributes[3].type."""
    text = ""
    for part in error.absolute_path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def sort_key(error):
    """Order errors by where they are, indexes numerically."""
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part))
            for part in error.absolute_path]


def main(argv):
    if len(argv) != 3:
        print("usage: validate-spec.py SPEC SCHEMA", file=sys.stderr)
        return 2
    spec_path, schema_path = argv[1], argv[2]
    spec = load_yaml(spec_path)
    schema = load_yaml(schema_path)

    validator_class = jsonschema.Draft7Validator
    try:
        validator_class.check_schema(schema)
    except jsonschema.exceptions.SchemaError as err:
        print(f"{schema_path}: not a valid draft-07 schema: {err.message}")
        return 1

    validator = validator_class(schema)
    errors = sorted(validator.iter_errors(spec), key=sort_key)
    if not errors:
        print("valid")
        return 0
    for error in errors:
        print(f"{spec_path}: {location(error)}: {error.message}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
