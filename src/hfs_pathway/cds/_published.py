"""Signing keys whose private halves are public: a token signed with one proves nothing about its sender.

The CDS Hooks sandbox (the public ``cds-hooks/sandbox`` repository) ships its client's private key in the
repository itself (``keys/ecprivkey.pem`` and ``keys/jwk-keypair.json``) and publishes the public half at
``https://sandbox.cds-hooks.org/.well-known/jwks.json``. Anyone can sign a token that verifies with it. The
service refuses to start trusting such a key, or the sandbox's key set URL, unless the configuration says
``development = true``; keys read from a ``jku`` at run time are checked the same way.

Keys are recognised by their RFC 7638 thumbprint (so a renamed ``kid`` or issuer changes nothing). Only the
public parts are kept here.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

PUBLISHED_KEYS: tuple[dict[str, str], ...] = (
    {
        # The sandbox's client key since October 2019 (ES384), kid 44823f3d-0b01-4a6c-a80e-b9d3e8a7226f.
        "kty": "EC",
        "crv": "P-384",
        "x": "dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB",
        "y": "Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy",
    },
    {
        # The sandbox's client key from 2018 to October 2019 (ES256), kid d9cd3c4f-eb08-4304-b973-44f352fd2ca2.
        "kty": "EC",
        "crv": "P-256",
        "x": "QWI9fI8TcNtdikhVs_M1N_Szb7BOj19etvIKfrQMa9k",
        "y": "jDkhk_Z2RZZ5L5rN4vd1_i-RJLn3EfEhDcy7iFBg--I",
    },
)
"""The public parts of the published test keys (the CDS Hooks sandbox's key set, current and earlier)."""

PUBLISHED_KEY_SET_HOSTS = frozenset({"sandbox.cds-hooks.org"})
"""Hosts whose key sets hold only published test keys."""

_REQUIRED = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}


def thumbprint(jwk: Mapping[str, Any]) -> str | None:
    """The RFC 7638 SHA-256 thumbprint of a public JWK (None for a key type without one here)."""
    members = _REQUIRED.get(str(jwk.get("kty")))
    if members is None or not all(isinstance(jwk.get(m), str) for m in members):
        return None
    text = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


PUBLISHED_THUMBPRINTS = frozenset(t for t in map(thumbprint, PUBLISHED_KEYS) if t is not None)


def is_published(jwk: Mapping[str, Any]) -> bool:
    """Whether a JWK is one of the published test keys."""
    return thumbprint(jwk) in PUBLISHED_THUMBPRINTS


def is_published_key_set_url(url: str) -> bool:
    """Whether a ``jku`` URL is a published test key set's."""
    return (urlsplit(url).hostname or "").lower() in PUBLISHED_KEY_SET_HOSTS
