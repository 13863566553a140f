"""Write docs/openapi.json, the OpenAPI document the HTTP service serves, and
docs/events/<event>.json, one JSON Schema per event type (the published contract; the tests
check that they are what the code makes).

Run ``python scripts/openapi.py`` after changing a route, a body, a read model or a payload.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ogi_workflow.lifecycle.typed_events import event_schemas
from ogi_workflow.service.app import create_app

DOCS = Path(__file__).resolve().parents[1] / "docs"
TARGET = DOCS / "openapi.json"
EVENTS = DOCS / "events"


def _json(document: object) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(str(Path(folder) / "openapi.sqlite"))
        document = app.openapi()
        app.state.deployment.close()
    TARGET.write_text(_json(document), encoding="utf-8")
    schemas = len(document["components"]["schemas"])
    print(f"{TARGET}: {len(document['paths'])} paths, {schemas} schemas")
    EVENTS.mkdir(exist_ok=True)
    for stale in EVENTS.glob("*.json"):
        stale.unlink()
    events = event_schemas()
    for name, schema in events.items():
        (EVENTS / f"{name}.json").write_text(_json(schema), encoding="utf-8")
    print(f"{EVENTS}: {len(events)} event schemas")


if __name__ == "__main__":
    main()
