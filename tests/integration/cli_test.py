"""basehttpd's command line: --help, the banner, defaults, -p, and the
one-line errors for a taken port, a missing folder and bad arguments;
the argument forms Python's argparse accepts (attached values, `=`, long
prefixes, short clusters, `--`), the usage lines, ranges in errors, the
privileged-port hint and the line Ctrl-C prints.

usage: cli_test.py BASEHTTPD REPORT_NAME
"""
import ctypes
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402


def run(argv, cwd=None):
    return subprocess.run(argv, capture_output=True, timeout=30, cwd=cwd, text=True)


IO_TIMEOUT = 15.0
PR_SET_CHILD_SUBREAPER = 36




def fetch(port, path="/file.txt"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=IO_TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def serve_and_fetch(binary, argv, cwd):
    """Starts basehttpd with argv (whose port is `port`), fetches /file.txt
    on 127.0.0.1, stops it; returns (banner, status, body, exit status)."""
    process = subprocess.Popen([binary, "-q", *argv], cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        banner = process.stdout.readline()  # printed once it listens
        status, body = fetch(int(re.search(r" port (\d+) ", banner).group(1))) \
            if " port " in banner else (None, b"")
    finally:
        process.terminate()
        try:
            code = process.wait(timeout=IO_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
    return banner, status, body, code, process.stderr.read()


def usage_and_error(stderr):
    """(the usage block, the error line) of a command-line error."""
    usage, _, error = stderr.partition("basehttpd: error: ")
    return usage, error.strip()


def privileged_port():
    """A port this machine keeps for privileged processes, or None."""
    try:
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start") as sysctl:
            start = int(sysctl.read())
    except (OSError, ValueError):
        start = 1024
    return 80 if start > 80 else (start - 1 if start > 1 else None)


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

        with report.case("Cli", "AttachedValuesEqualsAndPrefixesAreAccepted") as case:
            # As argparse: -bADDR, -b=ADDR, --bind=ADDR, unambiguous prefixes
            # (--bi, --dir), short flags clustered (-qb ADDR), -- ends options.
            empty = tempfile.mkdtemp(dir=top)  # the current folder: no file.txt there
            for form in (["-b127.0.0.1", "-d" + top],
                         ["-b=127.0.0.1", "-d=" + top],
                         ["--bind=127.0.0.1", "--directory=" + top],
                         ["--bi", "127.0.0.1", "--dir", top],
                         ["--b=127.0.0.1", "--direc=" + top],
                         ["-qb127.0.0.1", "-qd", top],
                         ["-b", "127.0.0.1", "-d", top, "--"]):
                port = servers.free_port()
                banner, status, body, code, err = serve_and_fetch(binary, [*form, str(port)], empty)
                case.check(banner.startswith(f"Serving HTTP on 127.0.0.1 port {port} "),
                           f"{form}: {banner!r} {err!r}")
                case.check(status == 200 and body == b"content", f"{form}: {status} {body!r}")
                case.check(code == 0, f"{form}: exit {code}")

        with report.case("Cli", "DoubleDashEndsOptions") as case:
            for argv, error in ((["--", "-b"], "argument port: invalid int value: '-b'"),
                                (["--", "0", "--cgi"], "unrecognized arguments: --cgi"),
                                (["0", "1", "2"], "unrecognized arguments: 1 2")):
                result = run([binary, *argv])
                case.check(result.returncode == 2, f"{argv}: exit {result.returncode}")
                case.check(usage_and_error(result.stderr)[1] == error, f"{argv}: {result.stderr!r}")

        with report.case("Cli", "ArgparseErrorsForMisusedOptions") as case:
            for argv, error in (
                    (["-b"], "argument -b/--bind: expected one argument"),
                    (["-d", "-b", "127.0.0.1"], "argument -d/--directory: expected one argument"),
                    (["-d", "--", "0"], "argument -d/--directory: expected one argument"),
                    (["--p", "x"], "ambiguous option: --p could match --protocol, --pid-file"),
                    (["--cgi=1"], "argument --cgi: ignored explicit argument '1'"),
                    (["-qx"], "argument -q/--quiet: ignored explicit argument 'x'"),
                    (["-p", "HTTP/2"],
                     "argument -p/--protocol: invalid choice: 'HTTP/2' "
                     "(choose from 'HTTP/1.0', 'HTTP/1.1')"),
                    (["--bogus"], "unrecognized arguments: --bogus")):
                result = run([binary, *argv])
                case.check(result.returncode == 2, f"{argv}: exit {result.returncode}")
                case.check(usage_and_error(result.stderr)[1] == error, f"{argv}: {result.stderr!r}")
                case.check(result.stdout == "", f"{argv}: stdout {result.stdout!r}")
            # -h wins over arguments it does not know, as in argparse.
            result = run([binary, "--bogus", "-h"])
            case.check(result.returncode == 0 and result.stdout.startswith("usage: "),
                       f"--bogus -h: exit {result.returncode}")

        with report.case("Cli", "UsageLinesNameEveryOption") as case:
            help_text = run([binary, "--help"]).stdout
            usage = help_text.split("\n\n")[0] + "\n"
            listed = re.findall(r"^  (-\w)?(?:, )?(--[\w-]+)?", help_text, re.MULTILINE)
            flags = [long or short for short, long in listed if long or short]
            case.check(len(flags) >= 17, f"options found in --help: {flags}")
            for flag in flags:
                short = next((s for s, l in listed if l == flag and s), None)
                case.check(re.search(r"\[(%s|%s)[ \]]" % (re.escape(flag), re.escape(short or flag)),
                                     usage) is not None, f"{flag} missing from the usage: {usage!r}")
            case.check("[port]" in usage, usage)
            case.check(all(len(line) <= 80 for line in usage.splitlines()), usage)
            error_usage, _ = usage_and_error(run([binary, "--bogus"]).stderr)
            case.check(error_usage == usage, f"error usage {error_usage!r} != {usage!r}")
            readme = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")
            with open(readme) as text:
                case.check(f"```\n{usage}```\n" in text.read(),
                           f"README.md's basehttpd section does not show {usage!r}")

        with report.case("Cli", "OutOfRangeNumbersSayTheRange") as case:
            for argv, error in (
                    (["70000"], "argument port: 70000 is out of range (0 to 65535)"),
                    (["-1"], "argument port: -1 is out of range (0 to 65535)"),
                    (["--threads", "0"], "argument --threads: 0 is out of range (1 to 1024)"),
                    (["--threads=2000"], "argument --threads: 2000 is out of range (1 to 1024)"),
                    (["--drain-timeout", "1e6"],
                     "argument --drain-timeout: 1e6 is out of range (0 to 86400)"),
                    (["--threads", "two"], "argument --threads: invalid int value: 'two'"),
                    (["notaport"], "argument port: invalid int value: 'notaport'")):
                result = run([binary, *argv])
                case.check(result.returncode == 2, f"{argv}: exit {result.returncode}")
                case.check(usage_and_error(result.stderr)[1] == error, f"{argv}: {result.stderr!r}")

        with report.case("Cli", "APrivilegedPortSaysWhatItNeeds") as case:
            port = privileged_port()
            if port is None:
                case.skip("net.ipv4.ip_unprivileged_port_start is 0 or 1: no port is "
                          "privileged here, so no bind can be refused")
            else:
                # As root (as in CI) the server is run as nobody: it must be refused.
                as_nobody = (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
                             if os.geteuid() == 0 else [])
                folder = tempfile.mkdtemp()  # its own, readable by nobody
                os.chmod(folder, 0o755)
                try:
                    result = run([*as_nobody, binary, "-b", "127.0.0.1", "-d", folder, str(port)])
                finally:
                    os.rmdir(folder)
                if result.returncode == 0 or "Permission denied" not in result.stderr:
                    case.check(False, f"port {port} was not refused: exit {result.returncode} "
                                      f"{result.stderr!r} (CAP_NET_BIND_SERVICE held?)")
                else:
                    case.check(len(result.stderr.strip().splitlines()) == 1, repr(result.stderr))
                    case.check(re.search(r"ports below \d+ need root or CAP_NET_BIND_SERVICE",
                                         result.stderr) is not None, repr(result.stderr))

        with report.case("Cli", "CtrlCSaysItStoppedAfterTheResponsesInFlight") as case:
            # Python prints this line on stdout and exits 0; basehttpd also
            # answers the request in flight first (as on SIGTERM), and a
            # second Ctrl-C closes what is left without waiting.
            for second in (False, True):
                port = servers.free_port()
                process = subprocess.Popen([binary, "-q", "-b", "127.0.0.1", "--drain-timeout",
                                            "60", str(port)], cwd=top, stdout=subprocess.PIPE,
                                           text=True)
                try:
                    banner = process.stdout.readline()
                    case.check(banner.startswith("Serving HTTP on 127.0.0.1"), repr(banner))
                    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as sock:
                        sock.sendall(b"GET /file.txt HTTP/1.1\r\nHost: t\r\n")
                        process.send_signal(signal.SIGINT)
                        line = process.stdout.readline()
                        if line == "\n":  # after the ^C a terminal echoes, as Python does
                            line = process.stdout.readline()
                        case.check(line == "Keyboard interrupt received, exiting.\n", repr(line))
                        if second:
                            process.send_signal(signal.SIGINT)
                        else:
                            sock.sendall(b"\r\n")
                        answer = b""
                        try:
                            while chunk := sock.recv(65536):
                                answer += chunk
                        except ConnectionResetError:  # an abort may reset
                            case.check(second, f"reset: {answer!r}")
                        if second:
                            case.check(answer == b"", f"answered after a second Ctrl-C: {answer!r}")
                        else:
                            case.check(answer.startswith(b"HTTP/1.1 200") and
                                       answer.endswith(b"content") and
                                       b"Connection: close" in answer, repr(answer))
                    case.check(process.wait(timeout=IO_TIMEOUT) == 0,
                               f"second={second}: exit {process.returncode}")
                    case.check(process.stdout.read() == "", f"second={second}: more lines")
                finally:
                    if process.poll() is None:
                        process.kill()
                        process.wait()

        with report.case("Cli", "ARestartKeepsTheArgumentForms") as case:
            # The restarted process gets the same arguments and the socket,
            # also when they end with `-- PORT` (its --listen-fd must come first).
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
                case.skip("prctl(PR_SET_CHILD_SUBREAPER) refused: the restarted process "
                          "could not be waited for")
            else:
                port = servers.free_port()
                pid_file = os.path.join(top, "restart.pid")
                process = subprocess.Popen(
                    [binary, "-q", "-b127.0.0.1", f"--pid-file={pid_file}", "-d", top,
                     "--", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

                def pid():
                    try:
                        with open(pid_file) as text:
                            return int(text.read().strip() or 0)
                    except (OSError, ValueError):
                        return 0
                new = 0
                try:
                    servers.wait_listening(port, process)
                    case.check(servers.wait_for(lambda: pid() == process.pid), "no pid file")
                    process.send_signal(signal.SIGUSR2)
                    if case.check(servers.wait_for(lambda: pid() not in (0, process.pid)),
                                  "no new process took over"):
                        new = pid()
                        case.check(process.wait(timeout=IO_TIMEOUT) == 0, "the old one's exit")
                        case.check(fetch(port) == (200, b"content"), "not served after it")
                finally:
                    if process.poll() is None:
                        process.kill()
                        process.wait()
                    if new and new != process.pid:
                        os.kill(new, signal.SIGTERM)
                        case.check(servers.wait_for(lambda: os.waitpid(new, os.WNOHANG)[0] == new),
                                   "the restarted process did not exit")
                case.check(b"restart failed" not in process.stderr.read(), "restart failed")

    report.finish()


if __name__ == "__main__":
    main()
