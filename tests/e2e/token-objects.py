#!/usr/bin/python3
"""token-objects.py MODULE TOKEN-LABEL: a token's objects as JSON, read with p11tool

What the token holds, seen by a standard tool rather than by Cradle: every
object of the token labelled TOKEN-LABEL through the PKCS#11 module MODULE,
logged in with the PIN in GNUTLS_PIN (so private keys are listed too). One
JSON array, each object {"type": "cert"|"private"|"public"|..., "label",
"id" (lower-case hex), "flags" (p11tool's words, e.g. "CKA_SENSITIVE"),
"category" ("CA", or null), "sha256" (certificates: of the DER), "spki_sha256" (certificates and public keys:
the SHA-256 of the DER SubjectPublicKeyInfo), "subject" (certificates)}.
"""
import hashlib
import json
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import serialization


def p11tool(module, *args, empty_ok=False):
    result = subprocess.run(["p11tool", "--provider", module, *args], capture_output=True, text=True, timeout=60)
    # An empty token: p11tool --list-all says so and exits 2.
    if empty_ok and result.returncode != 0 and "No matching objects found" in result.stderr:
        return ""
    if result.returncode != 0:
        sys.exit(f"p11tool {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
    return result.stdout


def spki(pem):
    if "BEGIN CERTIFICATE" in pem:
        cert = x509.load_pem_x509_certificate(pem.encode())
        key = cert.public_key()
    else:
        cert = None
        key = serialization.load_pem_public_key(pem.encode())
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest(), cert


def main():
    module, label = sys.argv[1], sys.argv[2]
    token = "pkcs11:token=" + label
    listing = p11tool(module, "--login", "--list-all", token, empty_ok=True)
    objects = []
    current = None
    for line in listing.splitlines():
        if line.startswith("Object "):
            current = {"type": None, "label": None, "id": "", "flags": [], "category": None, "url": None}
            objects.append(current)
            continue
        if current is None or ":" not in line:
            continue
        key, _, value = line.strip().partition(":")
        value = value.strip()
        if key == "URL":
            current["url"] = value
            current["type"] = value.rsplit("type=", 1)[1] if "type=" in value else None
        elif key == "Label":
            current["label"] = value
        elif key == "ID":
            current["id"] = value.replace(":", "").lower()
        elif key == "Flags":
            for flag in (f.strip() for f in value.split(";")):
                if flag.startswith("CKA_CERTIFICATE_CATEGORY="):
                    current["category"] = flag.partition("=")[2]
                elif flag:
                    current["flags"].append(flag)
    for one in objects:
        url = one.pop("url")
        if one["type"] == "cert":
            one["spki_sha256"], cert = spki(p11tool(module, "--export", url))
            one["subject"] = cert.subject.rfc4514_string()
            one["sha256"] = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()
        elif one["type"] == "public":
            one["spki_sha256"], _ = spki(p11tool(module, "--export-pubkey", url))
    json.dump(objects, sys.stdout)
    print()


if __name__ == "__main__":
    main()
