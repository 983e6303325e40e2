"""The examples run as their comments say: hello answers with the path it
was asked for; event_stream sends each of several listeners one event a
second as chunks of one long response, and exits 0 on SIGTERM.

usage: examples_test.py BUILD_EXAMPLES_DIR REPORT_NAME
"""
import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402

IO_TIMEOUT = 10.0


def start(binary, port):
    process = subprocess.Popen([binary, str(port)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    servers.wait_listening(port, process)
    return process


def stop(process):
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=IO_TIMEOUT)


def read_until(sock, data, needle):
    while needle not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"closed before {needle!r}; got {data!r}")
        data += chunk
    return data


def main():
    examples, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)

    with report.case("Examples", "HelloAnswersWithThePath") as case:
        port = servers.free_port()
        process = start(os.path.join(examples, "hello"), port)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as sock:
                sock.sendall(b"GET /some/where HTTP/1.1\r\nHost: t\r\n\r\n")
                data = read_until(sock, b"", b"/some/where\n")
                case.check(data.startswith(b"HTTP/1.1 200 OK\r\n"), repr(data[:40]))
        finally:
            case.check(stop(process) == 0, "hello did not exit 0 on SIGTERM")

    with report.case("Examples", "EventStreamReachesEveryListener") as case:
        port = servers.free_port()
        process = start(os.path.join(examples, "event_stream"), port)
        try:
            listeners = [socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
                         for _ in range(3)]
            for sock in listeners:
                sock.sendall(b"GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
            for sock in listeners:
                # Two events: ids n and n+1, a second apart, each its own chunk.
                data = read_until(sock, b"", b"\r\n\r\n")
                head = data.split(b"\r\n\r\n")[0].lower()
                case.check(b"content-type: text/event-stream" in head, repr(head))
                case.check(b"transfer-encoding: chunked" in head, repr(head))
                while data.count(b"data: ") < 2:
                    chunk = sock.recv(4096)  # bounded by the socket's timeout
                    if not chunk:
                        break
                    data += chunk
                case.check(data.count(b"data: ") >= 2, f"fewer than two events: {data!r}")
            for sock in listeners:
                sock.close()
        finally:
            case.check(stop(process) == 0, "event_stream did not exit 0 on SIGTERM")

    report.finish()


if __name__ == "__main__":
    main()
