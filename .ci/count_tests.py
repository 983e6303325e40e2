"""Counts the test cases of one or more build folders after `meson test`.

GoogleTest binaries are counted case by case from their JSON reports
(<build>/test-reports/<test name>.json); any other test, and a GoogleTest
binary that died before writing its report, counts as one case with the
result meson gave it. Every skipped case is named with its reason.

  count_tests.py [--summary] [--skips-fail] BUILD...

Ends with "N passed, N failed" (CI's closing line) or, with --summary (for
./dev test), with a sentence giving passed, failed and skipped. With
--skips-fail a skip counts as a failure: in CI every package a test needs
is installed first, so a skip means a missing install step. Exits 1 when
something failed or nothing ran.
"""
import json
import pathlib
import re
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
summary = "--summary" in sys.argv
skips_fail = "--skips-fail" in sys.argv


def skip_reasons(stdout):
    """Suite.Case -> reason, from a GoogleTest binary's output (its JSON
    report has no reason) or from a Python test's "[ SKIPPED ] X.Y: why"."""
    reasons = {}
    current, reason, in_skip = None, [], False
    for line in stdout.splitlines():
        run = re.match(r"\[ RUN +\] (\S+)", line)
        if run:
            current, reason, in_skip = run.group(1), [], False
            continue
        skipped = re.match(r"\[ +SKIPPED +\] (\S+?)(?::| \(\d+ ms\)|$)(.*)", line)
        if skipped:
            name, rest = skipped.group(1), skipped.group(2).strip()
            reasons[name] = rest if rest and not rest.startswith("(") else " ".join(reason)
            current, in_skip = None, False
        elif current and line.endswith(": Skipped"):
            in_skip = True
        elif in_skip and line.strip():
            reason.append(line.strip())
    return reasons


passed = failed = 0
skipped = []  # (build/test, case, reason)
broken = []
ran = 0
for build in map(pathlib.Path, args):
    log = build / "meson-logs" / "testlog.json"
    if not log.exists():
        broken.append(f"{build}: no meson test log")
        failed += 1
        continue
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        ran += 1
        name, result = entry["name"], entry["result"]
        report = build / "test-reports" / f"{name}.json"
        where = f"{build.name}/{name}"
        if report.exists():
            reasons = skip_reasons(entry.get("stdout") or "")
            cases_failed = 0
            for suite in json.loads(report.read_text()).get("testsuites", []):
                for case in suite.get("testsuite", []):
                    full = f"{suite.get('name')}.{case.get('name')}"
                    if case.get("failures"):
                        cases_failed += 1
                    elif case.get("result") == "SKIPPED":
                        skipped.append((where, full, reasons.get(full, "no reason given")))
                    else:
                        passed += 1
            failed += cases_failed
            if result != "OK" and cases_failed == 0:
                failed += 1  # crashed or timed out after writing a report
                broken.append(f"{where}: {result}")
        elif result == "OK":
            passed += 1
        elif result == "SKIP":
            skipped.append((where, name, "the whole test skipped"))
        else:
            failed += 1
            broken.append(f"{where}: {result}")

for line in broken:
    print(line)
for where, case, reason in skipped:
    print(f"skipped: {where} {case}: {reason}")
if skips_fail and skipped:
    print(f"{len(skipped)} skipped cases count as failed: CI installs every package a test needs")
    failed += len(skipped)
if summary:
    print(f"dev test: {passed} test cases passed, {failed} failed, {len(skipped)} skipped")
else:
    print(f"{passed} passed, {failed} failed" + (f", {len(skipped)} skipped" if skipped else ""))
sys.exit(1 if failed or ran == 0 else 0)
