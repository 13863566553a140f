"""Chinese labels for enum members, read once from data/labels.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files


@cache
def _table() -> dict[str, dict[str, str]]:
    raw = files("ogi_workflow").joinpath("data/labels.toml").read_bytes()
    return tomllib.loads(raw.decode("utf-8"))


def label(group: str, key: str) -> str:
    """The Chinese label of ``key`` in ``group``; a missing one is a packaging bug."""
    return _table()[group][key]
