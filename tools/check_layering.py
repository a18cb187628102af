"""Checks that no lower floor of the project depends on a higher one.

Floors, lowest first (a floor may use its own and every lower floor):
  0 common, proto, third_party
  1 store
  2 backends
  3 plugins
  4 service
  5 cli
tests/, bench/, fuzz/, deploy/ and tools/ stand outside the floors and may use
anything. Two kinds of reference are checked, per floor:
  includes    #include "<dir>/..." in .h/.cc files and import "<dir>/..." in
              .proto files;
  build_deps  "//<dir>..." labels in BUILD.bazel files (load() lines are
              build machinery and skipped).

Usage: check_layering.py [--root DIR] [--xml FILE]
Prints every violation as "file:line: <floor> uses <higher floor>: <text>" and
exits 1 when there is any. With --xml (or $XML_OUTPUT_FILE, as under
`bazel test`) it writes JUnit XML with one test case per floor and kind, so a
test runner counts each rule.
"""
import argparse
import os
import re
import sys
from xml.sax.saxutils import escape, quoteattr

FLOORS = {
    "common": 0,
    "proto": 0,
    "third_party": 0,
    "store": 1,
    "backends": 2,
    "plugins": 3,
    "service": 4,
    "cli": 5,
}
FLOOR_NAMES = ["common", "store", "backends", "plugins", "service", "cli"]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([A-Za-z0-9_]+)/')
IMPORT = re.compile(r'^\s*import\s+(?:public\s+)?"([A-Za-z0-9_]+)/')
LABEL = re.compile(r'"//([A-Za-z0-9_]+)[/:"]')


def floor_name(directory):
    """The floor a top-level directory belongs to (common for level 0)."""
    return FLOOR_NAMES[FLOORS[directory]]


def references(path, kind):
    """Yields (line number, referenced top-level dir, line) of one file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if kind == "includes":
                match = INCLUDE.match(line) or IMPORT.match(line)
                targets = [match.group(1)] if match else []
            else:
                if line.lstrip().startswith("load("):
                    continue
                targets = LABEL.findall(line)
            for target in targets:
                yield number, target, line.strip()


def kind_of(filename):
    if filename in ("BUILD", "BUILD.bazel"):
        return "build_deps"
    if filename.endswith((".h", ".cc", ".proto")):
        return "includes"
    return None


def check(root):
    """Returns {(floor, kind): [violation, ...]} for every floor and kind."""
    results = {(f, k): [] for f in FLOOR_NAMES for k in ("includes", "build_deps")}
    for top in sorted(FLOORS):
        base = os.path.join(root, top)
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "bazel-")))
            for filename in sorted(filenames):
                kind = kind_of(filename)
                if kind is None:
                    continue
                path = os.path.join(dirpath, filename)
                for number, target, line in references(path, kind):
                    if target in FLOORS and FLOORS[target] > FLOORS[top]:
                        results[(floor_name(top), kind)].append(
                            f"{os.path.relpath(path, root)}:{number}: {top} uses "
                            f"{target} (a higher floor): {line}")
    return results


def write_junit(results, path):
    failures = sum(1 for v in results.values() if v)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<testsuites><testsuite name="layering" tests="{len(results)}" '
             f'failures="{failures}">']
    for (floor, kind), violations in sorted(results.items()):
        lines.append(f'<testcase classname="layering.{kind}" name="{floor}">')
        if violations:
            message = quoteattr(f"{len(violations)} reference(s) to a higher floor")
            lines.append(f'<failure message={message}>{escape(chr(10).join(violations))}'
                         '</failure>')
        lines.append("</testcase>")
    lines.append("</testsuite></testsuites>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the workspace root")
    parser.add_argument("--xml", default=os.environ.get("XML_OUTPUT_FILE"))
    args = parser.parse_args(argv)
    if not os.path.isdir(os.path.join(args.root, "common")):
        print(f"{args.root} is not the workspace root (no common/)")
        return 2
    results = check(args.root)
    if args.xml:
        write_junit(results, args.xml)
    violations = [v for vs in results.values() for v in vs]
    for violation in violations:
        print(violation)
    checked = len(results)
    print(f"{checked - sum(1 for v in results.values() if v)} of {checked} layering rules hold, "
          f"{len(violations)} violation(s)")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
