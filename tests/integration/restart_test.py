"""Zero-downtime restarts of basehttpd (SIGUSR2: a new process inherits the
listening socket, the old one drains): under a bounded load of keep-alive
and new-connection clients, basehttpd is restarted 5 times, and every
request gets its 200 with the right body, no connection is reset or
refused, and every old process exits 0. A keep-alive client told
"Connection: close" reconnects; that is not a loss. A restart whose new
process cannot start leaves the old one serving.

With --tls, the same over HTTPS (basehttpd --tls-cert, the clients
checking the certificate against a throwaway CA), and before each restart
the certificate files are replaced by a new certificate: every new
process must serve the one it found when it started.

usage: restart_test.py BASEHTTPD REPORT_NAME [--tls]
"""
import ctypes
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402
from http_load import Load, open_connection, read_response  # noqa: E402
import certificates  # noqa: E402

IO_TIMEOUT = 10.0  # every wait on the server processes is bounded too
RESTARTS = 5
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """The processes a restart starts outlive their parent: made our
    children when orphaned, they can be waited for (and none is left behind)."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0


class Certificates:
    """A CA and one server certificate per process of the test, the one
    in use copied to the paths basehttpd is given (live.pem / live.key)."""

    def __init__(self, top, count):
        self.folder = os.path.join(top, "keys")
        os.makedirs(self.folder)
        certificates.make_ca(self.folder)
        self.names = [f"generation{i}" for i in range(count)]
        for name in self.names:
            certificates.make_server_certificate(self.folder, name)
        self.context = ssl.create_default_context(cafile=os.path.join(self.folder, "ca.pem"))
        self.install(0)

    def path(self, name, suffix):
        return os.path.join(self.folder, name + suffix)

    def arguments(self):
        return ["--tls-cert", self.path("live", ".pem"), "--tls-key", self.path("live", ".key")]

    def install(self, generation):
        """Puts certificate `generation` in place for the next process to load."""
        for suffix in (".pem", ".key"):
            shutil.copyfile(self.path(self.names[generation], suffix),
                            self.path("live.new", suffix))
            os.replace(self.path("live.new", suffix), self.path("live", suffix))

    def served_is(self, port, generation):
        """True when a new connection to `port` gets certificate `generation`."""
        with open(self.path(self.names[generation], ".pem")) as pem:
            expected = ssl.PEM_cert_to_DER_cert(pem.read())
        with open_connection(port, self.context) as tls:
            return tls.getpeercert(binary_form=True) == expected


def read_pid(path):
    try:
        with open(path) as pid_file:
            return int(pid_file.read().strip() or 0)
    except (OSError, ValueError):
        return 0




def reap(pid, popen, timeout):
    """Exit status of `pid` (our child, or an orphan we adopted), or None."""
    if popen is not None and popen.pid == pid:
        try:
            return popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
    result = {}

    def exited():
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            result["status"] = None
            return True
        if done:
            result["status"] = os.waitstatus_to_exitcode(status)
        return bool(done)

    if not servers.wait_for(exited, timeout):
        return None
    return result.get("status")


def start(binary, root, top, name, extra=()):
    port = servers.free_port()
    pid_file = os.path.join(top, name + ".pid")
    log = open(os.path.join(top, name + ".log"), "wb")
    process = subprocess.Popen(
        [binary, "-q", "-b", "127.0.0.1", "-d", root, "--pid-file", pid_file,
         "--shutdown-delay", "0.5", "--drain-timeout", "10", *extra, str(port)],
        stdout=subprocess.DEVNULL, stderr=log)
    servers.wait_listening(port, process)
    servers.wait_for(lambda: read_pid(pid_file) == process.pid, IO_TIMEOUT)
    return process, port, pid_file, log


def restart(case, pid_file, popen):
    """Sends SIGUSR2 to the serving process; returns the new pid once the old
    one has exited (0 on failure)."""
    old = read_pid(pid_file)
    began = time.monotonic()
    os.kill(old, signal.SIGUSR2)
    if not case.check(servers.wait_for(lambda: read_pid(pid_file) not in (0, old), 20),
                      f"no new process took over from pid {old}"):
        return 0
    status = reap(old, popen, 20)
    case.check(status == 0, f"the old process {old} exited with {status}")
    return read_pid(pid_file), time.monotonic() - began


def restarts_under_load(case, binary, root, top, body, keys=None):
    process, port, pid_file, log = start(binary, root, top, "restarts",
                                         keys.arguments() if keys else ())
    # Bounded: each client stops after its limit, or once the restarts are over.
    load = Load(port, "/page.txt", body, keep_alive=4, new_connections=2, limit=40000,
                tls=keys.context if keys else None)
    tally = load.tally
    pids, took = [process.pid], []
    try:
        servers.wait_for(lambda: tally.answered >= 200, IO_TIMEOUT)  # the load is on
        if keys:
            case.check(keys.served_is(port, 0), "the first process serves another certificate")
        for generation in range(1, RESTARTS + 1):
            if keys:
                keys.install(generation)
            result = restart(case, pid_file, process)
            if not result:
                break
            pids.append(result[0])
            took.append(result[1])
            if keys:
                # The old process is gone: this connection reaches the new one.
                case.check(keys.served_is(port, generation),
                           f"after restart {generation}, not the certificate installed before it")
            before = tally.answered
            servers.wait_for(lambda: tally.answered >= before + 200, IO_TIMEOUT)  # served by the new one
        time.sleep(0.2)  # a little more load on the last process: traffic, not synchronisation
    finally:
        stopped = load.stop()
    case.check(stopped, "a client is still running")
    case.check(len(pids) == RESTARTS + 1, f"restarts done: {len(pids) - 1} of {RESTARTS}")
    case.check(not tally.failures,
               f"{len(tally.failures)} requests failed: {tally.failures[:20]}")
    case.check(tally.sent == tally.answered,
               f"sent {tally.sent}, answered with 200: {tally.answered}")
    last = pids[-1]
    os.kill(last, signal.SIGTERM)
    status = reap(last, process, 20)
    case.check(status == 0, f"the last process exited with {status}")
    log.close()
    print(f"    {RESTARTS} restarts (pids {pids}), each {min(took or [0]):.2f}-"
          f"{max(took or [0]):.2f} s; {tally.sent} requests sent, {tally.answered} answered, "
          f"{tally.sent - tally.answered} lost, {tally.reconnects} keep-alive reconnects "
          f"after Connection: close, longest gap {tally.longest_gap() * 1000:.1f} ms")


def failed_restart_keeps_serving(case, binary, root, top, body, keys=None):
    own_root = os.path.join(top, "moving-root")
    shutil.copytree(root, own_root)
    process, port, pid_file, log = start(binary, own_root, top, "failing",
                                         keys.arguments() if keys else ())
    try:
        # The new process cannot serve a folder that is gone, and exits.
        os.rename(own_root, own_root + ".away")
        os.kill(process.pid, signal.SIGUSR2)
        case.check(servers.wait_for(lambda: b"restart failed" in open(log.name, "rb").read(), IO_TIMEOUT),
                   "no 'restart failed' in the log")
        os.rename(own_root + ".away", own_root)
        case.check(process.poll() is None, "the old process stopped")
        case.check(read_pid(pid_file) == process.pid, "the pid file changed")
        with open_connection(port, keys.context if keys else None) as sock:
            sock.sendall(b"GET /page.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            status, _, got, _ = read_response(sock, b"")
        case.check(status == 200 and got == body, f"after the failed restart: {status}")
    finally:
        process.terminate()
        case.check(reap(process.pid, process, 20) == 0, "exit status after SIGTERM")
        log.close()


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    tls = "--tls" in sys.argv[3:]
    report = Report(report_name)
    suite = "RestartOverTls" if tls else "Restart"
    subreaper = become_subreaper()
    with tempfile.TemporaryDirectory() as top:
        keys = Certificates(top, RESTARTS + 1) if tls else None
        root = os.path.join(top, "root")
        os.makedirs(root)
        body = b"a page served across restarts\n" * 20
        with open(os.path.join(root, "page.txt"), "wb") as out:
            out.write(body)
        with report.case(suite, "FiveRestartsUnderLoadLoseNoRequest") as case:
            if not subreaper:
                case.skip("prctl(PR_SET_CHILD_SUBREAPER) refused: restarted processes "
                          "could not be waited for")
            else:
                restarts_under_load(case, binary, root, top, body, keys)
        with report.case(suite, "ANewProcessThatCannotStartLeavesTheOldServing") as case:
            failed_restart_keeps_serving(case, binary, root, top, body, keys)
    report.finish()


if __name__ == "__main__":
    main()
