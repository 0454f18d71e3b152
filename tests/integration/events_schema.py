"""docs/events.schema.json, the events' JSON Schema, as a checker for the
integration tests (python3-jsonschema, installed by scripts/setup)."""
import json
import os

import jsonschema

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                      "events.schema.json")

with open(SCHEMA) as f:
    _validator = jsonschema.Draft202012Validator(json.load(f))


def schema_problems(ev):
    """What in one event disagrees with the schema (empty when nothing)."""
    errors = list(_validator.iter_errors(ev))
    if not errors:
        return []
    # oneOf reports every branch; the event's own type names the one that matters
    best = jsonschema.exceptions.best_match(errors)
    where = "/".join(str(p) for p in best.absolute_path) or "event"
    return ["schema: %s: %s" % (where, best.message[:300])]
