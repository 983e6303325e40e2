"""basehttpd's command line: --help, the banner, defaults, -p, and the
one-line errors for a taken port, a missing folder and bad arguments.

usage: cli_test.py BASEHTTPD REPORT_NAME
"""
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402


def run(argv, cwd=None):
    return subprocess.run(argv, capture_output=True, timeout=30, cwd=cwd, text=True)


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    with tempfile.TemporaryDirectory() as top:
        with open(os.path.join(top, "file.txt"), "w") as out:
            out.write("content")

        with report.case("Cli", "HelpExplainsEveryFlag") as case:
            result = run([binary, "--help"])
            case.check(result.returncode == 0, f"exit {result.returncode}")
            for flag in ("port", "-b, --bind", "-d, --directory", "-p, --protocol", "--cgi"):
                case.check(flag in result.stdout, f"{flag} not explained")

        with report.case("Cli", "ServesTheCurrentFolderOnAllInterfacesByDefault") as case:
            port = servers.free_port()
            process = subprocess.Popen([binary, str(port)], cwd=top, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, text=True)
            try:
                servers.wait_listening(port, process)
                banner = process.stdout.readline()
                case.check(re.fullmatch(r"Serving HTTP on (::|0\.0\.0\.0) port %d "
                                        r"\(http://(\[::\]|0\.0\.0\.0):%d/\) \.\.\.\n" % (port, port),
                                        banner) is not None, repr(banner))
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/file.txt")
                case.check(connection.getresponse().read() == b"content", "wrong body")
                connection.close()
                if socket.has_ipv6 and banner.startswith("Serving HTTP on ::"):
                    with socket.create_connection(("::1", port), timeout=10) as six:
                        six.sendall(b"GET /file.txt HTTP/1.0\r\n\r\n")
                        case.check(b"content" in six.makefile("rb").read(), "no answer on ::1")
            finally:
                process.terminate()
                case.check(process.wait(timeout=15) == 0, "did not exit cleanly on SIGTERM")

        with report.case("Cli", "Http10ProtocolClosesEachConnection") as case:
            server = servers.basehttpd(binary, top, os.path.join(top, "p.log"), ["-p", "HTTP/1.0"])
            try:
                connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                connection.request("GET", "/file.txt")
                response = connection.getresponse()
                response.read()
                case.check(response.version == 10 and response.will_close, "kept alive")
            finally:
                server.stop()

        with report.case("Cli", "ATakenPortIsAOneLineError") as case:
            with socket.socket() as holder:
                holder.bind(("127.0.0.1", 0))
                holder.listen()
                port = holder.getsockname()[1]
                result = run([binary, "-b", "127.0.0.1", str(port)])
            case.check(result.returncode != 0, "exit status 0")
            case.check(len(result.stderr.strip().splitlines()) == 1, repr(result.stderr))
            case.check("in use" in result.stderr, repr(result.stderr))

        with report.case("Cli", "AMissingFolderIsAOneLineError") as case:
            result = run([binary, "-d", os.path.join(top, "nope"), "0"])
            case.check(result.returncode != 0, "exit status 0")
            case.check(len(result.stderr.strip().splitlines()) == 1, repr(result.stderr))
            case.check("nope" in result.stderr, repr(result.stderr))

        with report.case("Cli", "BadArgumentsAreRefused") as case:
            for argv in (["notaport"], ["70000"], ["-p", "HTTP/2"], ["--bogus"], ["-d"]):
                result = run([binary, *argv])
                case.check(result.returncode == 2, f"{argv}: exit {result.returncode}")
                case.check("error" in result.stderr, f"{argv}: {result.stderr!r}")

        with report.case("Cli", "CgiRunsScriptsAndServesFiles") as case:
            folder = os.path.join(top, "cgi-bin")
            os.makedirs(folder, exist_ok=True)
            script = os.path.join(folder, "hello.sh")
            with open(script, "w") as out:
                out.write("#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\nhello from cgi\\n'\n")
            os.chmod(script, 0o755)
            for extra, expected in (((), b"#!/bin/sh"), (("--cgi",), b"hello from cgi\n")):
                server = servers.basehttpd(binary, top, os.path.join(top, "cgi.log"), extra)
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                    connection.request("GET", "/cgi-bin/hello.sh")
                    response = connection.getresponse()
                    body = response.read()
                    case.check(response.status == 200 and body.startswith(expected),
                               f"{extra}: {response.status} {body[:40]!r}")
                    connection.request("GET", "/file.txt")
                    response = connection.getresponse()
                    case.check(response.read() == b"content", f"{extra}: static file")
                    connection.close()
                finally:
                    server.stop()

        with report.case("Cli", "ServesOnAUnixSocketForCurl") as case:
            if shutil.which("curl") is None:
                case.skip("curl is not installed (./dev test installs it)")
            else:
                path = os.path.join(top, "basehttpd.sock")
                process = subprocess.Popen([binary, "-q", "--unix", path], cwd=top,
                                           stdout=subprocess.PIPE, text=True)
                try:
                    banner = process.stdout.readline()  # printed once it listens
                    case.check(banner == f"Serving HTTP on unix:{path} ...\n", repr(banner))
                    fetched = run(["curl", "-sS", "--max-time", "10", "--unix-socket", path,
                                   "http://localhost/file.txt"])
                    case.check(fetched.stdout == "content", repr(fetched.stdout + fetched.stderr))
                finally:
                    process.terminate()
                    case.check(process.wait(timeout=30) == 0, "no clean exit on SIGTERM")
                case.check(not os.path.exists(path), "the socket file was left behind")

        with report.case("Cli", "ServesOnTheSocketSystemdPasses") as case:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            port = listener.getsockname()[1]
            # LISTEN_PID must name basehttpd itself: the shell sets it, then execs.
            environment = dict(os.environ, LISTEN_FDS="1")
            process = subprocess.Popen(
                ["sh", "-c", 'LISTEN_PID=$$ exec "$0" -q 1', binary], cwd=top,
                stdout=subprocess.PIPE, text=True, env=environment,
                # fd 3 is kept (pass_fds) and made the listener by dup2 in the child.
                pass_fds=sorted({listener.fileno(), 3}),
                preexec_fn=lambda: os.dup2(listener.fileno(), 3))
            listener.close()  # basehttpd has its own copy as fd 3
            try:
                banner = process.stdout.readline()
                case.check(banner.startswith("Serving HTTP on the socket systemd passed "
                                             f"(127.0.0.1:{port})"), repr(banner))
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", "/file.txt")
                case.check(connection.getresponse().read() == b"content", "wrong body")
                connection.close()
            finally:
                process.terminate()
                case.check(process.wait(timeout=30) == 0, "no clean exit on SIGTERM")

        with report.case("Cli", "TwoThreadsServeOnePort") as case:
            port = servers.free_port()
            process = subprocess.Popen([binary, "-q", "--threads", "2", "-b", "127.0.0.1",
                                        str(port)], cwd=top, stdout=subprocess.PIPE, text=True)
            try:
                servers.wait_listening(port, process)
                for _ in range(20):  # new connections, spread by the kernel
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    connection.request("GET", "/file.txt")
                    case.check(connection.getresponse().read() == b"content", "wrong body")
                    connection.close()
                threads = len(os.listdir(f"/proc/{process.pid}/task"))
                case.check(threads == 2, f"{threads} threads, not 2")
            finally:
                process.terminate()
                case.check(process.wait(timeout=30) == 0, "no clean exit on SIGTERM")

    report.finish()


if __name__ == "__main__":
    main()
