"""Starting and stopping servers for the Python-driven tests: basehttpd,
python3 -m http.server, each on a free loopback port, every wait bounded."""
import os
import socket
import subprocess
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout=15.0):
    """True once condition() is; False if it still is not after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)  # polling a condition with a deadline, not a fixed wait
    return condition()


def wait_listening(port, process, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.02)  # polling a condition with a deadline, not a fixed wait
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


class Server:
    """A server process on 127.0.0.1:port; stderr goes to a log file."""

    def __init__(self, argv, port, log_path, cwd=None):
        self.port = port
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.log, cwd=cwd)
        wait_listening(port, self.process)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, "rb") as log:
            return log.read().decode(errors="replace")


def basehttpd(binary, root, log_path, extra=()):
    port = free_port()
    return Server([binary, "-b", "127.0.0.1", "-d", root, str(port), *extra], port, log_path)


def python_http_server(root, log_path):
    port = free_port()
    return Server(["python3", "-m", "http.server", "-b", "127.0.0.1", "-d", root, str(port)],
                  port, log_path)


def resident_kib(pid):
    """The resident set of process `pid` in KiB (VmRSS)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_descriptors(pid):
    """How many descriptors process `pid` holds."""
    return len(os.listdir(f"/proc/{pid}/fd"))
