"""A tiny JUnit recorder: one <testcase> per check, for tools/count_tests.py."""
import os
import sys
import traceback
from xml.sax.saxutils import quoteattr


class Skip(str):
    """Returned by a check that did not run: the reason."""


class Cases:
    def __init__(self, suite):
        self.suite = suite
        self.rows = []
        self.failed = 0

    def run(self, name, check):
        """Runs check(); AssertionError or any exception fails the case. A
        check that returns Skip(reason) was skipped."""
        try:
            skipped = check()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.failed += 1
            text = "".join(traceback.format_exception_only(type(e), e)).strip()
            print(f"FAIL {name}\n  {text}", flush=True)
            if not isinstance(e, AssertionError):
                traceback.print_exc()
            self.rows.append(f"<testcase classname={quoteattr(self.suite)} name={quoteattr(name)}>"
                             f"<failure message={quoteattr(text[:500])}/></testcase>")
            return
        if isinstance(skipped, Skip):
            print(f"SKIP {name}: {skipped}", flush=True)
            self.rows.append(f"<testcase classname={quoteattr(self.suite)} name={quoteattr(name)}>"
                             f"<skipped message={quoteattr(skipped)}/></testcase>")
        else:
            print(f"ok   {name}", flush=True)
            self.rows.append(f"<testcase classname={quoteattr(self.suite)} name={quoteattr(name)}/>")

    def finish(self):
        path = os.environ.get("XML_OUTPUT_FILE")
        if path:
            with open(path, "w") as out:
                out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>'
                          f'<testsuite name={quoteattr(self.suite)} tests="{len(self.rows)}" '
                          f'failures="{self.failed}">' + "".join(self.rows) +
                          "</testsuite></testsuites>\n")
        print(f"{len(self.rows) - self.failed} passed, {self.failed} failed")
        sys.exit(1 if self.failed or not self.rows else 0)
