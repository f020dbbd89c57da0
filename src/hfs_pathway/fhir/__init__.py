"""FHIR R4 for the hemifacial spasm pathway (the ``fhir`` extra).

Read a patient's FHIR record as a case, and write an evaluation back as FHIR resources::

    from hfs_pathway import Pathway
    from hfs_pathway.fhir import import_bundle, export_evaluation

    imported = import_bundle("examples/fhir/toxin_responder.json")
    evaluation = Pathway.replay(imported.case).evaluate(datetime.date(2025, 4, 1))
    bundle = export_evaluation(evaluation, imported.case, imported=imported)

Import works on the parsed JSON and checks each element it reads, so it stays fast; export, orders and
the PlanDefinition are built and validated with the ``fhir.resources`` R4B models, loaded on first use.
Facts EHRs rarely code (the examination, toxin peak and duration, decisions with consent, the post-MVD review) are
captured with the pathway's SDC Questionnaires (``questionnaires()``); their QuestionnaireResponses import as events.
The mapping, the codes and the project's own code systems are documented on the FHIR page of the docs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hfs_pathway._lazy import lazy_getattr

from ._errors import InvalidFhir, NoHfsDiagnosis
from ._findings import ImportFinding, SkippedResource
from ._import import FhirImport, import_bundle, import_resources

if TYPE_CHECKING:
    from ._export import export_evaluation
    from ._orders import proposed_orders
    from ._plan import plan_definition
    from ._questionnaire import FORMS, questionnaire, questionnaires

_LAZY = {
    "export_evaluation": "._export",
    "proposed_orders": "._orders",
    "plan_definition": "._plan",
    "FORMS": "._questionnaire",
    "questionnaire": "._questionnaire",
    "questionnaires": "._questionnaire",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = [
    "FORMS",
    "FhirImport",
    "ImportFinding",
    "InvalidFhir",
    "NoHfsDiagnosis",
    "SkippedResource",
    "export_evaluation",
    "import_bundle",
    "import_resources",
    "plan_definition",
    "proposed_orders",
    "questionnaire",
    "questionnaires",
]
