#!/usr/bin/env python3
"""check-include-order.py: no folder of core/ or bridge/ includes a header of
a folder above it, and every include of a private header names its folder
(relative to core/ or bridge/: "ca/scep/cradle-scep-private.h",
"protocol/cradle-bridge-frame-private.h").

    check-include-order.py SOURCE_ROOT

The order, lowest first, is the pipeline's (docs/ARCHITECTURE.md): a file may
include headers of its own folder and of folders before it; the protocol
folders under core/ca/ are siblings that include none of each other.  The
CSR builder and the CA connectors sit below policy/: a certificate type
builds its request with the one and makes its CA's connector with the
other.  bridge/protocol is what both ends of the bridge link; the agent
(the device side) never includes the host's client.  Speaks
TAP: one test per rule, listing every line that breaks it."""
import os
import re
import sys

ORDER = [
    "core/base",
    "bridge/protocol",
    "bridge/pkcs11",
    "bridge/host",
    "bridge/agent",
    "core/kerberos",
    "core/directory",
    "core/catalog",
    "core/csr",
    "core/ca",
    "core/ca/certsrv", "core/ca/est", "core/ca/scep", "core/ca/wstep",
    "core/revocation",
    "core/policy",
    "core/state",
    "core/lifecycle",
    "core/engine",
    "core/support",
]
SIBLINGS = {"core/ca/certsrv", "core/ca/est", "core/ca/scep", "core/ca/wstep"}
# Folders a folder may not include although they come before it.
APART = {"bridge/agent": {"bridge/host", "bridge/pkcs11"}}
# The folders holding nothing but config.h: every file belongs in one below.
FLAT = ("core", "bridge")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def rank(folder):
    return ORDER.index(folder)


def self_test():
    """The check fails on a tree that breaks each rule, and passes on one
    that does not: run before the real tree is checked."""
    import contextlib
    import io
    import tempfile

    def tree(files):
        folder = tempfile.mkdtemp(prefix="cradle-include-order-")
        for name in ORDER:
            os.makedirs(os.path.join(folder, name), exist_ok=True)
        for path, text in files.items():
            with open(os.path.join(folder, path), "w", encoding="utf-8") as f:
                f.write(text)
        return folder

    def verdict(files):
        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = check(tree(files))
        return code, out.getvalue()

    good = {"core/base/cradle-a-private.h": "", "core/engine/cradle-b.c": '#include "base/cradle-a-private.h"\n'}
    upward = {"core/engine/cradle-b-private.h": "", "core/base/cradle-a.c": '#include "engine/cradle-b-private.h"\n'}
    sideways = {"core/ca/scep/cradle-s-private.h": "", "core/ca/est/cradle-e.c": '#include "ca/scep/cradle-s-private.h"\n'}
    unnamed = {"core/base/cradle-a-private.h": "", "core/engine/cradle-b.c": '#include "cradle-a-private.h"\n'}
    flat = {"core/cradle-stray.c": '#include "base/cradle-a-private.h"\n', "core/base/cradle-a-private.h": ""}
    bridge_good = {"bridge/protocol/cradle-p-private.h": "", "bridge/host/cradle-h-private.h": "",
                   "bridge/host/cradle-h.c": '#include "protocol/cradle-p-private.h"\n#include "host/cradle-h-private.h"\n',
                   "bridge/agent/cradle-g.c": '#include "protocol/cradle-p-private.h"\n',
                   "core/engine/cradle-b.c": '#include "host/cradle-h-private.h"\n'}
    agent_host = {"bridge/host/cradle-h-private.h": "", "bridge/agent/cradle-g.c": '#include "host/cradle-h-private.h"\n'}
    protocol_up = {"bridge/host/cradle-h-private.h": "", "bridge/protocol/cradle-p.c": '#include "host/cradle-h-private.h"\n'}
    core_unnamed = {"bridge/protocol/cradle-p-private.h": "", "core/ca/scep/cradle-s.c": '#include "cradle-p-private.h"\n'}
    bridge_unnamed = {"bridge/host/cradle-h-private.h": "", "bridge/host/cradle-h.c": '#include "cradle-h-private.h"\n'}
    bridge_flat = {"bridge/cradle-stray.c": ""}
    expected = [(good, 0, ""), (upward, 1, "comes after it"), (sideways, 1, "its sibling"),
                (unnamed, 1, "name the folder"), (flat, 1, "stage folder"),
                (bridge_good, 0, ""), (agent_host, 1, "may not include bridge/host"),
                (protocol_up, 1, "comes after it"), (core_unnamed, 1, "is in bridge/protocol/: name the folder"),
                (bridge_unnamed, 1, "name the folder"), (bridge_flat, 1, "stage folder")]
    for files, code, words in expected:
        got, out = verdict(files)
        if got != code or words not in out:
            print(f"Bail out! the check itself is wrong: {sorted(files)} gave {got}:\n{out}")
            return False
    return True


def main():
    if not self_test():
        return 1
    return check(os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "."))


def check(root):
    headers = {}  # file name -> folder, for every header of the checked folders
    files = []
    for folder in ORDER:
        path = os.path.join(root, folder)
        if not os.path.isdir(path):
            print(f"Bail out! {folder} is missing: update ORDER in {sys.argv[0]}")
            return 1
        for name in sorted(os.listdir(path)):
            if name.endswith((".c", ".h")):
                files.append((folder, name))
                if name.endswith(".h") and name != "config.h":
                    headers.setdefault(name, folder)
    upward, unnamed = [], []
    for flat in FLAT:
        for name in sorted(os.listdir(os.path.join(root, flat))):
            if name.endswith((".c", ".h")) and name != "config.h":
                unnamed.append(f"{flat}/{name} ({flat}/ holds only config.h: a file belongs in a stage folder)")
    for folder, name in files:
        with open(os.path.join(root, folder, name), encoding="utf-8") as f:
            text = f.read()
        for match in INCLUDE.finditer(text):
            target = match.group(1)
            line = text.count("\n", 0, match.start()) + 1
            where = f"{folder}/{name}:{line}: \"{target}\""
            if target in ("config.h", "cradle-build-config.h"):
                continue
            if "/" not in target:
                if target in headers and headers[target] != folder:
                    unnamed.append(f"{where} is in {headers[target]}/: name the folder")
                elif target in headers:
                    unnamed.append(f"{where}: name the folder ({folder.split('/', 1)[1]}/{target})")
                continue
            top = "bridge" if target.split("/", 1)[0] in ("protocol", "pkcs11", "host", "agent") else "core"
            target_folder = top + "/" + os.path.dirname(target)
            if not os.path.isfile(os.path.join(root, top, target)):
                unnamed.append(f"{where} is not a header under {top}/")
                continue
            if target_folder == folder:
                continue
            if target_folder not in ORDER:
                unnamed.append(f"{where}: {target_folder} is not in the folder order")
            elif folder in SIBLINGS and target_folder in SIBLINGS:
                upward.append(f"{where}: {folder} may not include its sibling {target_folder}")
            elif rank(target_folder) > rank(folder):
                upward.append(f"{where}: {folder} may not include {target_folder}, which comes after it")
            elif target_folder in APART.get(folder, ()):
                upward.append(f"{where}: {folder} may not include {target_folder}")

    print("1..2")
    for number, (title, problems) in enumerate(
            (("includes go down the folder order", upward), ("includes name their folder", unnamed)), 1):
        if problems:
            print(f"not ok {number} {title}")
            for problem in problems:
                print(f"# {problem}")
        else:
            print(f"ok {number} {title}")
    return 1 if upward or unnamed else 0


if __name__ == "__main__":
    sys.exit(main())
