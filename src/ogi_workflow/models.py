"""Input and output models (pydantic).

Inputs validate everything before anything is stored: :func:`validate` turns pydantic's
errors into one :class:`~ogi_workflow.errors.ValidationError` listing every bad field, in
English and Chinese. Outputs (read models) are plain frozen models that serialise to JSON
for an OA system.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Final, Literal, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ogi_workflow._pii import mask_pii
from ogi_workflow._resources import LabelledEnum, label
from ogi_workflow._text import MAX_TEXT, text_problem
from ogi_workflow.clock import Channel
from ogi_workflow.errors import FieldProblem, ValidationError
from ogi_workflow.lifecycle.machine import Event, State
from ogi_workflow.morning import Urgency
from ogi_workflow.outcomes import Outcome

__all__ = [
    "SHANGHAI",
    "AgencyProfile",
    "Applicant",
    "ApplicantKind",
    "Application",
    "Delivery",
    "EventView",
    "IdType",
    "InfoForm",
    "OverdueItem",
    "RequestRef",
    "RequestView",
    "SearchTaskView",
    "Urgency",
    "describe_errors",
    "validate",
]

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
_SPEC: Final = re.compile(r"(0?[1-9]|0[1-9]\d?)?d?|[<>^]?[1-9]?d?")  # {seq:04d}, {seq:>4}
RequestRef = int | str  # a request's id, or its registration number
ID_MAX: Final = 2**63 - 1  # the largest id of any stored row (BIGINT on PostgreSQL)
M = TypeVar("M", bound=BaseModel)


class ApplicantKind(LabelledEnum):
    """The applicant columns of the annual report (国办公开办函〔2021〕30号)."""

    NATURAL_PERSON = "natural_person"
    BUSINESS = "business"
    RESEARCH = "research"
    SOCIAL_WELFARE = "social_welfare"
    LEGAL_SERVICES = "legal_services"
    OTHER_ORGANIZATION = "other_organization"

    @property
    def is_person(self) -> bool:
        return self is ApplicantKind.NATURAL_PERSON


class IdType(LabelledEnum):
    RESIDENT_ID = "resident_id"  # 居民身份证, GB 11643
    USCC = "uscc"  # 统一社会信用代码, GB 32100
    PASSPORT = "passport"
    OTHER = "other"


class InfoForm(LabelledEnum):
    PAPER = "paper"
    ELECTRONIC = "electronic"
    OTHER = "other"


class Delivery(LabelledEnum):
    MAIL = "mail"
    PICKUP = "pickup"
    EMAIL = "email"
    ONLINE = "online"
    FAX = "fax"


class _InputError(ValueError):
    """A validator's failure, carrying the key of its Chinese text in labels.toml."""

    def __init__(self, key: str, english: str) -> None:
        super().__init__(english)
        self.key = key


# --------------------------------------------------------------------------- identity checks

_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
_USCC_CHARS: Final = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS: Final = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def resident_id_check_char(first17: str) -> str:
    """The check character of a 居民身份证号码 from its first 17 digits (GB 11643)."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def uscc_check_char(first17: str) -> str:
    """The check character of a 统一社会信用代码 from its first 17 characters (GB 32100)."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def check_resident_id(value: str) -> str:
    """Validate an 18-digit 居民身份证号码 (GB 11643-1999): birth date and check digit."""
    number = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise _InputError("resident_id_length", "a resident ID number has 17 digits + 0-9/X")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise _InputError(
            "resident_id_birth", "the birth date in the ID number is invalid"
        ) from None
    if born.year < 1900:
        raise _InputError("resident_id_birth", "the birth date in the ID number is invalid")
    if resident_id_check_char(number[:17]) != number[17]:
        raise _InputError("resident_id_check", "the ID number's check digit is wrong")
    return number


def check_uscc(value: str) -> str:
    """Validate an 18-character 统一社会信用代码 (GB 32100-2015): charset and check character."""
    code = value.strip().upper()
    if len(code) != 18:
        raise _InputError("uscc_length", "a unified social credit code has 18 characters")
    if any(c not in _USCC_CHARS for c in code):
        raise _InputError("uscc_charset", "the unified social credit code has an invalid character")
    if uscc_check_char(code[:17]) != code[17]:
        raise _InputError("uscc_check", "the unified social credit code's check character is wrong")
    return code


# --------------------------------------------------------------------------- inputs


def _clean(multiline: bool) -> AfterValidator:
    def check(value: str) -> str:
        problem = text_problem(value, multiline=multiline)
        if problem is not None:
            raise _InputError(*problem)
        return value

    return AfterValidator(check)


_Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT), _clean(multiline=True)]
_Short = Annotated[str, Field(min_length=1, max_length=200), _clean(multiline=False)]


class Applicant(BaseModel):
    """申请人: a natural person or an organisation (with the report's sub-kind)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")

    kind: ApplicantKind
    name: _Text
    id_type: IdType | None = None
    id_number: _Short | None = None
    phone: _Short | None = None
    email: _Short | None = None
    address: _Text | None = None
    postal_code: _Short | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise _InputError("email", "not an e-mail address")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\+?[\d\- ()]{5,30}", value):
            raise _InputError("phone", "a phone number has digits, spaces, '-', '(' and ')'")
        return value

    @field_validator("id_number")
    @classmethod
    def _identity(cls, value: str | None, info: ValidationInfo) -> str | None:
        # A field validator (not a model one) so that a bad ID is listed with the other
        # bad fields; kind and id_type are declared before id_number.
        kind, id_type = info.data.get("kind"), info.data.get("id_type")
        if value is None or kind is None:
            return value
        if id_type is IdType.RESIDENT_ID:
            if not kind.is_person:
                raise _InputError("id_type_for_kind", "an organisation has no resident ID")
            return check_resident_id(value)
        if id_type is IdType.USCC:
            if kind.is_person:
                raise _InputError("id_type_for_kind", "a natural person has no credit code")
            return check_uscc(value)
        return value

    @property
    def identity_key(self) -> str:
        """One applicant, normalised: the ID number where there is one, else the name.

        Used to count an applicant's requests in a natural month (按件 fees).
        """
        if self.id_type is not None and self.id_number is not None:
            return f"{self.id_type.value}:{self.id_number.upper()}"
        return f"name:{' '.join(self.name.split())}"


class Application(BaseModel):
    """政府信息公开申请: who asks, for what, in which form, and how it arrived."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")

    applicant: Applicant
    description: _Text
    purpose: _Text | None = None
    form: InfoForm = InfoForm.PAPER
    delivery: Delivery = Delivery.MAIL
    channel: Channel = Channel.IN_PERSON
    received_at: datetime  # the day of receipt per 条例第三十一条; naive = Asia/Shanghai

    @field_validator("received_at", mode="before")
    @classmethod
    def _not_a_number(cls, value: object) -> object:
        # pydantic reads a number, or text of digits, as a Unix time: 1700000000 would be
        # received in 2023, and "20261123" in 1970.
        if isinstance(value, int | float) or (
            isinstance(value, str) and value.strip().replace(".", "", 1).isdigit()
        ):
            raise ValueError("must be a date and time written YYYY-MM-DDTHH:MM, not a number")
        return value

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value.astimezone(SHANGHAI)

    @property
    def received_on(self) -> date:
        return self.received_at.astimezone(SHANGHAI).date()


# The roles a step of a review chain may name (people.Role values).
ReviewRole = Literal["reviewer", "legal_reviewer", "secrecy_reviewer", "signer"]


# An agency's code: how a database with several agencies tells them apart.
_AgencyCode = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]


class AgencyProfile(BaseModel):
    """The agency that handles requests: names, numbering, seal and remedy bodies."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True, extra="forbid")

    code: _AgencyCode
    name: _Short
    abbreviation: _Short  # 发文机关代字, e.g. 某府信公开
    letter_number_pattern: _Short = "{abbreviation}〔{year}〕{seq}号"
    registration_pattern: _Short = "{year}-{seq:04d}"
    seal_name: _Short | None = None  # default: 〈name〉政府信息公开专用章 (templates)
    address: _Text | None = None
    postal_code: _Short | None = None
    phone: _Short | None = None
    website: _Short | None = None
    payment_instructions: _Text | None = None  # 缴费方式, for 收费通知书
    review_body: _Short  # 行政复议机关
    court: _Short  # 有管辖权的人民法院
    # 海关、金融、外汇、税务、国家安全: 复议 goes to the next-higher authority, not the
    # same-level people's government; the review_body above already names it.
    vertical: bool = False
    # 协查: working days a department has to search, by default (never past the reply's due)
    search_task_workdays: Annotated[int, Field(ge=1, le=20)] = 5
    # 分办: working days a department has to sign for (签收) an assignment, or the registrar
    # to assign a returned request again; review: working days per step of the chain.
    accept_workdays: Annotated[int, Field(ge=1, le=20)] = 2
    review_step_workdays: Annotated[int, Field(ge=1, le=20)] = 2
    # The review chain of a draft reply, by outcome value or "default": the roles that approve
    # it in order, the last one signer (签发). Unset: 审核 → 签发, with 法制审核 before 签发 for
    # refusals and partial disclosures.
    review_chains: dict[str, tuple[ReviewRole, ...]] = Field(default_factory=dict)
    # 本级政府: the codes of the agencies in the same database whose 年报 tables this one's
    # roll-up sums with its own (its 部门); empty for an agency that rolls up none.
    members: tuple[_AgencyCode, ...] = ()

    @field_validator("members")
    @classmethod
    def _members(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"members: {list(value)} names an agency twice")
        return value

    @model_validator(mode="after")
    def _not_own_member(self) -> AgencyProfile:
        if self.code in self.members:
            raise ValueError(
                f"members: {self.code!r} is this agency itself (its own counts are in)"
            )
        return self

    @field_validator("review_chains")
    @classmethod
    def _chains(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        known = {"default", *(o.value for o in Outcome)}
        for key, chain in value.items():
            if key not in known:
                raise ValueError(f"review_chains: {key!r} is not an outcome or 'default'")
            if not chain or chain[-1] != "signer" or len(set(chain)) != len(chain):
                raise ValueError(
                    f"review_chains.{key}: {list(chain)} must list each role once and end "
                    "with signer (签发)"
                )
        return value

    def review_chain(self, outcome: Outcome) -> tuple[str, ...]:
        """The roles that approve a draft reply with ``outcome``, in order."""
        chain = self.review_chains.get(outcome.value) or self.review_chains.get("default")
        if chain:
            return chain
        # 不予公开 and 部分公开 are the replies applicants contest: 法制审核 reads them first.
        refuses = outcome.info.row == "partial" or outcome.info.row.startswith("refused_")
        return ("reviewer", "legal_reviewer", "signer") if refuses else ("reviewer", "signer")

    @field_validator("letter_number_pattern", "registration_pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        # Both {year} and {seq}, or numbers repeat across years or within one; format specs
        # small (a width of 10**11 would exhaust memory), and the result fits its column.
        try:
            fields = [(name, spec) for _, name, spec, _ in string.Formatter().parse(value) if name]
        except ValueError:
            fields = [("?", "")]
        names = {name for name, _ in fields}
        if (
            not names <= {"abbreviation", "year", "seq"}
            or not {"year", "seq"} <= names
            or not all(_SPEC.fullmatch(spec or "") for _, spec in fields)
            or len(value.format(abbreviation="某" * 20, year=2199, seq=99_999_999)) > 64
        ):
            raise _InputError(
                "pattern",
                "use {year} and {seq} (and {abbreviation}), with a format spec such as "
                "{seq:04d}; the number must fit in 64 characters",
            )
        return value

    @classmethod
    def from_toml(cls, path: str | Path) -> AgencyProfile:
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValidationError(f"agency profile {p}: cannot be read ({exc})") from exc
        return validate(cls, data.get("agency", data))

    def registration_number(self, year: int, seq: int) -> str:
        return self.registration_pattern.format(abbreviation=self.abbreviation, year=year, seq=seq)

    def letter_number(self, year: int, seq: int) -> str:
        """A 文号 per GB/T 9704: year in 〔〕, no 第, no padded zeros (pattern permitting)."""
        return self.letter_number_pattern.format(abbreviation=self.abbreviation, year=year, seq=seq)


def validate(model: type[M], data: Any) -> M:
    """Validate ``data`` as ``model`` or raise one ValidationError listing every bad field."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _describe(model, exc) from None


_PYDANTIC_KEYS: Final = {
    "missing": "missing",
    "string_too_short": "too_short",
    "string_too_long": "too_long",
    "enum": "invalid_choice",
    "literal_error": "invalid_choice",
    "datetime_parsing": "invalid_datetime",
    "datetime_from_date_parsing": "invalid_datetime",
    "datetime_type": "invalid_datetime",
    "extra_forbidden": "invalid",
    "string_pattern_mismatch": "invalid",
}


def _describe(model: type[BaseModel], exc: pydantic.ValidationError) -> ValidationError:
    return describe_errors(model.__name__, exc.errors())


def describe_errors(what: str, errors: Sequence[Mapping[str, Any]]) -> ValidationError:
    """One ValidationError for pydantic's ``errors`` of input ``what``: a line per bad field,
    in English and Chinese, and the same as its field list."""
    lines = [f"{what}: {len(errors)} invalid field(s)"]
    fields = []
    for error in errors:
        loc = ".".join(str(part) for part in error["loc"]) or "(whole input)"
        names = [str(p) for p in error["loc"] if isinstance(p, str)]
        field_zh = label("field", names[-1]) if names and _has_field(names[-1]) else loc
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, _InputError):
            key, english = cause.key, str(cause)
        else:
            key = _PYDANTIC_KEYS.get(error["type"], "invalid")
            english = error["msg"]
        value = error.get("input")
        shown = "" if error["type"] == "missing" else f" (got {_preview(value)})"
        chinese = f"{field_zh}：{label('error', key)}"
        lines.append(f"  {loc}: {english}{shown} / {chinese}")
        fields.append(FieldProblem(loc, f"{english}{shown}", chinese))
    return ValidationError("\n".join(lines), fields=fields)


def _has_field(name: str) -> bool:
    try:
        label("field", name)
    except KeyError:
        return False
    return True


def _preview(value: object) -> str:
    # Masked (error messages end up in logs), from a window wide enough that a number or an
    # address overlapping the 57 characters shown is masked whole: an input can be megabytes.
    text = mask_pii(repr(value)[:300])
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------- read models


class SearchTaskView(BaseModel):
    """A 协查 task: which department searches for what, by when, and its answer."""

    model_config = ConfigDict(frozen=True)

    task: int
    department: str
    what: str
    due_date: date
    opened_on: date
    answered_on: date | None = None
    result: str | None = None  # found | not_found | partly
    found: str | None = None
    where: str | None = None
    searched_by: str | None = None

    @classmethod
    def from_task(cls, task: Mapping[str, Any]) -> SearchTaskView:
        answer = task["answer"] or {}
        return cls(
            task=task["task"],
            department=task["department"],
            what=task["what"],
            due_date=task["due_date"],
            opened_on=task["opened_on"],
            answered_on=answer.get("on"),
            result=answer.get("result"),
            found=answer.get("found"),
            where=answer.get("where"),
            searched_by=answer.get("searched_by"),
        )


class RequestView(BaseModel):
    """One request as stored: what an OA system lists and shows."""

    model_config = ConfigDict(frozen=True)

    id: int
    agency: str
    reg_no: str | None
    state: State
    outcome: Outcome | None
    applicant_kind: ApplicantKind
    applicant_name: str
    description: str
    channel: Channel
    received_on: date
    clock_start: date | None
    due_date: date | None
    correction_window_end: date | None
    paused_workdays: int
    extension_workdays: int
    estimated: bool
    handler: str | None
    department: str | None = None  # 分办: the department it is assigned to (a code)
    assignee: str | None = None  # the person it is addressed to, or who signed for it
    # 转送 (条例第三十六条第五项): the agency (code) and request id it was forwarded to, or,
    # for a request another agency forwarded, the ones it came from.
    forwarded_to_agency: str | None = None
    forwarded_to_request: int | None = None
    forwarded_from_agency: str | None = None
    forwarded_from_request: int | None = None
    replied_on: date | None
    version: int
    application: dict[
        str, Any
    ]  # Application.model_dump(mode="json"): Application.model_validate it

    def application_model(self) -> Application:
        """The stored application, validated again into its model."""
        return Application.model_validate(self.application)


class EventView(BaseModel):
    """One row of a request's append-only audit log."""

    model_config = ConfigDict(frozen=True)

    seq: int
    event: Event
    actor: str
    at: datetime
    on: date
    state_before: State | None
    state_after: State
    reason: str | None
    payload: dict[str, Any]
    before: dict[str, Any]
    after: dict[str, Any]


class OverdueItem(NamedTuple):
    """A request on the morning list: reply overdue or due soon, its 补正 window closing, or
    a step of the agency's inner work on it late or due soon (``kind`` says which).

    A named tuple, not a pydantic model: the morning scan builds one per listed row.
    """

    id: int
    reg_no: str | None
    state: State
    kind: Urgency
    deadline: date  # the date that matters: the due date, or the end of the 补正 window
    due_date: date | None
    workdays_left: int  # working days from as_of to the deadline (negative: over)
    overdue: bool
    estimated: bool
    handler: str | None
    department: str | None = None  # where the request (or the inner work item) is
    task: str | None = None  # an inner item: its number, and the role a review step needs
    contact: str | None = None  # a 协查 task's department contact (协查联络人)

    def as_row(self) -> tuple[Any, ...]:
        """The fields in order, dates as ISO strings and enums as values (CSV rows)."""
        return (
            self.id,
            self.reg_no,
            self.state.value,
            self.kind.value,
            self.deadline.isoformat(),
            self.due_date.isoformat() if self.due_date else None,
            self.workdays_left,
            self.overdue,
            self.estimated,
            self.handler,
            self.department,
            self.task,
            self.contact,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO strings, enums as their values."""
        return dict(zip(self._fields, self.as_row(), strict=True))


def utc_now() -> datetime:
    """The audit clock: an aware UTC instant."""
    return datetime.now(UTC)
