#!/usr/bin/env python3
"""Per-file table of Stryker.NET JSON reports: score, killed, survived, timeout, no coverage, date of the report.

Usage: python3 scripts/mutation-table.py out/mutation/<group>/reports/mutation-report.json [...]
Score = (killed + timeout) / (killed + timeout + survived + no coverage); compile errors and ignored mutants are
excluded, as in Stryker's own score.
"""
import datetime
import json
import os
import sys

print("| file | score | killed | survived | timeout | no coverage | date |")
print("|---|---:|---:|---:|---:|---:|---|")
for path in sys.argv[1:]:
    rep = json.load(open(path))
    date = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc).date().isoformat()
    for name, f in sorted(rep["files"].items(), key=lambda kv: os.path.basename(kv[0])):
        c = {}
        for m in f["mutants"]:
            c[m["status"]] = c.get(m["status"], 0) + 1
        k, s, t, n = (c.get(x, 0) for x in ("Killed", "Survived", "Timeout", "NoCoverage"))
        den = k + s + t + n
        if den == 0:
            continue  # a file of the project outside the selection (all its mutants ignored)
        score = f"{100 * (k + t) / den:.1f}%" if den else "n/a"
        print(f"| {os.path.basename(name)[:-3]} | {score} | {k} | {s} | {t} | {n} | {date} |")
