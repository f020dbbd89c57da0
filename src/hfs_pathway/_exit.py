"""Why a patient left the pathway (``Evaluation.exit_reason``, R2.11).

Three events lead to ``exited``: ``pathway_exit`` says why; a presentation whose impression is another diagnosis is
an exit for ``alternative_diagnosis``; and a secondary cause ``managed_elsewhere`` is a ``transferred`` exit (care
continues with the specialty that manages the cause). The reasons are the values of ``pathway_exit``'s ``reason``,
so there is one vocabulary for them.
"""

from __future__ import annotations

from ._events import Event, PathwayExit
from ._vocabulary import EventType, ExitReason

EXIT_REASON_OF_EVENT: dict[str, ExitReason | None] = {
    EventType.PATHWAY_EXIT: None,  # the event's own ``reason``
    EventType.PRESENTATION: ExitReason.ALTERNATIVE_DIAGNOSIS,
    EventType.SECONDARY_CAUSE_OUTCOME: ExitReason.TRANSFERRED,
}
"""For each event type that can move a patient to ``exited``, the exit reason it stands for."""


def exit_reason(event: Event) -> ExitReason | None:
    """The reason of an exit made by ``event`` (the event that moved the patient to ``exited``)."""
    if isinstance(event, PathwayExit):
        return event.reason
    return EXIT_REASON_OF_EVENT.get(event.type)
