"""The package's own data files (TOML under ``data/``), read once, and labelled enums."""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["LabelledEnum", "label", "load_toml"]


@cache
def load_toml(name: str) -> dict[str, Any]:
    """A TOML file of the package, e.g. ``data/outcomes.toml``; parsed once per process."""
    return tomllib.loads(files("ogi_workflow").joinpath(name).read_text(encoding="utf-8"))


def label(group: str, key: str) -> str:
    """The Chinese label of ``key`` in ``group`` of data/labels.toml (missing: a packaging bug)."""
    return str(load_toml("data/labels.toml")[group][key])


class LabelledEnum(StrEnum):
    """A closed set whose members carry a Chinese label from data/labels.toml.

    The table is the class name in snake_case (``DayKind`` → ``[day_kind]``), the key the
    member's value.
    """

    @property
    def label(self) -> str:
        group = re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()
        return label(group, self.value)
