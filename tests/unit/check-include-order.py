#!/usr/bin/env python3
"""check-include-order.py: no folder of core/ or bridge/ includes a header of
a folder above it, and every include of a private header names its folder.

    check-include-order.py SOURCE_ROOT

The order, lowest first, is the pipeline's (docs/ARCHITECTURE.md): a file may
include headers of its own folder and of folders before it; the protocol
folders under core/ca/ are siblings that include none of each other.  The
CSR builder and the CA connectors sit below policy/: a certificate type
builds its request with the one and makes its CA's connector with the
other.  Speaks
TAP: one test per rule, listing every line that breaks it."""
import os
import re
import sys

ORDER = [
    "core/base",
    "bridge",
    "bridge/agent",
    "core/kerberos",
    "core/directory",
    "core/catalog",
    "core/csr",
    "core/ca",
    "core/ca/certsrv", "core/ca/est", "core/ca/scep", "core/ca/wstep",
    "core/policy",
    "core/state",
    "core/engine",
]
SIBLINGS = {"core/ca/certsrv", "core/ca/est", "core/ca/scep", "core/ca/wstep"}
# Folders a folder may not include although they come before it.
APART = {}
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
    expected = [(good, 0, ""), (upward, 1, "comes after it"), (sideways, 1, "its sibling"),
                (unnamed, 1, "name the folder"), (flat, 1, "stage folder")]
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
    for name in os.listdir(os.path.join(root, "core")):
        if name.endswith((".c", ".h")) and name != "config.h":
            files.append(("core", name))

    upward, unnamed = [], []
    for folder, name in files:
        with open(os.path.join(root, folder, name), encoding="utf-8") as f:
            text = f.read()
        for match in INCLUDE.finditer(text):
            target = match.group(1)
            line = text.count("\n", 0, match.start()) + 1
            where = f"{folder}/{name}:{line}: \"{target}\""
            if target in ("config.h", "cradle-build-config.h"):
                continue
            if folder == "core":
                unnamed.append(f"{where} (core/ holds only config.h: a file belongs in a stage folder)")
                continue
            if folder.startswith("core/") and "/" not in target:
                if target in headers and headers[target] != folder:
                    unnamed.append(f"{where} is in {headers[target]}/: name the folder")
                elif target in headers:
                    unnamed.append(f"{where}: name the folder ({folder.removeprefix('core/')}/{target})")
                continue
            if "/" in target:
                target_folder = "core/" + os.path.dirname(target)
                if not os.path.isfile(os.path.join(root, "core", target)):
                    unnamed.append(f"{where} is not a header under core/")
                    continue
            elif target in headers:
                target_folder = headers[target]
            else:
                continue  # a header of the file's own folder not listed above, or a system one
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
