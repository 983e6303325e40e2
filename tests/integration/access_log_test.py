"""basehttpd --log-format combined --access-log FILE: one combined-format
line per response in FILE (nothing on stderr but errors), and after the
file is moved away (as logrotate does) SIGUSR1 makes basehttpd write to a
new FILE.

usage: access_log_test.py BASEHTTPD REPORT_NAME
"""
import os
import re
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402

IO_TIMEOUT = 10.0
COMBINED = re.compile(r'^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
                      r'"(?P<request>[^"]*)" (?P<status>\d{3}) (?P<size>\d+|-) '
                      r'"(?P<referer>[^"]*)" "(?P<agent>[^"]*)"$')


def get(port, path, agent="checker/1.0"):
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nUser-Agent: {agent}\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk


def lines_of(path, count, timeout=IO_TIMEOUT):
    """The file's lines once it has at least `count` (the writer is a thread
    of its own), or what it has after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path) as log:
                lines = log.read().splitlines()
        except FileNotFoundError:
            lines = []
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.02)  # polling a condition with a deadline, not a fixed wait


def combined_and_rotation(case, binary, root, top):
    path = os.path.join(top, "access.log")
    server = servers.basehttpd(binary, root, os.path.join(top, "stderr.log"),
                               extra=("--log-format", "combined", "--access-log", path))
    try:
        get(server.port, "/file.txt")
        get(server.port, "/missing", agent='quote " here')
        lines = lines_of(path, 2)
        case.check(len(lines) == 2, f"lines {lines}")
        parsed = [COMBINED.match(line) for line in lines]
        case.check(all(parsed), f"not combined: {lines}")
        if all(parsed) and len(parsed) == 2:
            case.check(parsed[0]["request"] == "GET /file.txt HTTP/1.1" and
                       parsed[0]["status"] == "200" and parsed[0]["size"] == "8" and
                       parsed[0]["agent"] == "checker/1.0", lines[0])
            case.check(parsed[1]["status"] == "404" and parsed[1]["agent"] == r"quote \x22 here",
                       lines[1])
        os.rename(path, path + ".1")
        server.process.send_signal(signal.SIGUSR1)
        # The reopen happens on the writer's next batch: keep asking until a
        # line shows up in the new file (bounded).
        deadline = time.monotonic() + IO_TIMEOUT
        while not os.path.exists(path) and time.monotonic() < deadline:
            get(server.port, "/file.txt")
            time.sleep(0.02)  # polling a condition with a deadline
        # The request that made the writer reopen may have been written to
        # the old file just before: one more is sure to land in the new one.
        get(server.port, "/file.txt")
        fresh = lines_of(path, 1)
        case.check(fresh and COMBINED.match(fresh[0]), f"new file: {fresh}")
        case.check(len(lines_of(path + ".1", 2)) >= 2, "the rotated file lost its lines")
        stderr = server.log_text()
        case.check('"GET' not in stderr, f"access lines on stderr: {stderr[:200]}")
    finally:
        case.check(server.stop() == 0, "exit status")


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    with tempfile.TemporaryDirectory() as top:
        root = os.path.join(top, "root")
        os.makedirs(root)
        with open(os.path.join(root, "file.txt"), "w") as out:
            out.write("content\n")
        with report.case("AccessLog", "CombinedFormatToAFileReopenedOnSIGUSR1") as case:
            combined_and_rotation(case, binary, root, top)
    report.finish()


if __name__ == "__main__":
    main()
