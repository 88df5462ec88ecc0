"""Random lab passwords, kept in a 0600 JSON file inside the lab folder."""

import json
import os
import secrets as _rng
import string

# No quote, backslash, '$', '&', '<', '>' or space: values stay easy to paste
# into shells, URLs and XML.  AD complexity wants 3 of the 4 classes; we
# always include all four.
_SYMBOLS = "-_.+=%@"
_ALPHABET = string.ascii_letters + string.digits + _SYMBOLS


def generate_password(length=20):
    while True:
        pw = "".join(_rng.choice(_ALPHABET) for _ in range(length))
        if (any(c.islower() for c in pw) and any(c.isupper() for c in pw)
                and any(c.isdigit() for c in pw)
                and any(c in _SYMBOLS for c in pw)):
            return pw


def create(path, names):
    """Generate one password per name (plus Administrator) and store them."""
    data = {"Administrator": generate_password()}
    for n in names:
        data[n] = generate_password()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2, sort_keys=True)
        f.write("\n")
    os.chmod(path, 0o600)
    return data


def load(path):
    with open(path) as f:
        return json.load(f)
