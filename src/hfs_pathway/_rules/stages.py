"""The stages of the pathway (spec §1) and leaving it from any of them."""

from __future__ import annotations

from hfs_pathway._change import Change
from hfs_pathway._definition import EventRule, Route, StageInfo
from hfs_pathway._vocabulary import ExitReason

from .common import E, S
from .surgery import enter_discharged, enter_referral
from .toxin import enter_toxin
from .treatment import enter_observation, enter_oral_medication

_ALTERNATIVE_DIAGNOSIS = ExitReason.ALTERNATIVE_DIAGNOSIS  # read once: an Enum class's attribute is a slow read


def _exit_effect(c: Change) -> None:
    if c.event.reason is _ALTERNATIVE_DIAGNOSIS:
        c.alert("alternative_diagnosis", "The patient left the pathway with an alternative diagnosis.")


STAGES = (
    StageInfo(S.PRESENTATION, "Referred with facial twitching; history and examination to be recorded.", initial=True),
    # Nothing to reset on entering imaging: each event that calls for imaging (a presentation, a red flag, a
    # recurrence after a secondary cause) starts the imaging clock in its own effect (one call fewer per presentation).
    StageInfo(S.IMAGING, "MRI is requested or awaited."),
    StageInfo(S.SECONDARY_CAUSE, "Imaging showed a structural or demyelinating cause, managed by its specialty."),
    StageInfo(
        S.TREATMENT_SELECTION,
        "Primary hemifacial spasm is established; the next option is chosen with the patient.",
    ),
    StageInfo(S.OBSERVATION, "No active treatment, by choice.", on_enter=enter_observation),
    StageInfo(S.ORAL_MEDICATION, "Trial or maintenance of an oral drug.", on_enter=enter_oral_medication),
    StageInfo(S.BOTULINUM_TOXIN, "Botulinum toxin injection cycles.", on_enter=enter_toxin),
    StageInfo(
        S.WANING_RESPONSE,
        "Toxin benefit is shortening, insufficient or poorly tolerated: adjust the plan or evaluate surgery.",
    ),
    StageInfo(S.SURGICAL_EVALUATION, "The risk-benefit checkpoint for microvascular decompression."),
    StageInfo(
        S.MVD_REFERRAL,
        "Referred to neurosurgery for microvascular decompression, awaiting surgery.",
        on_enter=enter_referral,
    ),
    StageInfo(S.POST_MVD, "Follow-up after microvascular decompression."),
    StageInfo(
        S.DISCHARGED,
        "Spasm resolved; the pathway is complete (a recurrence or a red flag reopens it).",
        final=True,
        on_enter=enter_discharged,
        reopened_by=(E.RECURRENCE, E.RED_FLAG),
    ),
    StageInfo(
        S.EXITED, "Left the pathway: another diagnosis, declined care, lost, transferred or deceased.", final=True
    ),
)
"""Every stage of the contract, in pathway order, with what it means and what entering it resets."""

NON_FINAL = tuple(info.stage for info in STAGES if not info.final)
"""Stages a patient can still leave (every stage accepts ``pathway_exit`` but the final ones)."""


PATHWAY_EXIT = EventRule(
    E.PATHWAY_EXIT,
    NON_FINAL,
    description="The patient leaves the pathway.",
    effect=_exit_effect,
    routes=(Route(S.EXITED, "The patient left the pathway."),),
)
