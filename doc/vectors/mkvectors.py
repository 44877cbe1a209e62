#!/usr/bin/env python3
"""Write the key list test vectors of doc/SPEC.md section 11.6 into
this directory, from fixed seeds, independently of the C code (Python
`cryptography` only).  Ed25519 is deterministic, so every run writes
the same bytes; `check.sh` verifies them with stock minisign.

TEST ONLY: the seeds are public.
"""
import base64
import hashlib
import pathlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import \
    Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

HERE = pathlib.Path(__file__).resolve().parent
CREATED, EXPIRES, NOT_AFTER = 1767225600, 1782864000, 1830297600


class Key:
    def __init__(self, first):
        self.sk = Ed25519PrivateKey.from_private_bytes(
            bytes(range(first, first + 32)))
        self.pk = self.sk.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.keyid = hashlib.sha256(self.pk).digest()[:8]
        self.rw = base64.b64encode(b"Ed" + self.keyid + self.pk).decode()
        self.id = self.keyid[::-1].hex().upper()

    def pub(self):
        return (f"untrusted comment: minisign public key {self.id}\n"
                f"{self.rw}\n").encode()

    def sign(self, data, comment):
        sig = self.sk.sign(hashlib.blake2b(data, digest_size=64).digest())
        glob = self.sk.sign(sig + comment.encode())
        return (f"untrusted comment: signature from key {self.id}\n"
                f"{base64.b64encode(b'ED' + self.keyid + sig).decode()}\n"
                f"trusted comment: {comment}\n"
                f"{base64.b64encode(glob).decode()}\n").encode()


def keylist(version, roots, keys, threshold=1):
    s = (f"format:cabundle-keys/1\nversion:{version}\ncreated:{CREATED}\n"
         f"expires:{EXPIRES}\nthreshold:{threshold}\n")
    for r in roots:
        s += f"root:{r.id} {r.rw}\n"
    for k, role in keys:
        s += f"key:{k.id} {k.rw} 0 {NOT_AFTER} {role}\n"
    return s.encode()


def comment(data, version):
    return (f"format:cabundle-keys/1\tversion:{version}\tcreated:{CREATED}"
            f"\texpires:{EXPIRES}\tsha256:{hashlib.sha256(data).hexdigest()}")


def main():
    root = Key(0x00)        # SPEC 5's test key: 4C476354A75A4756
    root2 = Key(0x40)
    k1, k2 = Key(0x20), Key(0x60)
    out = {}
    out["root.pub"] = root.pub()
    out["root2.pub"] = root2.pub()
    l1 = keylist(1, [root], [(k1, "active"), (k2, "standby")])
    out["keys-1"] = l1
    out["keys-1.minisig"] = root.sign(l1, comment(l1, 1))
    # Version 2: root2 replaces root, signed by both (a root rotation);
    # k1 retired, k2 active.
    l2 = keylist(2, [root2], [(k1, "retired"), (k2, "active")])
    out["keys-2"] = l2
    out["keys-2.minisig"] = root.sign(l2, comment(l2, 2))
    out["keys-2.%s.minisig" % root2.id] = root2.sign(l2, comment(l2, 2))
    # Must be refused, although minisign -Vm accepts each signature:
    # a comment that is not this list's (another sha256)...
    out["bad-comment.minisig"] = root.sign(l1, comment(l2, 1))
    # ...list text not in canonical form (leading zero, CR LF)...
    out["bad-leading-zero"] = l1.replace(b"version:1\n", b"version:01\n")
    out["bad-leading-zero.minisig"] = root.sign(
        out["bad-leading-zero"], comment(out["bad-leading-zero"], 1))
    out["bad-crlf"] = l1.replace(b"\n", b"\r\n")
    out["bad-crlf.minisig"] = root.sign(out["bad-crlf"],
                                        comment(out["bad-crlf"], 1))
    # ...a threshold above the number of roots, a root as online key.
    out["bad-threshold"] = keylist(1, [root], [(k1, "active")], 2)
    out["bad-threshold.minisig"] = root.sign(
        out["bad-threshold"], comment(out["bad-threshold"], 1))
    out["bad-root-online"] = keylist(1, [root], [(root, "active")])
    out["bad-root-online.minisig"] = root.sign(
        out["bad-root-online"], comment(out["bad-root-online"], 1))
    # ...and version 2 signed by the new root alone (after keys-1).
    out["bad-new-root-only"] = l2
    out["bad-new-root-only.minisig"] = root2.sign(l2, comment(l2, 2))
    for name, data in out.items():
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
