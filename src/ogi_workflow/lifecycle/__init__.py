"""The lifecycle of a request: the state machine (:mod:`.machine`) and the pure rule of each
action (:mod:`.decide`)."""

from ogi_workflow.lifecycle.decide import (
    CLOCK_FIELDS,
    Decision,
    check_actor,
    clock_events,
    clock_fields,
    decide,
    jsonable,
    jsonable_columns,
    parse_outcome,
    request_label,
)
from ogi_workflow.lifecycle.machine import (
    AWAITING_REPLY,
    DONE,
    OUTCOME_OF_EVENT,
    Event,
    GuardContext,
    HistoryItem,
    State,
    allowed_events,
    fire,
    mermaid_diagram,
)

__all__ = [
    "AWAITING_REPLY",
    "CLOCK_FIELDS",
    "DONE",
    "OUTCOME_OF_EVENT",
    "Decision",
    "Event",
    "GuardContext",
    "HistoryItem",
    "State",
    "allowed_events",
    "check_actor",
    "clock_events",
    "clock_fields",
    "decide",
    "fire",
    "jsonable",
    "jsonable_columns",
    "mermaid_diagram",
    "parse_outcome",
    "request_label",
]
