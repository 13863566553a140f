"""Write docs/openapi.json: the OpenAPI document the HTTP service serves (the published
contract; tests/test_service.py checks that the two are equal).

Run ``python scripts/openapi.py`` after changing a route, a body or a read model.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ogi_workflow.service.app import create_app

TARGET = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(str(Path(folder) / "openapi.sqlite"))
        document = app.openapi()
        app.state.deployment.close()
    text = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    TARGET.write_text(text, encoding="utf-8")
    schemas = len(document["components"]["schemas"])
    print(f"{TARGET}: {len(document['paths'])} paths, {schemas} schemas")


if __name__ == "__main__":
    main()
