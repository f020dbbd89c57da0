"""The CDS Hooks 2.0 service (the ``cds`` extra): the pathway inside the clinician's EHR workflow.

Two services, ``hfs-pathway-patient-view`` (hook ``patient-view``) and ``hfs-pathway-order-select``
(hook ``order-select``), answer with cards built from the patient's FHIR data; every call is
authenticated with the client's signed JWT as the specification describes. Start it with
``hfs-pathway serve --config FILE`` or build the ASGI application yourself::

    from hfs_pathway.cds import CdsSettings, create_app
    app = create_app(CdsSettings.load("cds.toml"))

See the guide at https://hfs-pathway.github.io/hfs-pathway/cds-hooks/.
"""

from __future__ import annotations

from ._app import ORDER_SELECT, PATIENT_VIEW, create_app
from ._config import CdsSettings, InvalidCdsConfig, TrustedIssuer

__all__ = ["ORDER_SELECT", "PATIENT_VIEW", "CdsSettings", "InvalidCdsConfig", "TrustedIssuer", "create_app"]
