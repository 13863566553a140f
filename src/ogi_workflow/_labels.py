"""Chinese labels for enum members, read once from data/labels.toml."""

from __future__ import annotations

import re
import tomllib
from enum import StrEnum
from functools import cache
from importlib.resources import files


@cache
def _table() -> dict[str, dict[str, str]]:
    raw = files("ogi_workflow").joinpath("data/labels.toml").read_bytes()
    return tomllib.loads(raw.decode("utf-8"))


def label(group: str, key: str) -> str:
    """The Chinese label of ``key`` in ``group``; a missing one is a packaging bug."""
    return _table()[group][key]


class LabelledEnum(StrEnum):
    """A closed set whose members carry a Chinese label from data/labels.toml.

    The table is the class name in snake_case (``DayKind`` → ``[day_kind]``), the key the
    member's value.
    """

    @property
    def label(self) -> str:
        group = re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()
        return label(group, self.value)
