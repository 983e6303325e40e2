"""A real browser against basehttpd: headless Chromium loads a folder
listing and a page that pulls a CSS and a JS file from the same server.
The rendered DOM must show the script ran and the style applied, and the
server's log must show every sub-resource served with 200.

With --https (a build with TLS), the same page and an image load over
HTTPS from basehttpd --tls-cert, with a throwaway CA trusted the way a
user's Chromium trusts one: in the NSS database of its home folder
(certutil). The page reports the protocol Chromium negotiated for each
request (Resource Timing's nextHopProtocol), which must be http/1.1, the
one basehttpd offers by ALPN.

The test runs in a network namespace of its own (tests/support/
isolation.py): Chromium looks up Google hosts as it starts, and there
those lookups go nowhere.

Chromium comes from Debian's `chromium` package and certutil from
`libnss3-tools`, which ./dev test installs; without them the cases are
skipped, saying why, and CI counts that as a failure.

usage: browser_test.py BASEHTTPD REPORT_NAME [--https]
"""
import os
import re
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402
import certificates  # noqa: E402
import isolation  # noqa: E402

CASES = ("RendersAPageWithItsStylesheetAndScript", "RendersAFolderListing")
HTTPS_CASE = "RendersAPageAndAnImageOverHttpsTrustingTheTestCa"
IO_TIMEOUT = 15.0

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


# Over HTTPS the page also shows an image, and once everything has loaded
# writes what Chromium negotiated for each request into the DOM.
SECURE_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>basehttp page</title>
<link rel="stylesheet" href="style.css"></head>
<body><p id="styled">styled</p><p id="status">script did not run</p>
<img id="image" src="image.png" alt="image"><p id="loaded">not loaded</p>
<script src="app.js"></script>
<script>
window.addEventListener('load', () => {
  const image = document.getElementById('image');
  const entries = performance.getEntriesByType('navigation')
      .concat(performance.getEntriesByType('resource'));
  document.getElementById('loaded').textContent =
      'image ' + image.naturalWidth + 'x' + image.naturalHeight + '; ' +
      entries.map(e => new URL(e.name).pathname + ' ' + e.nextHopProtocol).sort().join(', ');
});
</script></body></html>
"""


def png(width, height):
    """A valid RGB PNG of one colour: an image a browser must decode."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data)))
    rows = b"".join(b"\0" + b"\x20\x80\xe0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" +
            chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def find_chromium():
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found, "chromium is not installed (Debian chromium; ./dev test installs it)"


def dump_dom(chromium, url, profile, home=None):
    # Chromium on Linux reads the certificates it trusts beyond the
    # system's from $HOME/.pki/nssdb.
    env = dict(os.environ, HOME=home) if home else None
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--disable-default-apps", f"--user-data-dir={profile}",
         "--dump-dom", url],
        capture_output=True, timeout=120, env=env)
    return result.returncode, result.stdout.decode(errors="replace"), result.stderr.decode(
        errors="replace")


def served_with_200(log, path):
    return re.search(r'"GET ' + re.escape(path) + r' HTTP/1\.1" 200 ', log) is not None


def trust_in_nss(home, ca):
    """A Chromium home folder whose NSS database trusts `ca` for servers."""
    database = os.path.join(home, ".pki", "nssdb")
    os.makedirs(database)
    for argv in (["-N", "--empty-password"],
                 ["-A", "-n", "basehttp test CA", "-t", "C,,", "-i", ca]):
        subprocess.run(["certutil", "-d", "sql:" + database, *argv], check=True,
                       capture_output=True, timeout=60)


def alpn_answer(port, offered):
    """The protocol basehttpd selects from `offered` by ALPN (None: none)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only the ALPN answer matters here
    context.set_alpn_protocols(offered)
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as raw:
        with context.wrap_socket(raw) as tls:
            return tls.selected_alpn_protocol()


def https_case(case, binary, chromium, top, page_folder):
    if shutil.which("certutil") is None:
        case.skip("certutil is not installed (Debian libnss3-tools; ./dev test installs it)")
        return
    keys = os.path.join(top, "keys")
    os.makedirs(keys)
    certificates.make_ca(keys)
    certificate = certificates.make_server_certificate(keys)
    home = os.path.join(top, "home")
    trust_in_nss(home, os.path.join(keys, "ca.pem"))
    server = servers.basehttpd(binary, page_folder, os.path.join(top, "https.log"),
                               extra=("--tls-cert", certificate,
                                      "--tls-key", os.path.join(keys, "server.key")))
    try:
        # What Chromium offers by ALPN: basehttpd answers http/1.1.
        offered = ["h2", "http/1.1"]
        selected = alpn_answer(server.port, offered)
        case.check(selected == "http/1.1", f"ALPN {offered} selected {selected!r}")
        status, dom, errors = dump_dom(chromium, f"https://127.0.0.1:{server.port}/secure.html",
                                       os.path.join(top, "p3"), home=home)
        case.check(status == 0, f"chromium exited {status}: {errors[-500:]}")
        case.check('<p id="status">script ran</p>' in dom, "the script did not run:\n" + dom)
        case.check('data-color="rgb(255, 0, 0)"' in dom, "the stylesheet was not applied")
        expected = ("image 3x2; /app.js http/1.1, /image.png http/1.1, /secure.html http/1.1, "
                    "/style.css http/1.1")
        case.check(f'<p id="loaded">{expected}</p>' in dom,
                   f"expected '{expected}' in the page:\n{dom}\n{errors[-1500:]}")
        log = server.log_text()
        for path in ("/secure.html", "/style.css", "/app.js", "/image.png"):
            case.check(served_with_200(log, path), f"{path} not served with 200:\n{log}")
    finally:
        case.check(server.stop() == 0, "basehttpd did not exit cleanly on SIGTERM")


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    https = "--https" in sys.argv[3:]
    isolated = isolation.isolate()
    report = Report(report_name)
    chromium, reason = find_chromium()
    if isolated is not None:
        chromium, reason = None, isolated
    if chromium is None:
        for name in CASES + ((HTTPS_CASE,) if https else ()):
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
        if https:
            with report.case("Chromium", HTTPS_CASE) as case:
                page_folder = os.path.join(top, "secure")
                os.makedirs(page_folder)
                for name, content in (("secure.html", SECURE_PAGE), ("style.css", STYLE),
                                      ("app.js", SCRIPT), ("image.png", png(3, 2))):
                    mode = "wb" if isinstance(content, bytes) else "w"
                    with open(os.path.join(page_folder, name), mode) as out:
                        out.write(content)
                https_case(case, binary, chromium, top, page_folder)
    report.finish()


if __name__ == "__main__":
    main()
