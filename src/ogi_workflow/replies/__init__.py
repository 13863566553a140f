"""Reply letters and procedural notices: kinds, facts, templates, text and Word output."""

from ogi_workflow.replies.letters import (
    CONVENIENCE_KEYS,
    Block,
    BlockStyle,
    KindSpec,
    Letter,
    LetterKind,
    LetterRenderer,
    cn_date,
)

__all__ = [
    "CONVENIENCE_KEYS",
    "Block",
    "BlockStyle",
    "KindSpec",
    "Letter",
    "LetterKind",
    "LetterRenderer",
    "cn_date",
]
