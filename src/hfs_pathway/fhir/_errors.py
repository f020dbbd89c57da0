"""The FHIR layer's errors: both are the library's own ``PathwayError`` subclasses."""

from __future__ import annotations

from hfs_pathway._errors import InvalidCase, PathwayError


class InvalidFhir(InvalidCase):
    """The input is not FHIR the importer can read: not a Bundle or resource list, or an element it reads has the
    wrong type or form. The message names the entry, the resource and the element; the code is ``invalid_case``."""


class NoHfsDiagnosis(PathwayError):
    """The resources hold no hemifacial spasm diagnosis (a Condition coded G51.3x or SNOMED CT 13753008), so the
    pathway has nothing to say about this patient."""

    code = "no_hfs_diagnosis"
