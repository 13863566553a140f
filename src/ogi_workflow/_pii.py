"""Masking personal data in what leaves the system: exports, reports and error messages.

Applicants often type their 身份证号, phone number, e-mail or bank card into free text. Every
export and message that may carry free text passes it through :func:`mask_pii`: an ID
number keeps its first 6 and last 4 characters, a phone its first 3 and last 4 digits, a
bank card its last 4, an e-mail its first character and domain.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["mask_pii"]

# Longest first: an 18-character ID would otherwise be taken for a card number.
_RESIDENT_ID: Final = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_BANK_CARD: Final = re.compile(r"(?<!\d)\d{12,15}(\d{4})(?!\d)")
_MOBILE: Final = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_LANDLINE: Final = re.compile(r"(?<!\d)(0\d{2,3}-?)\d{3,4}(\d{4})(?!\d)")
# The look-behind starts a match only at the start of a run of address characters: without
# it a long run with no "@" is tried from each of its characters, in quadratic time.
_EMAIL: Final = re.compile(
    r"(?<![A-Za-z0-9._%+\-])([A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*(@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})"
)


def mask_pii(text: str) -> str:
    """``text`` with ID numbers, phone numbers, bank cards and e-mail addresses masked."""
    text = _RESIDENT_ID.sub(lambda m: f"{m[1]}********{m[2]}", text)
    text = _BANK_CARD.sub(lambda m: f"****{m[1]}", text)
    text = _MOBILE.sub(lambda m: f"{m[1]}****{m[2]}", text)
    text = _LANDLINE.sub(lambda m: f"{m[1]}****{m[2]}", text)
    return _EMAIL.sub(lambda m: f"{m[1]}***{m[2]}", text)
