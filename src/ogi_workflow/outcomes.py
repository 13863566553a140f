"""The outcome of a reply: one leaf of the annual report's table 三 (国办公开办函〔2021〕30号).

Because every reply records exactly one leaf, the annual report is a count, not a
re-classification. The leaves, their report rows, legal bases, letter kinds and whether a
便民答复 paragraph applies are data (``data/outcomes.toml``); this module gives them names.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, Final

from ogi_workflow._resources import load_toml

__all__ = ["CONVENIENCE_KEYS", "DetailsSpec", "Outcome", "OutcomeInfo", "ReportRow", "details_spec"]


class ReportRow(StrEnum):
    """The rows of table 三 "本年度办理结果", in the published order."""

    DISCLOSED = "disclosed"
    PARTIAL = "partial"  # 区分处理的，只计这一情形，不计其他情形
    REFUSED_STATE_SECRET = "refused_state_secret"
    REFUSED_LAW = "refused_law"
    REFUSED_THREE_SAFETIES = "refused_three_safeties"
    REFUSED_THIRD_PARTY = "refused_third_party"
    REFUSED_INTERNAL = "refused_internal"
    REFUSED_PROCESS = "refused_process"
    REFUSED_ENFORCEMENT = "refused_enforcement"
    REFUSED_QUERY = "refused_query"
    UNAVAILABLE_NOT_HELD = "unavailable_not_held"
    UNAVAILABLE_CREATION = "unavailable_creation"
    UNAVAILABLE_UNCLEAR = "unavailable_unclear"
    NOT_PROCESSED_PETITION = "not_processed_petition"
    NOT_PROCESSED_DUPLICATE = "not_processed_duplicate"
    NOT_PROCESSED_PUBLICATION = "not_processed_publication"
    NOT_PROCESSED_EXCESSIVE = "not_processed_excessive"
    NOT_PROCESSED_CONFIRMATION = "not_processed_confirmation"
    OTHER_CORRECTION_LAPSED = "other_correction_lapsed"
    OTHER_FEE_LAPSED = "other_fee_lapsed"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(_data()["rows"][self.value])


class Outcome(StrEnum):
    """Every outcome a reply can have; each counts in exactly one :class:`ReportRow`."""

    ALREADY_PUBLIC = "already_public"  # 条例第三十六条第一项
    DISCLOSED = "disclosed"  # 条例第三十六条第二项
    PARTIAL = "partial"  # 条例第三十七条
    STATE_SECRET = "state_secret"  # 条例第十四条
    LAW_PROHIBITED = "law_prohibited"  # 条例第十四条
    THREE_SAFETIES = "three_safeties"  # 条例第十四条
    THIRD_PARTY_RIGHTS = "third_party_rights"  # 条例第十五条
    INTERNAL_AFFAIRS = "internal_affairs"  # 条例第十六条第一款
    PROCESS_INFORMATION = "process_information"  # 条例第十六条第二款
    ENFORCEMENT_FILES = "enforcement_files"  # 条例第十六条第二款
    ADMINISTRATIVE_QUERY = "administrative_query"  # 条例第三十六条第七项
    NOT_EXIST = "not_exist"  # 条例第三十六条第四项
    NOT_RESPONSIBLE = "not_responsible"  # 条例第三十六条第五项
    NEEDS_CREATION = "needs_creation"  # 条例第三十八条
    STILL_UNCLEAR = "still_unclear"  # 条例第三十条
    PETITION = "petition"  # 条例第三十九条第一款
    DUPLICATE = "duplicate"  # 条例第三十六条第六项
    PUBLICATION = "publication"  # 条例第三十九条第二款
    EXCESSIVE = "excessive"  # 条例第三十五条
    CONFIRMATION = "confirmation"
    CORRECTION_LAPSED = "correction_lapsed"  # 条例第三十条
    FEE_LAPSED = "fee_lapsed"  # 国办函〔2020〕109号
    WITHDRAWN = "withdrawn"
    OTHER = "other"

    @property
    def info(self) -> OutcomeInfo:
        return _infos()[self]

    @property
    def label(self) -> str:
        return self.info.label

    @property
    def row(self) -> ReportRow:
        return self.info.row

    @property
    def refusal(self) -> bool:
        """Whether (part of) the information is withheld: 复议前置 applies."""
        return self.info.review_first


@dataclass(frozen=True, slots=True)
class DetailsSpec:
    """The keys of a reply's ``details`` one letter prints (``data/outcomes.toml``)."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass(frozen=True, slots=True)
class OutcomeInfo:
    label: str
    row: ReportRow
    basis: str
    letter: str
    convenience: bool
    review_first: bool
    phrase: str | None  # refusal grounds: what the information is, in a letter's words
    event: str | None  # the lifecycle event that records it, when not a reply

    @property
    def details(self) -> DetailsSpec:
        """What the reply's ``details`` must and may carry for this outcome's letter."""
        return details_spec(self.letter)


def _data() -> dict[str, Any]:
    return load_toml("data/outcomes.toml")


@cache
def _infos() -> dict[Outcome, OutcomeInfo]:
    table = _data()["outcomes"]
    result: dict[Outcome, OutcomeInfo] = {}
    for outcome in Outcome:
        entry = table[outcome.value]
        assert isinstance(entry, dict)
        result[outcome] = OutcomeInfo(
            label=str(entry["label"]),
            row=ReportRow(str(entry["row"])),
            basis=str(entry["basis"]),
            letter=str(entry["letter"]),
            convenience=bool(entry.get("convenience", False)),
            review_first=bool(entry.get("review_first", False)),
            phrase=str(entry["phrase"]) if "phrase" in entry else None,
            event=str(entry["event"]) if "event" in entry else None,
        )
    return result


def details_spec(name: str) -> DetailsSpec:
    """What a letter kind prints from a reply's details (empty for letters that print none)."""
    entry = _data()["details"].get(name, {})
    return DetailsSpec(tuple(entry.get("required", ())), tuple(entry.get("optional", ())))


def _convenience_keys() -> tuple[str, ...]:
    return tuple(_data()["convenience"]["keys"])


# What a 便民答复 paragraph can carry: where the information may be found, who holds it and
# how to reach them, related public links, how to narrow the request.
CONVENIENCE_KEYS: Final = _convenience_keys()
