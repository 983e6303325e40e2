"""Differential test: basehttpd --cgi against python3 -m http.server --cgi
on the same folder of scripts. A shell script that prints its environment,
a Python script that echoes its POST body, and the error cases (a missing
script, one that is not executable, the CGI folder itself, POST outside
it) must give the same status and body, and the RFC 3875 variables that
both servers set must have the same values.

Where basehttpd differs on purpose, the case says so and checks both
sides: it honours Status and Location (Python sends 200 and passes them
on as plain header fields), follows a local redirect inside the server
(RFC 3875 §6.2.2), sends an nph- script's output as the whole response
(Python writes it raw too, but after a status line and fields of its own,
as for every script), answers broken headers with 502, streams the
output (chunked, keep-alive) where Python closes the connection, passes
every request header as HTTP_* but never Proxy (httpoxy), keeps the
server's environment from the script, and takes SERVER_PROTOCOL from the
request and SERVER_NAME from Host.

usage: cgi_differential_test.py BASEHTTPD REPORT_NAME
"""
import http.client
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402

# Python runs its scripts as nobody when it is root: the interpreter and
# the folder must be theirs to use.
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

SCRIPTS = {
    "env.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nenv\n",
    "echo.py": f"#!{PYTHON}\n"
               "import os, sys\n"
               "length = int(os.environ.get('CONTENT_LENGTH') or 0)\n"
               "data = sys.stdin.buffer.read(length)\n"
               "sys.stdout.write('Content-Type: application/octet-stream\\n\\n')\n"
               "sys.stdout.flush()\n"
               "sys.stdout.buffer.write(data)\n",
    "status404.sh": "#!/bin/sh\nprintf 'Status: 404 Not Found\\nContent-Type: text/plain\\n\\nnot here'\n",
    "location.sh": "#!/bin/sh\nprintf 'Location: http://example.test/elsewhere\\n\\n'\n",
    "local.sh": "#!/bin/sh\nprintf 'Location: /hello.txt\\n\\n'\n",
    "nph-raw.sh": "#!/bin/sh\nprintf 'HTTP/1.0 299 Custom\\r\\nX-Nph: yes\\r\\n\\r\\nraw body\\n'\n",
    "broken.sh": "#!/bin/sh\nprintf 'this is no header\\n\\nbody'\n",
    "noexec.sh": "#!/bin/sh\necho never\n",
}

# Variables both servers set from the request, with the same meaning.
SHARED = ["GATEWAY_INTERFACE", "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "PATH_TRANSLATED",
          "QUERY_STRING", "REMOTE_ADDR", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_USER_AGENT",
          "HTTP_ACCEPT", "HTTP_REFERER", "HTTP_COOKIE", "AUTH_TYPE", "REMOTE_USER"]

MARKER = "BASEHTTP_CGI_DIFFERENTIAL_MARKER"


def build_tree(top):
    root = os.path.join(top, "root")
    os.makedirs(os.path.join(root, "cgi-bin"))
    for name, text in SCRIPTS.items():
        path = os.path.join(root, "cgi-bin", name)
        with open(path, "w") as out:
            out.write(text)
        os.chmod(path, 0o644 if name == "noexec.sh" else 0o755)
    with open(os.path.join(root, "hello.txt"), "w") as out:
        out.write("hello\n")
    for folder in (top, root, os.path.join(root, "cgi-bin")):
        os.chmod(folder, 0o755)
    return root


def fetch(port, path, method="GET", headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, response.headers, data, response.will_close
    finally:
        connection.close()


def fetch_raw(port, request):
    """Every byte the server sends for `request` until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(request)
        data = b""
        while True:
            piece = sock.recv(65536)
            if not piece:
                return data
            data += piece


def environment(body):
    result = {}
    for line in body.decode(errors="replace").splitlines():
        name, equals, value = line.partition("=")
        if equals:
            result[name] = value
    return result


def main():
    basehttpd_binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    os.environ[MARKER] = "from the server"
    with tempfile.TemporaryDirectory() as top:
        root = build_tree(top)
        ours = servers.basehttpd(basehttpd_binary, root, os.path.join(top, "ours.log"), ["--cgi"])
        port = servers.free_port()
        python = servers.Server(["python3", "-m", "http.server", "--cgi", "-b", "127.0.0.1",
                                 "-d", root, str(port)], port, os.path.join(top, "python.log"),
                                cwd=root)
        try:
            request_headers = {"User-Agent": "differential/1", "Accept": "text/plain",
                               "Referer": "http://referer.test/", "Cookie": "a=1",
                               "Authorization": "Basic dXNlcjpwYXNz", "X-Custom": "yes",
                               "Proxy": "http://evil.test:3128"}
            targets = ["/cgi-bin/env.sh", "/cgi-bin/env.sh/extra/path?x=1&y=%41",
                       "/cgi-bin/env.sh?plain", "/htbin/../cgi-bin/env.sh/a%20b"]
            answers = {}
            for target in targets:
                with report.case("SameAsPython", "env " + target) as case:
                    p = fetch(python.port, target, headers=request_headers)
                    o = fetch(ours.port, target, headers=request_headers)
                    answers[target] = (p, o)
                    case.check(o[0] == p[0] == 200, f"status {o[0]}, Python {p[0]}")
                    p_env, o_env = environment(p[2]), environment(o[2])
                    for name in SHARED:
                        if name in o_env and p_env.get(name):
                            case.check(o_env[name] == p_env[name],
                                       f"{name}={o_env[name]!r}, Python {p_env[name]!r}")
                    for name in ("SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REMOTE_ADDR",
                                 "REQUEST_METHOD", "REMOTE_USER", "HTTP_USER_AGENT"):
                        case.check(name in o_env, f"basehttpd did not set {name}")

            with report.case("SameAsPython", "POST echo") as case:
                body = bytes(range(256)) * 16
                headers = {"Content-Type": "application/octet-stream"}
                p = fetch(python.port, "/cgi-bin/echo.py", "POST", headers, body)
                o = fetch(ours.port, "/cgi-bin/echo.py", "POST", headers, body)
                case.check(o[0] == p[0] == 200, f"status {o[0]}, Python {p[0]}")
                case.check(p[2] == body, "Python's echo differs from the body")
                case.check(o[2] == body, "basehttpd's echo differs from the body")

            for target, method, status in (("/cgi-bin/missing.sh", "GET", 404),
                                           ("/cgi-bin/noexec.sh", "GET", 403),
                                           ("/cgi-bin/", "GET", 403),
                                           ("/hello.txt", "POST", 501),
                                           ("/hello.txt", "GET", 200),
                                           ("/cgi-bin", "GET", 301)):
                with report.case("SameAsPython", f"{method} {target}") as case:
                    body = b"" if method == "POST" else None
                    p = fetch(python.port, target, method, body=body)
                    o = fetch(ours.port, target, method, body=body)
                    case.check(o[0] == p[0] == status, f"status {o[0]}, Python {p[0]}")
                    if status == 200:
                        case.check(o[2] == p[2], "bodies differ")

            # ---- deliberate differences, each checked on both sides ----
            with report.case("DeliberatelyDifferent", "StatusFieldIsHonoured") as case:
                p = fetch(python.port, "/cgi-bin/status404.sh")
                o = fetch(ours.port, "/cgi-bin/status404.sh")
                case.check(p[0] == 200 and p[1].get("Status") == "404 Not Found",
                           f"Python: {p[0]} Status={p[1].get('Status')!r}")
                case.check(o[0] == 404 and "Status" not in o[1] and o[2] == b"not here",
                           f"basehttpd: {o[0]} {o[2]!r}")
            with report.case("DeliberatelyDifferent", "LocationRedirects") as case:
                p = fetch(python.port, "/cgi-bin/location.sh")
                o = fetch(ours.port, "/cgi-bin/location.sh")
                case.check(p[0] == 200, f"Python answered {p[0]}")
                case.check(o[0] == 302 and o[1].get("Location") == "http://example.test/elsewhere",
                           f"basehttpd: {o[0]} {o[1].get('Location')!r}")
            with report.case("DeliberatelyDifferent", "LocalRedirectIsFollowed") as case:
                p = fetch(python.port, "/cgi-bin/local.sh")
                o = fetch(ours.port, "/cgi-bin/local.sh")
                static = fetch(python.port, "/hello.txt")
                case.check(p[0] == 200 and p[1].get("Location") == "/hello.txt" and p[2] == b"",
                           f"Python: {p[0]} Location={p[1].get('Location')!r} {p[2]!r}")
                case.check(o[0] == 200 and "Location" not in o[1] and o[2] == static[2],
                           f"basehttpd: {o[0]} Location={o[1].get('Location')!r} {o[2]!r}")
            with report.case("DeliberatelyDifferent", "NphOutputIsTheWholeResponse") as case:
                script = b"HTTP/1.0 299 Custom\r\nX-Nph: yes\r\n\r\nraw body\n"
                request = b"GET /cgi-bin/nph-raw.sh HTTP/1.0\r\nHost: t\r\n\r\n"
                p = fetch_raw(python.port, request)
                o = fetch_raw(ours.port, request)
                # Python's own head, left open, then the script's bytes untouched.
                p_head = p[:len(p) - len(script)]
                case.check(p.endswith(script) and
                           p_head.startswith(b"HTTP/1.0 200 Script output follows\r\n") and
                           b"\r\n\r\n" not in p_head,
                           f"Python: {p!r}")
                case.check(o == script, f"basehttpd: {o!r}")
            with report.case("DeliberatelyDifferent", "BrokenHeadersAre502") as case:
                p = fetch(python.port, "/cgi-bin/broken.sh")
                o = fetch(ours.port, "/cgi-bin/broken.sh")
                case.check(p[0] == 200, f"Python answered {p[0]}")
                case.check(o[0] == 502, f"basehttpd answered {o[0]}")
            with report.case("DeliberatelyDifferent", "OutputIsStreamedOnAKeptConnection") as case:
                p, o = answers["/cgi-bin/env.sh"]
                case.check(p[3], "Python kept the connection")
                case.check(o[1].get("Transfer-Encoding") == "chunked" and not o[3],
                           f"basehttpd: {o[1].get('Transfer-Encoding')!r}, closes={o[3]}")
            with report.case("DeliberatelyDifferent", "HeadersAndEnvironment") as case:
                p, o = answers["/cgi-bin/env.sh"]
                p_env, o_env = environment(p[2]), environment(o[2])
                case.check(o_env.get("HTTP_X_CUSTOM") == "yes" and "HTTP_X_CUSTOM" not in p_env,
                           "every header as HTTP_* (Python passes a fixed few)")
                case.check("HTTP_PROXY" not in o_env, "httpoxy: basehttpd set HTTP_PROXY")
                case.check(p_env.get(MARKER) == "from the server" and MARKER not in o_env,
                           "the server's environment (Python passes all of it)")
                case.check(p_env.get("SERVER_PROTOCOL") == "HTTP/1.0" and
                           o_env.get("SERVER_PROTOCOL") == "HTTP/1.1",
                           f"SERVER_PROTOCOL {o_env.get('SERVER_PROTOCOL')!r}, "
                           f"Python {p_env.get('SERVER_PROTOCOL')!r}")
                case.check(o_env.get("SERVER_NAME") == "127.0.0.1",
                           f"SERVER_NAME from Host: {o_env.get('SERVER_NAME')!r}")
                case.check(o_env.get("PWD", "").endswith("/cgi-bin"),
                           f"basehttpd runs a script in its folder: PWD={o_env.get('PWD')!r}")
        finally:
            ours_status = ours.stop()
            python.stop()
        with report.case("Basehttpd", "ExitsCleanlyOnSigterm") as case:
            case.check(ours_status == 0, f"exit status {ours_status}")
    report.finish()


if __name__ == "__main__":
    main()
