"""A GoogleTest-style JSON report for tests written in Python, so that
.ci/count_tests.py counts their cases like any GoogleTest binary's.

    report = Report("differential")
    with report.case("Suite", "name") as case:
        case.check(a == b, "a differs from b")
    report.finish()   # writes $GTEST_OUTPUT/<name>.json, exits 1 on failure
"""
import contextlib
import json
import os
import sys
import traceback


class Case:
    def __init__(self, suite, name):
        self.suite, self.name = suite, name
        self.failures = []
        self.skipped = None

    def check(self, condition, message):
        if not condition:
            self.failures.append(message)
        return condition

    def skip(self, reason):
        self.skipped = reason


class Report:
    def __init__(self, name):
        self.name = name
        self.cases = []

    @contextlib.contextmanager
    def case(self, suite, name):
        case = Case(suite, name)
        self.cases.append(case)
        try:
            yield case
        except Exception:  # a crash in one case fails that case only
            case.failures.append(traceback.format_exc())
        status = "SKIPPED" if case.skipped else ("FAILED" if case.failures else "OK")
        print(f"[ {status:>7} ] {suite}.{name}" + (f": {case.skipped}" if case.skipped else ""))
        for failure in case.failures:
            print("    " + failure.replace("\n", "\n    "))

    def finish(self):
        suites = {}
        for case in self.cases:
            entry = {"name": case.name, "status": "RUN",
                     "result": "SKIPPED" if case.skipped else "COMPLETED"}
            if case.failures:
                entry["failures"] = [{"failure": text, "type": ""} for text in case.failures]
            suites.setdefault(case.suite, []).append(entry)
        document = {"testsuites": [{"name": suite, "testsuite": cases}
                                   for suite, cases in suites.items()]}
        target = os.environ.get("GTEST_OUTPUT", "")
        if target.startswith("json:"):
            folder = target[len("json:"):]
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, self.name + ".json"), "w") as out:
                json.dump(document, out, indent=1)
        failed = sum(1 for case in self.cases if case.failures)
        print(f"{len(self.cases) - failed} passed, {failed} failed")
        sys.exit(1 if failed else 0)
