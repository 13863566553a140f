"""Letter kinds: when each applies, who receives it, what it needs (``letters/kinds.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from ogi_workflow._resources import load_toml
from ogi_workflow.lifecycle import Event
from ogi_workflow.outcomes import CONVENIENCE_KEYS, Outcome, details_spec

__all__ = ["CONVENIENCE_KEYS", "KindSpec", "LetterKind", "event_letter", "outcome_letter"]


class LetterKind(StrEnum):
    """Every letter and notice ogi-workflow writes (docs/letters.md)."""

    NOTICE_REGISTRATION = "notice_registration"  # 登记回执
    NOTICE_CORRECTION = "notice_correction"  # 补正告知书 (第三十条)
    NOTICE_EXTENSION = "notice_extension"  # 延期答复告知书 (第三十三条)
    NOTICE_DELAY = "notice_delay"  # 延迟答复告知书 (第三十五条)
    CONSULTATION_THIRD_PARTY = "consultation_third_party"  # 征求第三方意见书 (第三十二条)
    NOTICE_CONSULTATION = "notice_consultation"  # 征求意见告知书 (to the applicant)
    CONSULTATION_AGENCY = "consultation_agency"  # 征求意见函 (第三十四条)
    NOTICE_THIRD_PARTY_DECISION = "notice_third_party_decision"  # 第三方决定公开告知书
    NOTICE_FEE = "notice_fee"  # 收费通知书 (国办函〔2020〕109号)
    NOTICE_DEEMED_ABANDONED = "notice_deemed_abandoned"  # 视为放弃告知书
    NOTICE_WITHDRAWN = "notice_withdrawn"  # 终止办理告知书 (撤回)
    FORWARD_AGENCY = "forward_agency"  # 转送函 (第三十六条第五项), to the agency responsible
    REPLY_ALREADY_PUBLIC = "reply_already_public"
    REPLY_DISCLOSED = "reply_disclosed"
    REPLY_PARTIAL = "reply_partial"
    REPLY_REFUSED = "reply_refused"
    REPLY_ADMINISTRATIVE_QUERY = "reply_administrative_query"
    REPLY_NOT_EXIST = "reply_not_exist"
    REPLY_NOT_RESPONSIBLE = "reply_not_responsible"
    REPLY_NEEDS_CREATION = "reply_needs_creation"
    REPLY_STILL_UNCLEAR = "reply_still_unclear"
    REPLY_PETITION = "reply_petition"
    REPLY_DUPLICATE = "reply_duplicate"
    REPLY_PUBLICATION = "reply_publication"
    REPLY_EXCESSIVE = "reply_excessive"
    REPLY_CONFIRMATION = "reply_confirmation"
    REPLY_OTHER = "reply_other"

    @property
    def spec(self) -> KindSpec:
        return _specs()[self]


@dataclass(frozen=True, slots=True)
class KindSpec:
    """When a letter kind applies and what it needs (``letters/kinds.toml``)."""

    events: tuple[Event, ...]
    default: bool  # the letter its events call for when no kind is asked for
    party: str | None
    recipient: str  # "applicant", "consulted" or "forwarded"
    requires: tuple[str, ...]  # facts, and the reply details the letter prints
    consulted: str | None  # exists only after a consultation with this party
    outcomes: tuple[Outcome, ...]  # … and only for these outcomes (empty: any)


@cache
def _specs() -> dict[LetterKind, KindSpec]:
    table = load_toml("letters/kinds.toml")
    return {
        kind: KindSpec(
            events=tuple(Event(e) for e in table[kind.value]["events"]),
            default=bool(table[kind.value].get("default", False)),
            party=table[kind.value].get("party"),
            recipient=table[kind.value].get("recipient", "applicant"),
            requires=tuple(table[kind.value].get("requires", ()))
            + tuple(f"details.{k}" for k in details_spec(kind.value).required),
            consulted=table[kind.value].get("consulted"),
            outcomes=tuple(Outcome(o) for o in table[kind.value].get("outcomes", ())),
        )
        for kind in LetterKind
    }


def outcome_letter(outcome: Outcome) -> LetterKind:
    """The reply letter an outcome calls for."""
    return LetterKind(outcome.info.letter)


def event_letter(event: Event, outcome: Outcome | None) -> LetterKind | None:
    """The letter an event calls for when no kind is asked for: a reply's by its outcome."""
    if outcome is not None and event in (Event.REPLY, Event.REPLY_ON_THE_SPOT, Event.FORWARD):
        return outcome_letter(outcome)
    return _defaults().get(event)


@cache
def _defaults() -> dict[Event, LetterKind]:
    return {e: kind for kind in LetterKind if kind.spec.default for e in kind.spec.events}
