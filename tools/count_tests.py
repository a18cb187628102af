"""Counts individual test cases from bazel-testlogs/<target>/test.xml.

Usage: count_tests.py //pkg:target ...
Prints failing cases, then "N passed, N failed[, N skipped]" as the last line.
A target without a test.xml (it did not build or run) counts as one failure.
Exits 1 when anything failed.
"""
import os
import sys
import xml.etree.ElementTree as ElementTree


def count(target):
    path = os.path.join("bazel-testlogs", target.lstrip("/").replace(":", "/"), "test.xml")
    if not os.path.exists(path):
        return 0, [f"{target}: no test.xml (did not build or run)"], 0
    passed, failed, skipped = 0, [], 0
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        name = f"{target} {case.get('classname', '')}.{case.get('name', '')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is not None or case.get("status") == "notrun":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(targets):
    passed, failed, skipped = 0, [], 0
    for target in targets:
        p, f, s = count(target)
        passed, skipped = passed + p, skipped + s
        failed.extend(f)
    for name in failed:
        print(f"FAILED: {name}")
    summary = f"{passed} passed, {len(failed)} failed"
    print(summary + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
