"""Make a test client's key pair and signed CDS Hooks tokens, as an EHR would (docs/cds-hooks.md, "An authenticated
call"). For trying the service out and for tests: a real EHR keeps its private key in its own key store.

    python examples/cds/make_token.py keys --out DIR [--kid KID]
        writes DIR/client-key.pem (the EC P-256 private key, readable by you only) and DIR/jwks.json (its public
        JWK Set, the file the service's configuration points to with jwks_file)
    python examples/cds/make_token.py token --key DIR/client-key.pem --iss ISS --aud URL [--kid KID] [--sub SUB]
        prints one ES256 token: header alg/typ/kid, claims iss, sub, aud, iat, exp (60 s later) and a fresh jti.
        A token is good for one call (the service refuses a jti it has seen).

Needs PyJWT with its crypto extra (the project's ``cds`` extra installs it).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

DEFAULT_KID = "ehr-key-1"


def make_keys(out: Path, kid: str = DEFAULT_KID) -> tuple[Path, Path]:
    """Write a new EC P-256 private key (PEM, mode 0600) and its public JWK Set into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_path = out / "client-key.pem"
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    jwks_path = out / "jwks.json"
    jwks_path.write_text(json.dumps({"keys": [{**public, "kid": kid, "use": "sig", "alg": "ES256"}]}, indent=2) + "\n")
    return key_path, jwks_path


def make_token(key: Path, *, iss: str, aud: str, kid: str = DEFAULT_KID, sub: str = "ehr-cds-client") -> str:
    """One signed token for one call to ``aud`` (the called service's URL), valid for 60 seconds."""
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    now = int(time.time())
    claims = {"iss": iss, "sub": sub, "aud": aud, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, private, algorithm="ES256", headers={"typ": "JWT", "kid": kid})  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("keys", help="write a new key pair")
    keys.add_argument("--out", type=Path, required=True)
    keys.add_argument("--kid", default=DEFAULT_KID)
    token = commands.add_parser("token", help="print one signed token")
    token.add_argument("--key", type=Path, required=True)
    token.add_argument("--iss", required=True)
    token.add_argument("--aud", required=True)
    token.add_argument("--kid", default=DEFAULT_KID)
    token.add_argument("--sub", default="ehr-cds-client")
    args = parser.parse_args(argv)
    if args.command == "keys":
        key_path, jwks_path = make_keys(args.out, args.kid)
        print(f"private key: {key_path}\npublic JWK Set: {jwks_path}")
    else:
        print(make_token(args.key, iss=args.iss, aud=args.aud, kid=args.kid, sub=args.sub))
    return 0


if __name__ == "__main__":
    sys.exit(main())
