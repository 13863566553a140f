"""Write src/ogi_workflow/data/overdue_sqlite.json: the morning list's statements compiled for
SQLite's own driver, which ``ogi-workflow overdue --format csv`` runs without loading
SQLAlchemy (storage/quick.py; tests/test_overdue.py checks the file is current).

Run ``python scripts/overdue_sql.py`` after changing the overdue queries or the schema.
"""

from __future__ import annotations

import json
from pathlib import Path

from ogi_workflow.storage.queries import sqlite_overdue_statements

TARGET = Path(__file__).resolve().parents[1] / "src" / "ogi_workflow" / "data"
TARGET /= "overdue_sqlite.json"


def main() -> None:
    compiled = sqlite_overdue_statements()
    TARGET.write_text(json.dumps(compiled, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(compiled['statements'])} statements for {compiled['revision']}")


if __name__ == "__main__":
    main()
