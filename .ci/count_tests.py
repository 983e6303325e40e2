"""Counts the test cases of one or more build folders after `meson test`.

GoogleTest binaries are counted case by case from their JSON reports
(<build>/test-reports/<test name>.json); any other test, and a GoogleTest
binary that died before writing its report, counts as one case with the
result meson gave it. Prints skipped cases on their own line, then
"N passed, N failed". Exits 1 when something failed or nothing ran.
"""
import json
import pathlib
import sys

passed = failed = skipped = 0
ran = 0
for build in map(pathlib.Path, sys.argv[1:]):
    log = build / "meson-logs" / "testlog.json"
    if not log.exists():
        print(f"{build}: no meson test log")
        failed += 1
        continue
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        ran += 1
        name, result = entry["name"], entry["result"]
        report = build / "test-reports" / f"{name}.json"
        cases_failed = 0
        if report.exists():
            for suite in json.loads(report.read_text()).get("testsuites", []):
                for case in suite.get("testsuite", []):
                    if case.get("failures"):
                        cases_failed += 1
                    elif case.get("result") == "SKIPPED":
                        skipped += 1
                    else:
                        passed += 1
            failed += cases_failed
            if result != "OK" and cases_failed == 0:
                failed += 1  # crashed or timed out after writing a report
                print(f"{build.name}/{name}: {result}")
        elif result == "OK":
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
            print(f"{build.name}/{name}: {result}")
if skipped:
    print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or ran == 0 else 0)
