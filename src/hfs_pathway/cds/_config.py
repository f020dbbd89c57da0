"""The service's settings: where it is reached, whom it trusts, and its limits.

Settings come from a TOML or JSON file (``hfs-pathway serve --config FILE``) or are built in code.
A bad setting is an :class:`InvalidCdsConfig` naming the key; nothing falls back silently. Running
without authentication needs ``allow_unauthenticated = true`` written out in full.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hfs_pathway._errors import PathwayError
from hfs_pathway._guideline import read_settings_file

DOCS_SITE = "https://hfs-pathway.github.io/hfs-pathway/"
"""The project's documentation site; cards link to its stage pages."""

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
"""Signature algorithms a client may use. ``none`` and the HMAC family (HS*) are never accepted: a
shared secret cannot prove which client signed."""


DEFAULT_DATABASE_FILE = "hfs-pathway-cds.sqlite3"
"""The SQLite file (beside the configuration file) feedback and the audit log go to when ``database`` is unset."""


class InvalidCdsConfig(PathwayError):
    """The CDS service's configuration has an unknown key, a bad value, or an unreadable key file."""

    code = "invalid_cds_config"


class TrustedIssuer(BaseModel):
    """A CDS client the service trusts: its ``iss`` and where its public keys are.

    Keys are a JWK Set given inline (``jwks``), in a file (``jwks_file``), or fetched from one of the
    ``jku`` URLs listed here. A token's ``jku`` header is followed only when it is one of these URLs.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: Annotated[str, Field(min_length=1, max_length=500)]
    jwks: dict[str, Any] | None = None
    jwks_file: Path | None = None
    jku: tuple[Annotated[str, Field(pattern=r"^https?://")], ...] = ()
    sub: tuple[str, ...] = ()
    """When not empty, the only ``sub`` (client ids) accepted from this issuer."""

    @model_validator(mode="after")
    def _has_keys(self) -> TrustedIssuer:
        if self.jwks is None and self.jwks_file is None and not self.jku:
            raise ValueError(f"issuer {self.iss!r} needs jwks, jwks_file or a jku URL")
        if self.jwks is not None and not isinstance(self.jwks.get("keys"), list):
            raise ValueError(f'issuer {self.iss!r}: jwks must be a JWK Set, {{"keys": [...]}}')
        return self


class CdsSettings(BaseModel):
    """Everything the service needs to run; every field has a safe default except the issuers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    public_url: Annotated[str, Field(pattern=r"^https?://[^/?#]+(/[^?#]*)?$")] = "http://127.0.0.1:8080"
    """The URL clients call the service at (scheme, host, port, path prefix). A token's ``aud`` must be
    the called service's URL under it: ``{public_url}/cds-services/{id}``."""
    docs_url: Annotated[str, Field(pattern=r"^https?://")] = DOCS_SITE.rstrip("/")
    allow_unauthenticated: bool = False
    """Development only: accept calls without a token. Announced loudly at start-up."""
    development: bool = False
    """Development only: allow published test keys (the CDS Hooks sandbox's) among the issuers' keys, whose
    private halves anyone can read. Implied by ``allow_unauthenticated``; announced loudly at start-up."""
    issuers: tuple[TrustedIssuer, ...] = ()
    clock_skew_seconds: Annotated[int, Field(ge=0, le=300)] = 30
    max_token_lifetime_seconds: Annotated[int, Field(ge=10, le=3600)] = 300
    """A token whose ``exp`` is further than this after its ``iat`` is refused (the spec asks for at
    most five minutes); it also bounds how long a ``jti`` is remembered."""
    max_body_bytes: Annotated[int, Field(ge=1024, le=64 * 1024 * 1024)] = 2 * 1024 * 1024
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call from a browser (``["*"]`` for any); none by default."""
    fhir_servers: tuple[Annotated[str, Field(pattern=r"^https?://[^/?#@]+(/[^?#]*)?$")], ...] = ()
    """The only FHIR server base URLs (prefixes) the service reads from when a call's prefetch is
    incomplete. None by default: ``fhirServer`` is named by the caller, and reading any URL it names
    would let a caller make the service send requests to hosts of its choosing."""
    fhir_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 10.0
    """The whole time a call may spend reading its FHIR server (all queries and pages), and the
    time allowed to fetch a ``jku`` key set."""
    fhir_max_response_bytes: Annotated[int, Field(ge=1024, le=256 * 1024 * 1024)] = 16 * 1024 * 1024
    """The largest answer read from a FHIR server (each page) or a ``jku`` URL; a larger one is not read."""
    guideline: Path | None = None
    """A clinic's guideline file (.toml or .json); the default guideline when unset."""
    diagram_ttl_seconds: Annotated[int, Field(ge=10, le=86400)] = 3600
    store: Annotated[str, Field(pattern=r"^(memory|rediss?://\S+)$")] = "memory"
    """Where the replay cache, the diagram links and the issued cards are kept: ``memory`` (this process
    only; one worker) or a Redis URL (``redis://host:6379/0``) shared by every worker and host."""
    database: Annotated[str, Field(pattern=r"^(sqlite|postgresql(\+psycopg)?)://")] | None = None
    """Where feedback and the audit log of served cards are recorded: a SQLAlchemy URL, ``sqlite:///FILE``
    or ``postgresql://user@host/db``. Unset: ``hfs-pathway-cds.sqlite3`` beside the configuration file
    when the settings come from a file, else an in-memory SQLite database (kept for the process's life)."""

    @field_validator("public_url", "docs_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def development_mode(self) -> bool:
        """Whether published test keys may be trusted (``development`` or ``allow_unauthenticated``)."""
        return self.development or self.allow_unauthenticated

    @property
    def database_url(self) -> str:
        """The database to record to (an in-memory SQLite database when none is configured)."""
        return self.database or "sqlite://"

    @model_validator(mode="after")
    def _trusts_someone(self) -> CdsSettings:
        if not self.allow_unauthenticated and not self.issuers:
            raise ValueError(
                "no trusted issuers: add [[issuers]] with their keys, or set allow_unauthenticated = true "
                "for development"
            )
        seen: set[str] = set()
        for issuer in self.issuers:
            if issuer.iss in seen:
                raise ValueError(f"issuer {issuer.iss!r} is listed twice")
            seen.add(issuer.iss)
        return self

    @classmethod
    def from_mapping(cls, data: Any, *, base: Path | None = None, source: str = "configuration") -> CdsSettings:
        """Validate a parsed configuration; relative file paths are taken from ``base``."""
        if not isinstance(data, dict):
            raise InvalidCdsConfig(f"{source}: expected a table of settings")
        if base is not None:
            data = _resolve_paths(data, base)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise InvalidCdsConfig(f"{source}: {_describe(exc)}") from None

    @classmethod
    def load(cls, path: str | Path) -> CdsSettings:
        """Read settings from a ``.toml`` or ``.json`` file."""
        path = Path(path)
        data = read_settings_file(path, InvalidCdsConfig, "configuration")
        if isinstance(data, dict) and "database" not in data:
            data = {**data, "database": f"sqlite:///{DEFAULT_DATABASE_FILE}"}
        return cls.from_mapping(data, base=path.parent, source=path.name)

    def service_url(self, service_id: str) -> str:
        """The URL of one service: what a token's ``aud`` must name."""
        return f"{self.public_url}/cds-services/{service_id}"


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    data = dict(data)
    if isinstance(data.get("guideline"), str):
        data["guideline"] = str(base / data["guideline"])
    database = data.get("database")
    if isinstance(database, str) and database.startswith("sqlite:///") and not database.startswith("sqlite:////"):
        relative = database.removeprefix("sqlite:///")
        if relative and relative != ":memory:":
            data["database"] = f"sqlite:///{(base / relative).resolve()}"
    issuers = data.get("issuers")
    if isinstance(issuers, list):
        data["issuers"] = [
            {**issuer, "jwks_file": str(base / issuer["jwks_file"])}
            if isinstance(issuer, dict) and isinstance(issuer.get("jwks_file"), str)
            else issuer
            for issuer in issuers
        ]
    return data


def _describe(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "settings"
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return f"unknown setting {where!r}"
    return f"{where}: {message}"
