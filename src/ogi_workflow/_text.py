"""Hygiene for text at the boundary: what a letter, a database column or a log line can hold.

NUL and other control characters make a request that can never be written as .docx (XML 1.0
forbids them) and hide text in logs; bidirectional controls (U+202A–U+202E, U+2066–U+2069)
make a name read differently from what is stored. Both are refused, with the field named.
Line breaks and tabs are allowed in multi-line fields only.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

__all__ = ["MAX_TEXT", "shown", "text_problem"]

MAX_TEXT: Final = 10_000  # characters in a free-text field
_BIDI: Final = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAK: Final = re.compile("[\r\n\t\u2028\u2029\x85]")


def text_problem(value: str, *, multiline: bool = True) -> tuple[str, str] | None:
    """What is wrong with ``value`` as (error key, English), or None."""
    if _CONTROL.search(value):
        return "control_character", "contains a control character (NUL, U+0001–U+001F …)"
    if _BIDI.search(value):
        return "bidi_control", "contains a bidirectional control character (U+202E …)"
    if not multiline and _LINE_BREAK.search(value):
        return "control_character", "a one-line field contains a line break or tab"
    return None


def shown(value: object) -> str:
    """``value`` as an error message quotes it: a date or an instant in ISO form (never a
    Python repr such as ``datetime.date(2026, 3, 2)``), anything else as its repr."""
    return value.isoformat() if isinstance(value, date) else repr(value)
