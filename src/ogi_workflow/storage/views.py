"""Stored rows as read models: a request row as its RequestView, an event row as its
EventView (the columns: docs/storage.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ogi_workflow.clock import Channel
from ogi_workflow.lifecycle import State
from ogi_workflow.models import ApplicantKind, EventView, RequestView
from ogi_workflow.outcomes import Outcome

__all__ = ["event_view", "request_view"]


def request_view(row: Mapping[str, Any]) -> RequestView:
    """The read model of a stored request row."""
    values = {name: row[name] for name in _VIEW_FIELDS}
    values["state"] = _STATES[values["state"]]
    values["outcome"] = _OUTCOMES.get(values["outcome"])
    values["applicant_kind"] = _APPLICANT_KINDS[values["applicant_kind"]]
    values["channel"] = _CHANNELS[values["channel"]]
    # The row was validated on the way in and written by this package, so the view is built
    # without validating again: what model_construct does, minus its per-field bookkeeping
    # (this runs once per action). tests/test_workflow.py checks it equals a validated view.
    view = RequestView.__new__(RequestView)
    object.__setattr__(view, "__dict__", values)
    object.__setattr__(view, "__pydantic_fields_set__", set(_VIEW_FIELDS))
    object.__setattr__(view, "__pydantic_extra__", None)
    object.__setattr__(view, "__pydantic_private__", None)
    return view


_VIEW_FIELDS: Final = tuple(RequestView.model_fields)
_STATES: Final = {s.value: s for s in State}
_OUTCOMES: Final = {o.value: o for o in Outcome}
_APPLICANT_KINDS: Final = {k.value: k for k in ApplicantKind}
_CHANNELS: Final = {c.value: c for c in Channel}


def event_view(r: Mapping[Any, Any]) -> EventView:
    """The read model of a stored event row."""
    return EventView(
        seq=r["seq"],
        event=r["event"],
        actor=r["actor"],
        at=r["at"],
        on=r["effective_on"],
        state_before=r["state_before"],
        state_after=r["state_after"],
        reason=r["reason"],
        payload=r["payload"],
        before=r["before_values"],
        after=r["after_values"],
    )
