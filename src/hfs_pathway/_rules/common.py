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

CARE_STAGES = (*ACTIVE_STAGES, S.SURGICAL_EVALUATION, S.MVD_REFERRAL, S.POST_MVD)
"""Stages of care once the imaging work-up has started: a later study may complete or follow it there, and a red
flag may interrupt it."""
