"""Input models: identity checks, the one-error-for-all-fields rule, the agency profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from ogi_workflow.errors import ValidationError
from ogi_workflow.models import (
    AgencyProfile,
    Applicant,
    Application,
    check_resident_id,
    check_uscc,
    validate,
)

# GB 11643-1999's own example, and a published 统一社会信用代码.
GOOD_ID, GOOD_USCC = "11010519491231002X", "91350100M000100Y43"


def test_resident_id_check_digit() -> None:
    assert check_resident_id(GOOD_ID.lower()) == GOOD_ID
    with pytest.raises(ValueError, match="check digit"):
        check_resident_id("110105194912310021")
    with pytest.raises(ValueError, match="birth date"):
        check_resident_id("110105194902300021")
    with pytest.raises(ValueError, match="17 digits"):
        check_resident_id("11010519491231")


def test_uscc_check_character() -> None:
    assert check_uscc(GOOD_USCC) == GOOD_USCC
    with pytest.raises(ValueError, match="check character"):
        check_uscc("91350100M000100Y44")
    with pytest.raises(ValueError, match="invalid character"):
        check_uscc("91350100M000100YI3")  # I is not in the GB 32100 alphabet


def test_identity_must_fit_the_applicant_kind() -> None:
    with pytest.raises(ValidationError, match="证件类型与申请人类型不符"):
        validate(
            Applicant,
            {"kind": "business", "name": "某公司", "id_type": "resident_id", "id_number": GOOD_ID},
        )
    company = validate(
        Applicant,
        {"kind": "business", "name": "某公司", "id_type": "uscc", "id_number": GOOD_USCC.lower()},
    )
    assert company.identity_key == f"uscc:{GOOD_USCC}"


def test_identity_key_without_a_document_normalises_spaces() -> None:
    a = validate(Applicant, {"kind": "natural_person", "name": " 张  三 "})
    assert a.identity_key == "name:张 三"


def test_one_error_lists_every_bad_field_in_both_languages() -> None:
    with pytest.raises(ValidationError) as caught:
        validate(
            Application,
            {
                "applicant": {"kind": "robot", "name": "x", "email": "no-at-sign"},
                "description": "某文件",
                "received_at": "soon",
                "colour": "red",
            },
        )
    text = str(caught.value)
    assert text.startswith("Application: 4 invalid field(s)")
    for needle in (
        "applicant.kind",
        "申请人类型：取值无效",
        "电子邮箱格式错误",
        "收到申请时间：不是有效的日期时间",
        "colour",
    ):
        assert needle in text


@pytest.mark.parametrize("when", [1700000000, 1700000000.5, "1700000000", "20261123", True])
def test_received_at_is_never_read_as_a_unix_time(when: object) -> None:
    """pydantic alone reads a number (or text of digits) as seconds since 1970: 1700000000
    was received in 2023, and "20261123" on 1970-08-23. A receipt time is a date and time."""
    body = {"applicant": {"kind": "natural_person", "name": "张三"}, "description": "某文件"}
    with pytest.raises(ValidationError, match="received_at") as refused:
        validate(Application, {**body, "received_at": when})
    assert "not a number" in str(refused.value)


def test_naive_received_at_is_shanghai_time() -> None:
    app = validate(
        Application,
        {
            "applicant": {"kind": "natural_person", "name": "张三"},
            "description": "某文件",
            "received_at": "2026-03-01T23:30",
        },
    )
    assert app.received_on.isoformat() == "2026-03-01"
    utc = validate(
        Application,
        {
            "applicant": {"kind": "natural_person", "name": "张三"},
            "description": "某文件",
            "received_at": "2026-03-01T16:30Z",
        },
    )
    assert utc.received_on.isoformat() == "2026-03-02"  # 00:30 in Shanghai


def test_agency_profile_from_toml(tmp_path: Path) -> None:
    path = tmp_path / "agency.toml"
    path.write_text(
        '[agency]\ncode = "city"\nname = "某市人民政府办公室"\nabbreviation = "某府办信公开"\n'
        'review_body = "某市人民政府"\ncourt = "某市中级人民法院"\n',
        encoding="utf-8",
    )
    profile = AgencyProfile.from_toml(path)
    # GB/T 9704: year in 〔〕, no 第, no padded zeros.
    assert profile.letter_number(2026, 7) == "某府办信公开〔2026〕7号"
    assert profile.registration_number(2026, 42) == "2026-0042"
    path.write_text('[agency]\ncode = "city"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ValidationError, match=r"(?s)abbreviation.*review_body.*court"):
        AgencyProfile.from_toml(path)


def test_agency_number_pattern_is_checked() -> None:
    with pytest.raises(ValidationError, match="格式模板无效"):
        validate(
            AgencyProfile,
            {
                "code": "c",
                "name": "n",
                "abbreviation": "a",
                "review_body": "r",
                "court": "c",
                "letter_number_pattern": "{agency}〔{year}〕{seq}号",
            },
        )
