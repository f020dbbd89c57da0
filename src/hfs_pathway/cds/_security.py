"""Who may call: the CDS Hooks JWT check (CDS Hooks 2.0, "Trusting CDS Clients").

Every service call carries ``Authorization: Bearer <JWT>`` signed by the client's private key. The
token is accepted only when all of these hold:

- the algorithm is asymmetric (RS*, PS*, ES*, EdDSA); ``none`` and HS* are refused before anything
  else is read, so a public key can never be used as an HMAC secret;
- the header's ``typ`` is ``JWT``, in any case (a required header with that fixed value in the specification;
  RFC 7515 compares media types without regard to case);
- the header names the signing key (``kid``), as the specification requires;
- ``iss`` is a configured issuer, and the signature verifies with one of that issuer's keys (its
  configured JWK Set, or the set at the token's ``jku`` when that URL is on the issuer's list);
- ``aud`` names the called service's URL, ``exp`` is in the future and ``iat`` not in the future
  (both with the configured clock skew), and the token lives no longer than the configured maximum;
- ``exp``, ``iat`` and ``nbf`` are numbers (NumericDate), whatever else they could be parsed as;
- ``jti`` has not been seen from that issuer during the token's lifetime (replay), in any worker sharing
  the configured store;
- the key is not a published test key (the CDS Hooks sandbox's), unless in development mode;
- ``sub`` is on the issuer's list when it has one.

Refusals say which rule failed, never echo the token, and are never logged with patient data.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWK, PyJWKSet

from ._config import ASYMMETRIC_ALGORITHMS, CdsSettings, InvalidCdsConfig, TrustedIssuer
from ._published import is_published, is_published_key_set_url
from ._store import Store

log = logging.getLogger("hfs_pathway.cds")

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
_MAX_TOKEN_CHARS = 16_384
_JKU_CACHE_SECONDS = 300.0


class Unauthorized(Exception):
    """The call's token is missing or fails one of the checks; ``reason`` says which, in words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Caller:
    """The authenticated client of one call (or the development placeholder)."""

    iss: str
    sub: str | None
    authenticated: bool


DEVELOPMENT_CALLER = Caller(iss="development", sub=None, authenticated=False)


_FAILURE_CACHE_SECONDS = 30.0
"""How long a failed ``jku`` fetch is remembered: tokens naming it meanwhile are refused without a fetch."""


class KeyFetcher:
    """Fetches a JWK Set from an allowed ``jku`` URL (within ``timeout`` seconds and ``max_bytes``).

    A set is kept for a few minutes and a failure for :data:`_FAILURE_CACHE_SECONDS`; concurrent tokens
    naming the same URL wait for one fetch (single flight), so a burst of tokens, valid or not, sends at
    most one request to each URL. Published test keys are dropped unless ``allow_published``.
    """

    def __init__(self, timeout: float, max_bytes: int, *, allow_published: bool = False) -> None:
        self._timeout = timeout
        self._max_bytes = max_bytes
        self._allow_published = allow_published
        self._cache: dict[str, tuple[float, list[PyJWK] | Unauthorized]] = {}
        self._flights: dict[str, asyncio.Future[list[PyJWK]]] = {}
        self.fetches = 0

    async def keys(self, url: str) -> list[PyJWK]:
        cached = self._cache.get(url)
        if cached is not None and cached[0] > time.monotonic():
            if isinstance(cached[1], Unauthorized):
                raise cached[1]
            return cached[1]
        flight = self._flights.get(url)
        if flight is None:
            flight = asyncio.get_running_loop().create_future()
            self._flights[url] = flight
            try:
                keys = await self._fetch(url)
            except Unauthorized as refused:
                self._cache[url] = (time.monotonic() + _FAILURE_CACHE_SECONDS, refused)
                flight.set_exception(refused)
                flight.exception()  # retrieved: no "never retrieved" warning when nobody else waits
                raise
            finally:
                del self._flights[url]
            self._cache[url] = (time.monotonic() + _JKU_CACHE_SECONDS, keys)
            flight.set_result(keys)
            return keys
        return await asyncio.shield(flight)

    async def _fetch(self, url: str) -> list[PyJWK]:
        import httpx

        from ._http import TooLarge, get_json

        self.fetches += 1
        try:
            async with (
                asyncio.timeout(self._timeout),
                httpx.AsyncClient(
                    timeout=self._timeout, follow_redirects=False, headers={"Accept": "application/json"}
                ) as client,
            ):
                status, data = await get_json(client, url, self._max_bytes)
            if status != 200:
                raise ValueError(f"HTTP {status}")
            key_set = PyJWKSet.from_dict(data)
        except (httpx.HTTPError, ValueError, TypeError, AttributeError, TimeoutError, TooLarge, jwt.PyJWTError) as exc:
            raise Unauthorized(f"the key set at the token's jku could not be fetched ({type(exc).__name__})") from None
        keys = _usable(key_set)
        if not self._allow_published:
            published = [k for k in keys if _is_published(k)]
            if published:
                log.warning("a jku key set holds %d published test key(s); they are not trusted", len(published))
            keys = [k for k in keys if k not in published]
            if not keys and published:
                raise Unauthorized("the key set at the token's jku holds only published test keys (anyone can sign)")
        return keys


def _is_published(key: PyJWK) -> bool:
    public = key.key.public_key() if hasattr(key.key, "public_key") else key.key
    from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

    for algorithm in (ECAlgorithm, RSAAlgorithm, OKPAlgorithm):
        try:
            return is_published(json.loads(algorithm.to_jwk(public)))
        except (jwt.InvalidKeyError, TypeError, ValueError, AttributeError):
            continue
    return False


def _usable(key_set: PyJWKSet) -> list[PyJWK]:
    return [k for k in key_set.keys if (k.public_key_use or "sig") == "sig"]


def load_issuer_keys(issuer: TrustedIssuer) -> list[PyJWK]:
    """The configured (not ``jku``) keys of an issuer; a bad key set is an :class:`InvalidCdsConfig`."""
    data: Any = issuer.jwks
    if issuer.jwks_file is not None:
        try:
            data = json.loads(issuer.jwks_file.read_bytes())
        except (OSError, ValueError) as exc:
            raise InvalidCdsConfig(
                f"issuer {issuer.iss!r}: cannot read jwks_file {str(issuer.jwks_file)!r}: {exc}"
            ) from None
    if data is None:
        return []
    try:
        keys = _usable(PyJWKSet.from_dict(data))
    except (jwt.PyJWKSetError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
        raise InvalidCdsConfig(f"issuer {issuer.iss!r}: not a usable JWK Set: {exc}") from None
    for key in keys:
        if isinstance(key.key, (bytes, str)):
            raise InvalidCdsConfig(f"issuer {issuer.iss!r}: symmetric keys (kty oct) are not accepted")
        if hasattr(key.key, "private_bytes"):
            raise InvalidCdsConfig(f"issuer {issuer.iss!r}: the key set holds a private key; configure public keys")
    return keys


def published_key_problems(issuer: TrustedIssuer, keys: Sequence[PyJWK]) -> list[str]:
    """What of an issuer's configuration is a published test key or key set (empty when nothing is)."""
    problems = [
        f"issuer {issuer.iss!r}: key {k.key_id or '(no kid)'} is a published test key (the CDS Hooks sandbox's): "
        "anyone can sign tokens with it"
        for k in keys
        if _is_published(k)
    ]
    problems += [
        f"issuer {issuer.iss!r}: jku {url!r} serves published test keys (the CDS Hooks sandbox's)"
        for url in issuer.jku
        if is_published_key_set_url(url)
    ]
    return problems


class TokenVerifier:
    """Checks the bearer token of each call against the configured issuers."""

    def __init__(self, settings: CdsSettings, store: Store) -> None:
        self._settings = settings
        self._issuers = {issuer.iss: issuer for issuer in settings.issuers}
        self._keys = {issuer.iss: load_issuer_keys(issuer) for issuer in settings.issuers}
        problems = [p for i in settings.issuers for p in published_key_problems(i, self._keys[i.iss])]
        if problems and not settings.development_mode:
            raise InvalidCdsConfig(
                "; ".join(problems) + ". Remove them, or set development = true for a test installation"
            )
        for problem in problems:
            log.warning("DEVELOPMENT MODE: trusting a published test key: %s", problem)
        self._fetcher = KeyFetcher(
            settings.fhir_timeout_seconds, settings.fhir_max_response_bytes, allow_published=settings.development_mode
        )
        self._store = store

    async def verify(self, authorization: str | None, audiences: Sequence[str]) -> Caller:
        """The caller of a request whose ``Authorization`` header is given, or :class:`Unauthorized`."""
        token = _bearer(authorization)
        header, unverified = _peek(token)
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in ASYMMETRIC_ALGORITHMS:
            accepted = ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
            shown = repr(alg) if len(repr(alg)) <= 24 else repr(alg)[:20] + "…"  # the caller's text, cut short
            raise Unauthorized(f"signature algorithm {shown} is not accepted (asymmetric only: {accepted})")
        typ = header.get("typ")
        if typ is None:
            raise Unauthorized("the token's header has no typ (the specification requires typ, fixed to 'JWT')")
        if not isinstance(typ, str) or typ.upper() != "JWT":
            raise Unauthorized("the token's header typ must be 'JWT' (the specification's fixed value)")
        if not isinstance(header.get("kid"), str) or not header["kid"]:
            raise Unauthorized("the token's header has no kid (the specification requires it to name the signing key)")
        for name in ("exp", "iat", "nbf"):
            value = unverified.get(name)
            if name in unverified and (
                isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
            ):
                raise Unauthorized(f"the token's {name} must be a number of seconds (a NumericDate)")
        iss = unverified.get("iss")
        issuer = self._issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise Unauthorized("the token's issuer (iss) is not trusted by this service")
        keys = await self._candidate_keys(issuer, header, alg)
        settings = self._settings
        claims: dict[str, Any] | None = None
        for key in keys:
            try:
                claims = jwt.decode(
                    token,
                    key=key.key,
                    algorithms=[alg],
                    audience=list(audiences),
                    issuer=issuer.iss,
                    leeway=settings.clock_skew_seconds,
                    options={"require": ["iss", "aud", "exp", "iat", "jti"], "strict_aud": False},
                )
                break
            except (jwt.InvalidSignatureError, jwt.InvalidKeyError):
                # InvalidKeyError: this key cannot serve the token's algorithm (an EC key of another curve).
                continue
            except jwt.ExpiredSignatureError:
                raise Unauthorized("the token has expired (exp)") from None
            except jwt.InvalidAudienceError:
                raise Unauthorized("the token's audience (aud) is not this service's URL") from None
            except jwt.ImmatureSignatureError:
                raise Unauthorized("the token is issued in the future (iat) or not yet valid (nbf)") from None
            except jwt.MissingRequiredClaimError as exc:
                raise Unauthorized(f"the token has no {exc.claim!r} claim") from None
            except jwt.InvalidTokenError as exc:
                raise Unauthorized(f"the token is invalid ({type(exc).__name__})") from None
        if claims is None:
            raise Unauthorized("the token's signature does not verify with the issuer's keys")
        return await self._check_claims(issuer, claims)

    async def _candidate_keys(self, issuer: TrustedIssuer, header: dict[str, Any], alg: str) -> list[PyJWK]:
        jku = header.get("jku")
        if jku is not None:
            if jku not in issuer.jku:
                raise Unauthorized("the token's jku is not on the issuer's list of key set URLs")
            keys = await self._fetcher.keys(jku)
        else:
            keys = self._keys[issuer.iss]
            if not keys:
                # Any listed set may hold the key: one that cannot be fetched refuses only when none has it.
                failures: list[Unauthorized] = []
                for url in issuer.jku:
                    try:
                        keys = keys + await self._fetcher.keys(url)
                    except Unauthorized as refused:
                        failures.append(refused)
                if not keys and failures:
                    raise failures[0]
        kty = _KEY_TYPES[alg[:2]]
        kid = header["kid"]
        matching = [k for k in keys if k.key_type == kty and k.key_id == kid]
        if not matching:
            raise Unauthorized("no key of the issuer matches the token's kid and algorithm")
        return matching

    async def _check_claims(self, issuer: TrustedIssuer, claims: dict[str, Any]) -> Caller:
        settings = self._settings
        now = time.time()
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not isinstance(iat, (int, float)) or iat > now + settings.clock_skew_seconds:
            raise Unauthorized("the token is issued in the future (iat)")
        if exp - iat > settings.max_token_lifetime_seconds:
            raise Unauthorized(f"the token lives longer than {settings.max_token_lifetime_seconds} seconds (exp - iat)")
        if not isinstance(jti, str) or not jti:
            raise Unauthorized("the token's jti must be a non-empty string")
        sub = claims.get("sub")
        if issuer.sub and sub not in issuer.sub:
            raise Unauthorized("the token's subject (sub) is not allowed for this issuer")
        remember = max(1.0, exp + settings.clock_skew_seconds - now)
        if not await self._store.first_use(issuer.iss, jti, remember):
            raise Unauthorized("the token was already used (replayed jti)")
        return Caller(iss=issuer.iss, sub=sub if isinstance(sub, str) else None, authenticated=True)


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The token's header and claims, unverified: only to choose the issuer's keys. PyJWT then parses
    and verifies the whole token (parsing it three times through PyJWT costs more than the signature)."""
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError
        header, claims = (json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2])
    except (ValueError, TypeError, RecursionError, binascii.Error):
        raise Unauthorized("the bearer token is not a well-formed JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Unauthorized("the bearer token is not a well-formed JWT")
    return header, claims


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise Unauthorized("no bearer token: send Authorization: Bearer <JWT>")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("the Authorization header must be 'Bearer <JWT>'")
    if len(token) > _MAX_TOKEN_CHARS:
        raise Unauthorized("the bearer token is too long")
    return token
