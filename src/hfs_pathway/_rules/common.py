"""Names every rule module shares."""

from hfs_pathway._vocabulary import EventType, Stage

S = Stage
E = EventType

ACTIVE_STAGES = (
    S.TREATMENT_SELECTION,
    S.OBSERVATION,
    S.ORAL_MEDICATION,
    S.BOTULINUM_TOXIN,
    S.WANING_RESPONSE,
)
"""Stages in which a treatment decision can be taken."""
