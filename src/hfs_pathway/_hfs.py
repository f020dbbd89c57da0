"""The hemifacial spasm pathway (spec §1-§3), written once as data.

Stages, the events each accepts, the requirements that refuse an event, the routes it may take and
the effects it has on the derived record. The rules live in ``_rules``, one module per stage group
(work-up, treatment, toxin, surgery, stages); this module puts them together in pathway order.
Everything else (the state machine, diagrams, tables, explanations) is generated from
:data:`HFS_PATHWAY`.
"""

from __future__ import annotations

from ._definition import PathwayDefinition
from ._rules import imaging, stages, surgery, toxin, treatment, workup

HFS_PATHWAY = PathwayDefinition(
    name="hemifacial-spasm",
    version="2.0",  # revision 2 of the contract
    stages=stages.STAGES,
    rules=(
        workup.PRESENTATION,
        imaging.IMAGING_RESULT,
        imaging.IMAGING_FINDING_RECORDED,
        imaging.IMAGING_BOOKED,
        imaging.IMAGING_DECLINED,
        workup.SECONDARY_CAUSE_OUTCOME,
        treatment.TREATMENT_DECISION,
        treatment.MEDICATION_STARTED,
        treatment.MEDICATION_REVIEW,
        toxin.BOTOX_INJECTION,
        toxin.BOTOX_RESPONSE,
        toxin.BOTOX_PLAN_ADJUSTED,
        surgery.SURGICAL_RISK_ASSESSMENT,
        surgery.RISK_BENEFIT_DECISION,
        surgery.MVD_PERFORMED,
        surgery.REFERRAL_CLOSED,
        surgery.POST_MVD_REVIEW,
        surgery.RECURRENCE,
        workup.RED_FLAG,
        treatment.REVIEW_VISIT,
        stages.PATHWAY_EXIT,
    ),
)
"""The hemifacial spasm pathway of the clinical contract."""
