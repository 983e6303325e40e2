"""A real browser against basehttpd: headless Chromium loads a folder
listing and a page that pulls a CSS and a JS file from the same server.
The rendered DOM must show the script ran and the style applied, and the
server's log must show every sub-resource served with 200.

Chromium comes from Debian's `chromium` package, which ./dev test installs;
without it the cases are skipped, saying why, and CI counts that as a
failure.

usage: browser_test.py BASEHTTPD REPORT_NAME
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402

CASES = ("RendersAPageWithItsStylesheetAndScript", "RendersAFolderListing")

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>basehttp page</title>
<link rel="stylesheet" href="style.css"></head>
<body><p id="styled">styled</p><p id="status">script did not run</p>
<script src="app.js"></script></body></html>
"""
STYLE = "#styled { color: rgb(255, 0, 0); }\n"
SCRIPT = """document.getElementById('status').textContent = 'script ran';
const styled = document.getElementById('styled');
styled.dataset.color = getComputedStyle(styled).color;
"""


def find_chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found, "chromium is not installed (Debian chromium; ./dev test installs it)"


def dump_dom(chromium, url, profile):
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-default-apps", f"--user-data-dir={profile}",
         "--dump-dom", url],
        capture_output=True, timeout=120)
    return result.returncode, result.stdout.decode(errors="replace"), result.stderr.decode(
        errors="replace")


def served_with_200(log, path):
    return re.search(r'"GET ' + re.escape(path) + r' HTTP/1\.1" 200 ', log) is not None


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    chromium, reason = find_chromium()
    if chromium is None:
        for name in CASES:
            with report.case("Chromium", name) as case:
                case.skip(reason)
        report.finish()
    with tempfile.TemporaryDirectory() as top:
        root = os.path.join(top, "root")
        os.makedirs(os.path.join(root, "page"))
        os.makedirs(os.path.join(root, "folder", "inner"))
        for name, text in (("page/index.html", PAGE), ("page/style.css", STYLE),
                           ("page/app.js", SCRIPT), ("folder/first.txt", "1"),
                           ("folder/<second>.txt", "2")):
            with open(os.path.join(root, name), "w") as out:
                out.write(text)
        server = servers.basehttpd(binary, root, os.path.join(top, "server.log"))
        base = f"http://127.0.0.1:{server.port}"
        try:
            with report.case("Chromium", CASES[0]) as case:
                status, dom, errors = dump_dom(chromium, base + "/page/", os.path.join(top, "p1"))
                case.check(status == 0, f"chromium exited {status}: {errors[-500:]}")
                case.check('<p id="status">script ran</p>' in dom, "the script did not run:\n" + dom)
                case.check('data-color="rgb(255, 0, 0)"' in dom, "the stylesheet was not applied")
                log = server.log_text()
                for path in ("/page/", "/page/style.css", "/page/app.js"):
                    case.check(served_with_200(log, path), f"{path} not served with 200:\n{log}")
            with report.case("Chromium", CASES[1]) as case:
                status, dom, errors = dump_dom(chromium, base + "/folder/", os.path.join(top, "p2"))
                case.check(status == 0, f"chromium exited {status}: {errors[-500:]}")
                for link in ('href="first.txt"', 'href="%3Csecond%3E.txt"', 'href="inner/"'):
                    case.check(link in dom, f"{link} missing from the listing:\n{dom}")
                case.check("&lt;second&gt;.txt" in dom, "the name was not escaped")
                case.check(served_with_200(server.log_text(), "/folder/"), "listing not logged 200")
        finally:
            server.stop()
    report.finish()


if __name__ == "__main__":
    main()
