"""转送: a request that is another agency's, answered and sent on to it (条例第三十六条第五项).

The applicant is answered 非本机关负责 as by any reply (after its draft passed the review
chain), and the answer names the agency the request goes to. The facade (``workflow.py``)
checks that agency, and creates the request there in the same transaction; this module
holds the pure part: what the forward's reply says, and its guard. The agency inside which
a request moves between departments is :mod:`.inner`'s ``reassign`` (转办), a different act.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ogi_workflow.errors import TransitionError, ValidationError
from ogi_workflow.lifecycle.events import Event, GuardContext, HistoryItem, require_text
from ogi_workflow.lifecycle.inner import review_case, signed_off_draft
from ogi_workflow.outcomes import Outcome

__all__ = ["forward_params", "guard_forward"]


def forward_params(params: Mapping[str, Any], history: Sequence[HistoryItem]) -> dict[str, Any]:
    """The forward's parameters with the reply it sends: the signed-off draft's outcome and
    details, whose 便民答复 names the receiving agency and its contact where the draft left
    them out (``to_agency_name`` and ``to_contact``, from that agency's profile)."""
    result = dict(params)
    contact = result.pop("to_contact", None)
    case = review_case(history)
    if case is None or not case.complete:
        return result  # the guard says what is missing
    details = dict(case.details)
    convenience = dict(details.get("convenience") or {})
    if not convenience.get("holder"):
        convenience["holder"] = result.get("to_agency_name")
    if not convenience.get("contact") and contact:
        convenience["contact"] = contact
    details["convenience"] = convenience
    result["outcome"] = Outcome(case.outcome)  # checked when the draft was submitted
    result["details"] = details
    return result


def guard_forward(ctx: GuardContext, event: Event) -> None:
    """条例第三十六条第五项: the applicant is told, with the reason, that the information is
    another agency's, and which one: a reply like any other, so only after its draft passed
    the review chain, and only one saying ``not_responsible`` and naming that agency."""
    case = signed_off_draft(ctx, event)
    if case.outcome != Outcome.NOT_RESPONSIBLE.value:
        raise TransitionError(
            f"forward: request {ctx.request}: draft #{case.number} was signed off as "
            f"{case.outcome}; a forward answers not_responsible (条例第三十六条第五项): submit "
            "a not_responsible draft for review first"
        )
    require_text(ctx, "forward", "to_agency", "条例第三十六条第五项: the agency responsible")
    require_text(ctx, "forward", "reason", "条例第三十六条第五项: 说明理由")
    name = ctx.params.get("to_agency_name")
    convenience = (ctx.params.get("details") or {}).get("convenience") or {}
    holder = convenience.get("holder")
    if holder != name:
        raise ValidationError(
            f"forward: request {ctx.request}: draft #{case.number} as signed off names "
            f"{holder!r} as the agency responsible, not {name!r} "
            f"({ctx.params.get('to_agency')}); forward to the agency the draft names, or "
            "submit a draft naming this one (or none: the forward fills it in)"
        )
