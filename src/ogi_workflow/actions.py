"""The typed action API: one method per event, each a thin call of the facade's engine.

Every method names its event's parameters and their law; the rule itself lives in
``lifecycle`` (guards and :func:`~ogi_workflow.lifecycle.decide`), and
:class:`~ogi_workflow.workflow.Workflow` runs it (load → decide → save).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from ogi_workflow.fees import FeeBasis
from ogi_workflow.lifecycle import Event
from ogi_workflow.lifecycle.payloads import CaseResult, Party
from ogi_workflow.models import RequestRef, RequestView
from ogi_workflow.outcomes import Outcome

__all__ = ["Acting", "Actions"]


class Acting(ABC):
    """What every typed-action mixin calls: the facade's load → decide → save of one event."""

    @abstractmethod
    def _act(
        self,
        request: RequestRef,
        event: Event,
        *,
        actor: str,
        on: date | None,
        expected_version: int | None = None,
        note: str | None = None,
        **params: Any,
    ) -> RequestView: ...


class Actions(Acting):
    """接收 aside, every lifecycle action of a request (the event names are the method names)."""

    @abstractmethod
    def _nth_this_month(self, request: RequestRef) -> int: ...

    def register(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """登记: number the request (unique per agency and year, no gaps); the clock runs."""
        return self._act(
            request, Event.REGISTER, actor=actor, on=on, expected_version=expected_version
        )

    def reply_on_the_spot(
        self,
        request: RequestRef,
        *,
        actor: str,
        outcome: Outcome,
        details: Mapping[str, Any] | None = None,
        on: date | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """当场答复 (条例第三十三条第一款)."""
        return self._act(
            request,
            Event.REPLY_ON_THE_SPOT,
            actor=actor,
            on=on,
            note=reason,
            expected_version=expected_version,
            outcome=outcome,
            details=details,
        )

    def start_handling(
        self,
        request: RequestRef,
        *,
        actor: str,
        handler: str | None = None,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """办理: assign the handler (default: the actor)."""
        return self._act(
            request,
            Event.START_HANDLING,
            actor=actor,
            on=on,
            expected_version=expected_version,
            handler=handler or actor,
        )

    def request_correction(
        self,
        request: RequestRef,
        *,
        actor: str,
        items: Sequence[str],
        correct_by: date,
        on: date | None = None,
        late_reason: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """补正告知 within 7 working days of receipt (条例第三十条); the clock stops."""
        return self._act(
            request,
            Event.REQUEST_CORRECTION,
            actor=actor,
            on=on,
            note=late_reason,
            expected_version=expected_version,
            items=items,
            correct_by=correct_by,
            late_reason=late_reason,
        )

    def receive_correction(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        description: str | None = None,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """收到补正: the reply period restarts from zero on this day (条例第三十条).

        ``description`` is what the corrected application asks for; letters from then on
        quote it instead of the original one.
        """
        return self._act(
            request,
            Event.RECEIVE_CORRECTION,
            actor=actor,
            on=on,
            note=note,
            expected_version=expected_version,
            description=description,
        )

    def correction_lapsed(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """逾期不补正: 视为放弃 (条例第三十条); outcome ``correction_lapsed``."""
        return self._act(
            request, Event.CORRECTION_LAPSED, actor=actor, on=on, expected_version=expected_version
        )

    def start_consultation(
        self,
        request: RequestRef,
        *,
        actor: str,
        party: Party,
        consulted: str,
        reason: str | None = None,
        on: date | None = None,
        notice_received_on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """征求意见: ``party`` is ``third_party`` (第三十二条) or ``co_agency`` (第三十四条).

        The consulted party has 15 working days from receiving the letter
        (``notice_received_on`` when known, else the letter's day); that time does not count
        (第三十三条第二款), and past it the clock runs again even without an answer.
        ``reason`` says why disclosure may harm the third party (its letter says so).
        """
        return self._act(
            request,
            Event.START_CONSULTATION,
            actor=actor,
            on=on,
            expected_version=expected_version,
            party=party,
            consulted=consulted,
            reason=reason,
            notice_received_on=notice_received_on,
        )

    def end_consultation(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        opinion: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """征求意见结束 (an answer, or silence after 15 working days); the clock runs again."""
        return self._act(
            request,
            Event.END_CONSULTATION,
            actor=actor,
            on=on,
            note=opinion,
            expected_version=expected_version,
            opinion=opinion,
        )

    def extend(
        self,
        request: RequestRef,
        *,
        actor: str,
        approver: str,
        reason: str,
        workdays: int | None = None,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """延期答复: once, approved, within the period (条例第三十三条).

        ``workdays`` defaults to the policy's maximum (20 working days).
        """
        return self._act(
            request,
            Event.EXTEND,
            actor=actor,
            on=on,
            note=reason,
            expected_version=expected_version,
            approver=approver,
            reason=reason,
            workdays=workdays,
        )

    def delay_reasonably(
        self,
        request: RequestRef,
        *,
        actor: str,
        delayed_to: date,
        reason: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """合理延迟 for a voluminous or frequent request (条例第三十五条)."""
        return self._act(
            request,
            Event.DELAY_REASONABLY,
            actor=actor,
            on=on,
            note=reason,
            expected_version=expected_version,
            delayed_to=delayed_to,
            reason=reason,
        )

    def issue_fee_notice(
        self,
        request: RequestRef,
        *,
        actor: str,
        basis: FeeBasis | str,
        pages: int | None = None,
        on: date | None = None,
        notice_received_on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """收费通知 (国办函〔2020〕109号): 按件 or 按量, never both; the clock stops by policy.

        按件 counts the applicant's requests (same normalised identity) received in the same
        natural month, up to this one; 按量 charges ``pages``. The applicant pays within 20
        working days from the day after receiving the notice (``notice_received_on``,
        default the notice day).
        """
        per_request = basis == FeeBasis.PER_REQUEST
        return self._act(
            request,
            Event.ISSUE_FEE_NOTICE,
            actor=actor,
            on=on,
            expected_version=expected_version,
            basis=basis,
            pages=pages,
            notice_received_on=notice_received_on,
            nth_this_month=self._nth_this_month(request) if per_request else None,
        )

    def receive_payment(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """缴费: the clock runs again."""
        return self._act(
            request, Event.RECEIVE_PAYMENT, actor=actor, on=on, expected_version=expected_version
        )

    def fee_lapsed(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """逾期未缴费: 视为放弃 (国办函〔2020〕109号); outcome ``fee_lapsed``."""
        return self._act(
            request, Event.FEE_LAPSED, actor=actor, on=on, expected_version=expected_version
        )

    def withdraw(
        self,
        request: RequestRef,
        *,
        actor: str,
        reason: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """撤回: the applicant withdraws; outcome ``withdrawn`` (其他处理)."""
        return self._act(
            request,
            Event.WITHDRAW,
            actor=actor,
            on=on,
            note=reason,
            expected_version=expected_version,
        )

    def reply(
        self,
        request: RequestRef,
        *,
        actor: str,
        outcome: Outcome | None = None,
        details: Mapping[str, Any] | None = None,
        on: date | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """答复: send the draft its review chain signed off (docs/agency.md), with its
        outcome (docs/lifecycle.md) and the ``details`` its letter prints. Left out, they
        are the signed-off draft's; given, they must be the same."""
        return self._act(
            request,
            Event.REPLY,
            actor=actor,
            on=on,
            note=reason,
            expected_version=expected_version,
            outcome=outcome,
            details=details,
        )

    def forward(
        self,
        request: RequestRef,
        *,
        actor: str,
        to_agency: str,
        reason: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """转送: answer 非本机关负责 and send the request on to ``to_agency``, the agency of this
        database responsible for it (条例第三十六条第五项).

        Like :meth:`reply`, it sends the draft its review chain signed off, which must be
        ``not_responsible``; the reply's 便民答复 names the receiving agency and its contact
        (from that agency's profile) where the draft left them out. In the same transaction
        the request is received in ``to_agency`` on this day, the same applicant asking for
        the same; each names the other (``forwarded_to_*``, ``forwarded_from_*``). ``reason``
        says why that agency is responsible: the 转送函 (letter ``forward_agency``) prints it.
        """
        return self._act(
            request,
            Event.FORWARD,
            actor=actor,
            on=on,
            note=reason,
            expected_version=expected_version,
            to_agency=to_agency,
            reason=reason,
        )

    def archive(
        self,
        request: RequestRef,
        *,
        actor: str,
        on: date | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """归档: afterwards only 复议/诉讼 records may be added."""
        return self._act(
            request, Event.ARCHIVE, actor=actor, on=on, expected_version=expected_version
        )

    def record_review(
        self,
        request: RequestRef,
        *,
        actor: str,
        result: CaseResult,
        on: date | None = None,
        case_no: str | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """Record a 行政复议 about the reply: upheld, corrected, other or pending."""
        return self._act(
            request,
            Event.RECORD_REVIEW,
            expected_version=expected_version,
            actor=actor,
            on=on,
            note=reason,
            result=result,
            case_no=case_no,
        )

    def record_litigation(
        self,
        request: RequestRef,
        *,
        actor: str,
        result: CaseResult,
        after_review: bool,
        on: date | None = None,
        case_no: str | None = None,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> RequestView:
        """Record a 行政诉讼 (直接起诉 or 复议后起诉): upheld, corrected, other or pending."""
        return self._act(
            request,
            Event.RECORD_LITIGATION,
            expected_version=expected_version,
            actor=actor,
            on=on,
            note=reason,
            result=result,
            after_review=after_review,
            case_no=case_no,
        )
