#!/usr/bin/env python3
"""Scores per folder and per file from a Stryker JSON report, and the surviving mutants with their lines.

Usage: eng/mutation/summary.py artifacts/mutation/reports/mutation-report.json [--survivors]
Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker computes it.
"""
import collections
import json
import sys

DETECTED = {"Killed", "Timeout"}
UNDETECTED = {"Survived", "NoCoverage"}


def main():
    report = json.load(open(sys.argv[1]))
    show_survivors = "--survivors" in sys.argv
    folders = collections.defaultdict(lambda: [0, 0])
    rows = []
    for path, data in sorted(report["files"].items()):
        marker = "/src/Intermediary/"
        short = path.split(marker, 1)[1] if marker in path else path
        detected = sum(m["status"] in DETECTED for m in data["mutants"])
        undetected = [m for m in data["mutants"] if m["status"] in UNDETECTED]
        total = detected + len(undetected)
        if total == 0:
            continue
        folder = short.split("/", 1)[0]
        folders[folder][0] += detected
        folders[folder][1] += total
        rows.append((short, detected, total, undetected, data["source"].splitlines()))
    for folder, (detected, total) in sorted(folders.items()):
        print(f"{folder + '/':<14} {100 * detected / total:5.1f} %  ({detected}/{total})")
    print()
    for short, detected, total, undetected, lines in rows:
        print(f"  {short:<40} {100 * detected / total:5.1f} %  ({detected}/{total})")
        if show_survivors:
            for m in undetected:
                line = m["location"]["start"]["line"]
                print(f"      {m['status']:<10} line {line:>4}  {m['mutatorName']}: {m.get('replacement', '')[:70]!r}")
                print(f"                 {lines[line - 1].strip()[:100]}")


if __name__ == "__main__":
    main()
