"""信息处理费 per 《政府信息公开信息处理费管理办法》(国办函〔2020〕109号).

Excess-progressive, charged per request either 按件 (by the applicant's count of requests
in a natural month) or 按量 (by pages / volume), never both. Pure functions: the workflow
counts the applicant's requests and records the notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from ogi_workflow.errors import ValidationError

__all__ = ["FeeBasis", "FeeQuote", "fee_per_request", "fee_per_volume"]

# 按件: up to 10 a month free; the 11th–30th 100 元 each; from the 31st, each further block of
# 10 raises the rate by 100 元 (31st–40th 200 元, 41st–50th 300 元, …).
_FREE_REQUESTS: Final = 10
_FIRST_PAID_UP_TO: Final = 30
_STEP_YUAN: Final = 100
_BLOCK: Final = 10
# 按量: up to 30 pages free; 31–100 10 元/页; 101–200 20 元/页; 201 and up 40 元/页.
_PAGE_TIERS: Final = ((30, 0), (100, 10), (200, 20), (None, 40))


class FeeBasis(StrEnum):
    PER_REQUEST = "per_request"  # 按件
    PER_VOLUME = "per_volume"  # 按量


@dataclass(frozen=True, slots=True)
class FeeQuote:
    """The fee for one request and how it was reached."""

    basis: FeeBasis
    fee_yuan: int
    quantity: int  # the request's number in the month, or its page count
    tiers: tuple[tuple[int, int, int], ...]  # (from, to, yuan per unit) applied


def fee_per_request(nth_this_month: int) -> FeeQuote:
    """按件: the fee for the applicant's ``nth_this_month`` request of a natural month."""
    if not isinstance(nth_this_month, int) or nth_this_month < 1:
        raise ValidationError(
            f"fee: the request's number in the month must be a whole number >= 1, "
            f"got {nth_this_month!r}"
        )
    n = nth_this_month
    if n <= _FREE_REQUESTS:
        rate, low, high = 0, 1, _FREE_REQUESTS
    elif n <= _FIRST_PAID_UP_TO:
        rate, low, high = _STEP_YUAN, _FREE_REQUESTS + 1, _FIRST_PAID_UP_TO
    else:
        block = (n - _FIRST_PAID_UP_TO - 1) // _BLOCK  # 31–40 → 0, 41–50 → 1, …
        rate = _STEP_YUAN * (2 + block)
        low = _FIRST_PAID_UP_TO + 1 + block * _BLOCK
        high = low + _BLOCK - 1
    return FeeQuote(FeeBasis.PER_REQUEST, rate, n, ((low, high, rate),))


def fee_per_volume(pages: int) -> FeeQuote:
    """按量: the fee for a request of ``pages`` pages (or the equivalent volume)."""
    if not isinstance(pages, int) or pages < 1:
        raise ValidationError(f"fee: pages must be a whole number >= 1, got {pages!r}")
    total, low, applied = 0, 1, []
    for high, rate in _PAGE_TIERS:
        top = pages if high is None else min(pages, high)
        if top >= low:
            total += (top - low + 1) * rate
            applied.append((low, top, rate))
        if high is None or pages <= high:
            break
        low = high + 1
    return FeeQuote(FeeBasis.PER_VOLUME, total, pages, tuple(applied))
