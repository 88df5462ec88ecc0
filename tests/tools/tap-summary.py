#!/usr/bin/python3
"""Counts every TAP test case in meson test logs and prints one closing line.

Usage: tap-summary.py testlog.json [testlog.json ...]

Each test program speaks TAP; a program that crashed, timed out or bailed out
without reporting a failing case still counts as one failure, so nothing that
went wrong is lost from the count. Skipped cases are listed with their reason.
"""
import json
import re
import sys

CASE = re.compile(r"^(not ok|ok)\b\s*\d*\s*(.*?)(?:\s+#\s*(SKIP|TODO)\b\s*(.*))?$", re.IGNORECASE)
PLAN_SKIP = re.compile(r"^1\.\.0\s*#\s*SKIP\s*(.*)$", re.IGNORECASE)


def count_program(record, totals, skipped, failed):
    name = record["name"]
    failures_seen = 0
    for line in record.get("stdout", "").splitlines():
        plan = PLAN_SKIP.match(line)
        if plan:
            totals["skipped"] += 1
            skipped.append(f"{name}: {plan.group(1) or 'no reason given'}")
            continue
        case = CASE.match(line)
        if not case:
            continue
        verdict, description, directive, reason = case.groups()
        label = f"{name} {description}".strip()
        if directive and directive.upper() == "SKIP":
            totals["skipped"] += 1
            skipped.append(f"{label}: {reason or 'no reason given'}")
        elif directive and directive.upper() == "TODO":
            totals["skipped"] += 1
            skipped.append(f"{label}: not done yet ({reason})")
        elif verdict.lower() == "ok":
            totals["passed"] += 1
        else:
            totals["failed"] += 1
            failures_seen += 1
            failed.append(label)
    if record["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") and failures_seen == 0:
        totals["failed"] += 1
        failed.append(f"{name}: {record['result']} (exit {record.get('returncode')})")


def main(paths):
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    skipped, failed = [], []
    for path in paths:
        with open(path, encoding="utf-8") as log:
            for line in log:
                if line.strip():
                    count_program(json.loads(line), totals, skipped, failed)
    for entry in skipped:
        print(f"skipped: {entry}")
    for entry in failed:
        print(f"failed: {entry}")
    line = f"{totals['passed']} passed, {totals['failed']} failed"
    if totals["skipped"]:
        line += f", {totals['skipped']} skipped"
    print(line)
    return 1 if totals["failed"] or totals["passed"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
