"""Differential test: basehttpd against python3 -m http.server on the same
folder. For every request path both must give the same status; files the
same bytes; redirects the same Location; listings the same set of links.

Where basehttpd differs on purpose, the case says so and checks the
difference: it keeps connections alive (Python's default protocol is
HTTP/1.0), answers Range with 206, sends ETag and charset=utf-8, and never
follows a symlink out of the served folder (Python does).

usage: differential_test.py BASEHTTPD REPORT_NAME
"""
import http.client
import os
import re
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402

SECRET = b"TOP SECRET: beside the root"


def build_tree(top):
    root = os.path.join(top, "root")
    files = {
        "hello.txt": b"hello, world\n",
        "page.html": b"<!DOCTYPE html><title>p</title><p>page</p>",
        "style.css": b"body { color: red }\n",
        "app.js": b"console.log('hi');\n",
        "data.json": b'{"a": [1, 2, 3]}',
        "image.png": bytes(range(256)) * 8,
        "archive.tar.gz": b"\x1f\x8b" + bytes(100),
        "noext": b"no extension",
        "emptyfile": b"",
        ".hidden": b"dotfile",
        "with space.txt": b"space",
        "100%.txt": b"percent",
        "<script>.txt": b"angle brackets",
        "a&b.txt": b"ampersand",
        "\u00e9t\u00e9.txt".encode(): b"non-ASCII name",
        "sub/index.html": b"<p>sub index</p>",
        "sub/other.txt": b"other",
        "sub2/nested/deep.txt": b"deep",
        "sub2/x.bin": os.urandom(70000),
        "dir with space/file.txt": b"in a spaced folder",
        "\u65e5\u672c/\u30d5\u30a1\u30a4\u30eb.txt".encode(): b"japanese",
        "indexhtm/index.htm": b"<p>htm index</p>",
    }
    for name, content in files.items():
        path = os.path.join(root.encode(), name if isinstance(name, bytes) else name.encode())
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(content)
    with open(os.path.join(top, "secret.txt"), "wb") as out:
        out.write(SECRET)
    os.symlink("../secret.txt", os.path.join(root, "link-out"))
    os.symlink("hello.txt", os.path.join(root, "link-in"))
    return root


PATHS = [
    "/", "/hello.txt", "/page.html", "/style.css", "/app.js", "/data.json", "/image.png",
    "/archive.tar.gz", "/noext", "/emptyfile", "/.hidden", "/with%20space.txt", "/100%25.txt",
    "/%3Cscript%3E.txt", "/a%26b.txt", "/%C3%A9t%C3%A9.txt", "/sub", "/sub/", "/sub/index.html",
    "/sub/other.txt", "/sub2", "/sub2/", "/sub2/nested", "/sub2/nested/", "/sub2/nested/deep.txt",
    "/sub2/x.bin", "/dir%20with%20space", "/dir%20with%20space/", "/dir%20with%20space/file.txt",
    "/%E6%97%A5%E6%9C%AC/", "/%E6%97%A5%E6%9C%AC/%E3%83%95%E3%82%A1%E3%82%A4%E3%83%AB.txt",
    "/indexhtm/", "/missing", "/missing/", "/hello.txt/", "/HELLO.TXT", "/hello.txt?x=1",
    "/sub?q=1", "/sub2?a=b&c=d", "/sub/?q=1", "/../secret.txt", "/%2e%2e/secret.txt",
    "/..%2fsecret.txt", "/sub/../hello.txt", "/./hello.txt", "//hello.txt",
    "/sub2/nested/../../hello.txt", "/%2Fhello.txt", "/link-in", "/hello%2etxt",
]


def fetch(port, path, method="GET", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
        return response.status, response.headers, body  # case-insensitive lookups
    finally:
        connection.close()


def links(html):
    return {urllib.parse.unquote(href) for href in re.findall(r'href="([^"]*)"', html.decode())}


def is_listing(headers, body):
    return headers.get("Content-Type", "").startswith("text/html") and b"<ul>" in body


def main():
    basehttpd_binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    with tempfile.TemporaryDirectory() as top:
        root = build_tree(top)
        ours = servers.basehttpd(basehttpd_binary, root, os.path.join(top, "ours.log"))
        python = servers.python_http_server(root, os.path.join(top, "python.log"))
        try:
            for path in PATHS:
                with report.case("SameAsPython", path) as case:
                    p_status, p_headers, p_body = fetch(python.port, path)
                    o_status, o_headers, o_body = fetch(ours.port, path)
                    case.check(o_status == p_status, f"status {o_status}, Python {p_status}")
                    case.check(SECRET not in o_body, "served the secret")
                    if p_status in (301, 302):
                        case.check(o_headers.get("Location") == p_headers.get("Location"),
                                   f"Location {o_headers.get('Location')!r}, "
                                   f"Python {p_headers.get('Location')!r}")
                    elif p_status == 200 and is_listing(p_headers, p_body):
                        case.check(links(o_body) == links(p_body),
                                   f"listing links {sorted(links(o_body))}, "
                                   f"Python {sorted(links(p_body))}")
                    elif p_status == 200:
                        case.check(o_body == p_body, "file bytes differ")
            with report.case("SameAsPython", "HEAD /hello.txt") as case:
                p = fetch(python.port, "/hello.txt", "HEAD")
                o = fetch(ours.port, "/hello.txt", "HEAD")
                case.check(o[0] == p[0] == 200 and o[2] == p[2] == b"", "HEAD differs")
                case.check(o[1].get("Content-Length") == p[1].get("Content-Length"),
                           "Content-Length of HEAD differs")
            with report.case("SameAsPython", "POST is 501") as case:
                p = fetch(python.port, "/hello.txt", "POST", {"Content-Length": "0"})
                o = fetch(ours.port, "/hello.txt", "POST", {"Content-Length": "0"})
                case.check(o[0] == p[0] == 501, f"status {o[0]}, Python {p[0]}")

            # ---- deliberate differences, each checked ----
            with report.case("DeliberatelyDifferent", "SymlinkOutOfTheRootIsNotFollowed") as case:
                p_status, _, p_body = fetch(python.port, "/link-out")
                o_status, _, o_body = fetch(ours.port, "/link-out")
                case.check(p_status == 200 and p_body == SECRET, "Python no longer follows it?")
                case.check(o_status == 404 and SECRET not in o_body, f"basehttpd gave {o_status}")
            with report.case("DeliberatelyDifferent", "RangeIsHonoured") as case:
                p_status, _, p_body = fetch(python.port, "/hello.txt", headers={"Range": "bytes=0-4"})
                o_status, o_headers, o_body = fetch(ours.port, "/hello.txt",
                                                    headers={"Range": "bytes=0-4"})
                case.check(p_status == 200, f"Python answered Range with {p_status}")
                case.check(o_status == 206 and o_body == b"hello", f"basehttpd: {o_status} {o_body!r}")
                case.check(o_headers.get("Content-Range") == "bytes 0-4/13", "Content-Range")
            with report.case("DeliberatelyDifferent", "KeepAliveAndValidators") as case:
                _, p_headers, _ = fetch(python.port, "/hello.txt")
                _, o_headers, _ = fetch(ours.port, "/hello.txt")
                case.check("ETag" not in p_headers and "ETag" in o_headers, "ETag")
                case.check(o_headers.get("Content-Type") == "text/plain; charset=utf-8",
                           o_headers.get("Content-Type", ""))
                connection = http.client.HTTPConnection("127.0.0.1", ours.port, timeout=10)
                for _ in range(3):
                    connection.request("GET", "/hello.txt")
                    response = connection.getresponse()
                    response.read()
                    case.check(not response.will_close, "basehttpd closed a keep-alive connection")
                connection.close()
        finally:
            ours_status = ours.stop()
            python.stop()
        with report.case("Basehttpd", "ExitsCleanlyOnSigterm") as case:
            case.check(ours_status == 0, f"exit status {ours_status}")
            log = ours.log_text()
            case.check(re.search(r'127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4} [\d:]{8}\] "GET /hello.txt '
                                 r'HTTP/1.1" 200 -', log) is not None, "no Python-style log line")
    report.finish()


if __name__ == "__main__":
    main()
