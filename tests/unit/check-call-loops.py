#!/usr/bin/env python3
"""check-call-loops.py: no two C files call each other.

    check-call-loops.py SOURCE_ROOT FOLDER...

Calls go one way (docs/ARCHITECTURE.md): when a.c calls a function that
b.c defines, b.c calls nothing a.c defines.  A class spread over several
files shares its cross-file functions through its -private.h in one
direction, and lower code reports up through signals, vfuncs and callback
types, never by calling a function defined above it.

Every .c file below the FOLDERs (relative to SOURCE_ROOT, searched
recursively) is read as text: comments and string literals are dropped,
the functions a file defines are those whose name starts a line and is
followed by " (" after a line with the return type, and a call is a name
followed by " (".  A call goes to the file's own function of that name
when it has one (static helpers of one name in several files are each
their own), else to every file that defines it without static.  Speaks
TAP: one test for the self-test, one for the tree, listing every pair
that calls each other."""
import os
import re
import sys

COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
STRING = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')
DEFINITION = re.compile(r"^([A-Za-z_][\w \t\*]*)\n(\w+) \([^;{]*\)\s*\{", re.M)
CALL = re.compile(r"\b(\w+) \(")


def strip(text):
    return STRING.sub('""', COMMENT.sub(" ", text))


def read_tree(root, folders):
    sources = {}
    for folder in folders:
        base = os.path.join(root, folder)
        for directory, _, names in os.walk(base):
            for name in sorted(names):
                if name.endswith(".c"):
                    path = os.path.join(directory, name)
                    with open(path, encoding="utf-8", errors="replace") as f:
                        sources[os.path.relpath(path, root)] = strip(f.read())
    return sources


def loops(sources):
    exported = {}
    local = {}
    for path, text in sources.items():
        for match in DEFINITION.finditer(text):
            name = match.group(2)
            local.setdefault(path, set()).add(name)
            if not re.search(r"\bstatic\b", match.group(1)) and name != "main":
                exported.setdefault(name, set()).add(path)
    calls = {}
    for path, text in sources.items():
        for match in CALL.finditer(text):
            name = match.group(1)
            if name in local.get(path, ()):
                continue
            for other in exported.get(name, ()):
                calls.setdefault(path, {}).setdefault(other, name)
    found = []
    for a in sorted(calls):
        for b in sorted(calls[a]):
            if a < b and a in calls.get(b, {}):
                found.append((a, calls[a][b], b, calls[b][a]))
    return found


def self_test():
    """The check finds a loop in a tree that has one and none in a tree
    whose calls go one way."""
    looped = {
        "a.c": "gboolean\nfirst (int x)\n{\n  return second (x);\n}\n",
        "b.c": "/* first (1) in a comment is no call */\n"
               "gboolean\nsecond (int x)\n{\n  return x > 0 && first (x - 1);\n}\n",
    }
    one_way = {
        "a.c": "gboolean\nfirst (int x)\n{\n  return second (x);\n}\n",
        "b.c": "static gboolean\nfirst (int x)\n{\n  return x > 1;\n}\n\n"
               "gboolean\nsecond (int x)\n{\n  g_debug (\"first (%d)\", x);\n  return first (x);\n}\n",
    }
    return (len(loops({k: strip(v) for k, v in looped.items()})) == 1 and
            not loops({k: strip(v) for k, v in one_way.items()}))


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    root, folders = sys.argv[1], sys.argv[2:]
    print("1..2")
    if self_test():
        print("ok 1 the check finds a loop in a tree that has one, and only there")
    else:
        print("not ok 1 the check finds a loop in a tree that has one, and only there")
        return 1
    sources = read_tree(root, folders)
    found = loops(sources)
    if not sources:
        print("not ok 2 no two files call each other # no C file under %s" % " ".join(folders))
        return 1
    if found:
        print("not ok 2 no two files call each other (%d files read)" % len(sources))
        for a, call_ab, b, call_ba in found:
            print("# %s calls %s() of %s, which calls %s() of %s" % (a, call_ab, b, call_ba, a))
        return 1
    print("ok 2 no two files call each other (%d files read)" % len(sources))
    return 0


if __name__ == "__main__":
    sys.exit(main())
