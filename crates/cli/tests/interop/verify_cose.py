"""Checks a Tessera access token with an independent COSE implementation (pycose), given
only what `tessera access key --json` prints. Prints one JSON object: whether the signature
verifies, the key id and algorithm from the protected header, and the claims.

usage: verify_cose.py KEY.json TOKEN
"""

import base64
import json
import sys

import base45
import cbor2
from cose.algorithms import EdDSA
from cose.headers import KID, Algorithm
from cose.keys import OKPKey
from cose.keys.curves import Ed25519
from cose.messages import CoseMessage


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        key = json.load(f)
    token = sys.argv[2]
    if not token.startswith("TS1:"):
        raise SystemExit("not a TS1: token")
    message = CoseMessage.decode(base45.b45decode(token[len("TS1:"):]))
    x = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
    message.key = OKPKey(crv=Ed25519, x=x)
    try:
        valid = bool(message.verify_signature())
    except Exception:  # pycose raises on some malformed signatures instead of returning False
        valid = False
    claims = cbor2.loads(message.payload)
    print(
        json.dumps(
            {
                "valid": valid,
                "kid": message.phdr[KID].hex(),
                "alg_is_eddsa": message.phdr[Algorithm] == EdDSA,
                "claims": {
                    str(k): (v.hex() if isinstance(v, bytes) else v) for k, v in claims.items()
                },
            }
        )
    )


if __name__ == "__main__":
    main()
