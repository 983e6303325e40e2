"""basehttpd over HTTPS: --tls-cert / --tls-key / --tls-password-file serve
a file to curl --cacert and to Python's http.client trusting a test CA
(tests/support/certificates.py); `openssl s_client` gets ALPN http/1.1,
TLS 1.3 and 1.2 with session resumption, and no TLS 1.1; Python 3.14's rules for the three
flags (a key or password file without a certificate: usage error, exit 2;
a pair that does not load: one line, exit 1).

usage: https_cli_test.py BASEHTTPD REPORT_NAME
"""
import http.client
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
from certificates import make_certificates  # noqa: E402

IO_TIMEOUT = 15.0


def run(argv, cwd=None):
    return subprocess.run(argv, capture_output=True, timeout=30, cwd=cwd, text=True)


class Server:
    """basehttpd on 127.0.0.1, a free port, until stop()."""

    def __init__(self, binary, argv, folder):
        self.process = subprocess.Popen([binary, "-q", "-b", "127.0.0.1", *argv, "0"], cwd=folder,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.banner = self.process.stdout.readline()  # printed once it listens
        match = re.search(r" port (\d+) ", self.banner)
        self.port = int(match.group(1)) if match else None

    def stop(self):
        self.process.terminate()
        try:
            return self.process.wait(timeout=IO_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    folder = tempfile.mkdtemp(prefix="basehttp-https-cli-")
    try:
        make_certificates(folder)
        with open(os.path.join(folder, "file.txt"), "w") as out:
            out.write("secret content")
        ca = os.path.join(folder, "ca.pem")

        with report.case("HttpsCli", "ServesAFileToCurlAndHttpClient") as case:
            server = Server(binary, ["--tls-cert", "server.pem", "--tls-key", "server.key"], folder)
            try:
                expected = "Serving HTTPS on 127.0.0.1 port %d (https://127.0.0.1:%d/) ...\n" % (
                    server.port, server.port)
                case.check(server.banner == expected, repr(server.banner))
                if shutil.which("curl"):
                    result = run(["curl", "-sS", "--max-time", "10", "--cacert", ca,
                                  "https://localhost:%d/file.txt" % server.port])
                    case.check(result.returncode == 0 and result.stdout == "secret content",
                               f"curl: {result.returncode} {result.stdout!r} {result.stderr!r}")
                context = ssl.create_default_context(cafile=ca)
                connection = http.client.HTTPSConnection("127.0.0.1", server.port,
                                                         timeout=IO_TIMEOUT, context=context)
                for _ in range(2):  # kept alive
                    connection.request("GET", "/file.txt")
                    response = connection.getresponse()
                    case.check(response.status == 200, f"status {response.status}")
                    case.check(response.read() == b"secret content", "wrong body")
                connection.close()
            finally:
                case.check(server.stop() == 0, "did not exit cleanly on SIGTERM")

        with report.case("HttpsCli", "OpensslClientNegotiatesAlpnVersionsAndResumes") as case:
            server = Server(binary, ["--tls-cert", "server.pem", "--tls-key", "server.key"], folder)
            try:
                case.check(server.port is not None, repr(server.banner))
                s_client = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % server.port,
                            "-CAfile", ca, "-verify_return_error", "-alpn", "h2,http/1.1"]
                request = "GET /file.txt HTTP/1.0\r\nHost: localhost\r\n\r\n"

                def connect(*extra):
                    # The request makes the server answer after the
                    # handshake, so a TLS 1.3 client also reads the session
                    # tickets, which come after it; -ign_eof waits for the
                    # server's close.
                    return subprocess.run(["timeout", "20", *s_client, "-ign_eof", *extra],
                                          input=request, capture_output=True, timeout=30,
                                          text=True, cwd=folder)

                for version, flag in (("TLSv1.3", "-tls1_3"), ("TLSv1.2", "-tls1_2")):
                    first = connect(flag, "-sess_out", "session.pem")
                    case.check(first.returncode == 0, f"{version}: exit {first.returncode} "
                               f"{first.stderr[-300:]!r}")
                    case.check(f"New, {version}" in first.stdout, f"{version}: not new")
                    case.check("ALPN protocol: http/1.1" in first.stdout, f"{version}: ALPN")
                    case.check("Verify return code: 0 (ok)" in first.stdout, f"{version}: verify")
                    case.check("secret content" in first.stdout, f"{version}: no body")
                    # Session resumption: tickets (no server-side cache).
                    again = connect(flag, "-sess_in", "session.pem")
                    case.check(f"Reused, {version}" in again.stdout,
                               f"{version}: session not resumed: " +
                               repr([line for line in again.stdout.splitlines()
                                     if "New," in line or "Reused," in line]))
                    case.check("secret content" in again.stdout, f"{version}: no body resumed")
                old = connect("-tls1_1")
                case.check(old.returncode != 0 and "secret content" not in old.stdout,
                           "TLS 1.1 was served")
            finally:
                server.stop()

        with report.case("HttpsCli", "AnEncryptedKeyOpensWithThePasswordFile") as case:
            server = Server(binary, ["--tls-cert", "server.pem", "--tls-key", "encrypted.key",
                                     "--tls-password-file", "password.txt"], folder)
            try:
                case.check(server.port is not None, repr(server.banner))
                if server.port is not None:
                    context = ssl.create_default_context(cafile=ca)
                    connection = http.client.HTTPSConnection("localhost", server.port,
                                                             timeout=IO_TIMEOUT, context=context)
                    connection.request("GET", "/file.txt")
                    case.check(connection.getresponse().read() == b"secret content", "wrong body")
                    connection.close()
            finally:
                server.stop()

        with report.case("HttpsCli", "WhatDoesNotLoadIsAOneLineErrorAtStart") as case:
            for argv, reason in (
                    (["--tls-cert", "file.txt"], "no start line"),
                    (["--tls-cert", "server.pem", "--tls-key", "ca.key"], "mismatch"),
                    (["--tls-cert", "server.pem", "--tls-key", "encrypted.key",
                      "--tls-password-file", "wrong.txt"], "wrong password?"),
                    (["--tls-cert", "nope.pem"], "nope.pem")):
                result = run([binary, "-b", "127.0.0.1", *argv, "0"], cwd=folder)
                case.check(result.returncode == 1, f"{argv}: exit {result.returncode}")
                lines = result.stderr.strip().splitlines()
                case.check(len(lines) == 1 and reason in lines[0], f"{argv}: {result.stderr!r}")

        with report.case("HttpsCli", "KeyOrPasswordWithoutCertificateIsAUsageError") as case:
            for argv, message in (
                    (["--tls-key", "server.key"], "--tls-key requires --tls-cert"),
                    (["--tls-password-file", "password.txt"],
                     "--tls-password-file requires --tls-cert")):
                result = run([binary, *argv, "0"], cwd=folder)
                case.check(result.returncode == 2, f"{argv}: exit {result.returncode}")
                case.check(result.stderr.startswith("usage: ") and
                           f"basehttpd: error: {message}" in result.stderr,
                           f"{argv}: {result.stderr!r}")

        with report.case("HttpsCli", "HelpListsTheTlsFlags") as case:
            help_text = run([binary, "--help"]).stdout
            for flag in ("--tls-cert FILE", "--tls-key FILE", "--tls-password-file FILE"):
                case.check(flag in help_text, f"{flag} not explained")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report.finish()


if __name__ == "__main__":
    main()
