#!/usr/bin/env python3
"""List the surviving (and uncovered) mutants of Stryker.NET JSON reports: file:line, mutator, original -> mutant.

Usage: python3 scripts/mutation-survivors.py out/mutation/<File>/reports/mutation-report.json [...]
"""
import json
import sys


def snippet(source, loc):
    lines = source.splitlines()
    s, e = loc["start"], loc["end"]
    if s["line"] == e["line"]:
        return lines[s["line"] - 1][s["column"] - 1:e["column"] - 1]
    return lines[s["line"] - 1][s["column"] - 1:] + " ..."


for path in sys.argv[1:]:
    rep = json.load(open(path))
    for name, f in rep["files"].items():
        for m in sorted(f["mutants"], key=lambda m: m["location"]["start"]["line"]):
            if m["status"] not in ("Survived", "NoCoverage"):
                continue
            orig = " ".join(snippet(f["source"], m["location"]).split())
            repl = " ".join(m.get("replacement", "").split())
            print(f"{name.split('/')[-1]}:{m['location']['start']['line']} [{m['status']}] {m['mutatorName']}: "
                  f"{orig[:70]}  ->  {repl[:70]}")
