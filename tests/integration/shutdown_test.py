"""Graceful shutdown of basehttpd on SIGTERM, seen from its clients:
a 100 MiB download in flight finishes intact; of 100 keep-alive clients the
idle ones are closed, the ones with a request in flight get their whole
response (with Connection: close when its head was still to be sent), new
connections are refused, and the process exits 0 within its drain timeout;
a client that stops reading is cut off at the drain timeout.

usage: shutdown_test.py BASEHTTPD REPORT_NAME
"""
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import servers  # noqa: E402

MiB = 1024 * 1024
# Every socket operation and every wait in this file ends by this deadline.
IO_TIMEOUT = 30.0


class Wire:
    """A blocking HTTP/1.1 client connection that reads exact bytes."""

    def __init__(self, port, receive_buffer=0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            # Set before connecting so the window stays small: the server
            # cannot push the whole response into our kernel buffers.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(IO_TIMEOUT)
        self.sock.connect(("127.0.0.1", port))
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(1024 * 1024)
        if not chunk:
            raise EOFError("the server closed the connection")
        self.buffer += chunk

    def read_head(self):
        """Status code and headers (names lower-cased) of the next response."""
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def read_body(self, length, hasher=None):
        """Reads `length` body bytes; hashes them instead of keeping them when
        a hasher is given (a 100 MiB body is not held in memory twice)."""
        kept = []
        left = length
        while left:
            if not self.buffer:
                self._fill()
            piece, self.buffer = self.buffer[:left], self.buffer[left:]
            left -= len(piece)
            if hasher:
                hasher.update(piece)
            else:
                kept.append(piece)
        return b"".join(kept)

    def closed_by_peer(self, timeout=IO_TIMEOUT):
        """True when the server closes with no further byte (EOF or reset)."""
        if self.buffer:
            return False
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False
        finally:
            self.sock.settimeout(IO_TIMEOUT)

    def close(self):
        self.sock.close()


def in_flight_size():
    """A body size that cannot fit in the kernel's socket buffers: the server
    (whose send buffer grows up to tcp_wmem's maximum) must still hold part
    of it in its own queue while the client does not read."""
    try:
        with open("/proc/sys/net/ipv4/tcp_wmem") as limits:
            send_buffer_max = int(limits.read().split()[2])
    except (OSError, ValueError, IndexError):
        send_buffer_max = 4 * MiB
    return max(16 * MiB, 2 * send_buffer_max + 4 * MiB)


def start(binary, root, top, name, drain_timeout):
    return servers.basehttpd(binary, root, os.path.join(top, name + ".log"),
                             extra=("-q", "--drain-timeout", str(drain_timeout)))


def wait_refused(port, deadline):
    """True once a connection to `port` is refused (the listener is closed)."""
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                pass
        except ConnectionRefusedError:
            return True
        except OSError:
            pass  # a reset from the closing backlog: not yet the answer we wait for
        time.sleep(0.01)  # polling a condition with a deadline, not a fixed wait
    return False


def wait_exit(process, timeout):
    """The exit status, or None if the process is still running after `timeout`."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        return None


def download_in_flight(case, binary, root, top, content_hash, size):
    server = start(binary, root, top, "download", drain_timeout=30)
    try:
        wire = Wire(server.port, receive_buffer=64 * 1024)
        wire.send(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        status, headers = wire.read_head()
        case.check(status == 200, f"status {status}")
        case.check(int(headers.get("content-length", -1)) == size, f"headers {headers}")
        hasher = hashlib.sha256()
        # A first part, read at our own pace: the rest cannot have left the
        # server (only a few MiB fit in the socket buffers on both sides).
        wire.read_body(8 * MiB, hasher)
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        # The listener closing shows the server is draining while our
        # transfer is still mid-way.
        case.check(wait_refused(server.port, signalled + IO_TIMEOUT),
                   "new connections were still accepted after SIGTERM")
        case.check(server.process.poll() is None, "exited with the download in flight")
        wire.read_body(size - 8 * MiB, hasher)
        case.check(hasher.digest() == content_hash, "the 100 MiB arrived altered")
        case.check(wire.closed_by_peer(), "the connection stayed open after the response")
        code = wait_exit(server.process, IO_TIMEOUT)
        case.check(code == 0, f"exit status {code}")
        print(f"    100 MiB download: exited {code} {time.monotonic() - signalled:.2f} s "
              "after SIGTERM")
        wire.close()
    finally:
        server.stop()


def keep_alive_clients(case, binary, root, top, small, medium):
    # Generous: the clients read 300+ MiB after the signal on a shared
    # machine; a server that hangs still meets it and fails the check below.
    drain_timeout = 20
    server = start(binary, root, top, "keepalive", drain_timeout)
    port = server.port
    small_request = b"GET /small.txt HTTP/1.1\r\nHost: t\r\n\r\n"
    try:
        # 30 clients with a request half sent. They connect and send first:
        # the server reads their bytes before it answers anyone who comes
        # after (epoll reports ready sockets in the order they became ready),
        # so once the idle clients below have their answers, these partial
        # requests are in the server's buffers, not just in the kernel's.
        partial = [Wire(port) for _ in range(30)]
        for wire in partial:
            wire.send(small_request[:-2])  # all but the final CRLF
        # 50 idle clients: one exchange done, the connection kept alive.
        idle = [Wire(port) for _ in range(50)]
        for wire in idle:
            wire.send(small_request)
            status, headers = wire.read_head()
            case.check(status == 200 and wire.read_body(int(headers["content-length"])) == small,
                       "an idle client's first exchange failed")
        # 20 clients downloading medium.bin and reading none of the body: the
        # response is in flight (the file is larger than the kernel's socket
        # buffers, so most of it is still queued in the server). Half of them have pipelined a
        # second request behind it, which the server holds unread (its
        # output is over the high-water mark).
        downloading = []
        for i in range(20):
            wire = Wire(port)
            pipelined = i % 2 == 0
            wire.send(b"GET /medium.bin HTTP/1.1\r\nHost: t\r\n\r\n" +
                      (small_request if pipelined else b""))
            status, headers = wire.read_head()
            case.check(status == 200, f"download status {status}")
            downloading.append((wire, pipelined))

        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()

        # Idle clients are closed at once, with nothing sent.
        idle_closed = sum(1 for wire in idle if wire.closed_by_peer(timeout=5))
        case.check(idle_closed == len(idle), f"{idle_closed} of {len(idle)} idle clients closed")
        case.check(wait_refused(port, signalled + 5),
                   "new connections were still accepted after SIGTERM")

        # Requests in flight are answered, announcing the close.
        answered = 0
        for wire in partial:
            wire.send(b"\r\n")
            status, headers = wire.read_head()
            body = wire.read_body(int(headers.get("content-length", 0)))
            ok = (status == 200 and body == small and
                  headers.get("connection", "").lower() == "close" and wire.closed_by_peer())
            answered += ok
        case.check(answered == len(partial),
                   f"{answered} of {len(partial)} half-sent requests answered with "
                   "Connection: close and then closed")

        completed = 0
        medium_hash = hashlib.sha256(medium).digest()
        for wire, pipelined in downloading:
            hasher = hashlib.sha256()
            wire.read_body(len(medium), hasher)
            ok = hasher.digest() == medium_hash
            if pipelined:
                status, headers = wire.read_head()
                body = wire.read_body(int(headers.get("content-length", 0)))
                ok = ok and status == 200 and body == small and \
                    headers.get("connection", "").lower() == "close"
            completed += ok and wire.closed_by_peer()
        case.check(completed == len(downloading),
                   f"{completed} of {len(downloading)} downloads in flight completed and closed")

        code = wait_exit(server.process, drain_timeout + 5)
        elapsed = time.monotonic() - signalled
        case.check(code == 0, f"exit status {code}")
        case.check(elapsed < drain_timeout, f"exited {elapsed:.2f} s after SIGTERM, "
                   f"drain timeout {drain_timeout} s")
        print(f"    100 clients: {idle_closed} idle closed, {answered} half-sent answered, "
              f"{completed} downloads completed; exited {code} {elapsed:.2f} s after SIGTERM")
        for wire in partial + idle + [wire for wire, _ in downloading]:
            wire.close()
    finally:
        server.stop()


def stalled_client(case, binary, root, top):
    drain_timeout = 2
    server = start(binary, root, top, "stalled", drain_timeout)
    try:
        wire = Wire(server.port, receive_buffer=64 * 1024)
        wire.send(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        status, _ = wire.read_head()  # the response has begun; we read no more
        case.check(status == 200, f"status {status}")
        server.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        code = wait_exit(server.process, drain_timeout + 10)
        elapsed = time.monotonic() - signalled
        case.check(code == 0, f"exit status {code}")
        # Cut off at the drain timeout: not before (it was given its time),
        # and not much after (the timeout is enforced).
        case.check(drain_timeout - 0.2 <= elapsed < drain_timeout + 3,
                   f"exited {elapsed:.2f} s after SIGTERM, drain timeout {drain_timeout} s")
        print(f"    stalled client: exited {code} {elapsed:.2f} s after SIGTERM")
        wire.close()
    finally:
        server.stop()


def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    report = Report(report_name)
    with tempfile.TemporaryDirectory() as top:
        root = os.path.join(top, "root")
        os.makedirs(root)
        big_size = 100 * MiB
        hasher = hashlib.sha256()
        with open(os.path.join(root, "big.bin"), "wb") as out:
            for _ in range(big_size // MiB):
                block = os.urandom(MiB)
                hasher.update(block)
                out.write(block)
        small = b"small file\n" * 100
        medium = os.urandom(in_flight_size())
        with open(os.path.join(root, "small.txt"), "wb") as out:
            out.write(small)
        with open(os.path.join(root, "medium.bin"), "wb") as out:
            out.write(medium)

        with report.case("GracefulShutdown", "ADownloadInFlightFinishesIntact") as case:
            download_in_flight(case, binary, root, top, hasher.digest(), big_size)
        with report.case("GracefulShutdown", "KeepAliveClientsIdleClosedInFlightAnswered") as case:
            keep_alive_clients(case, binary, root, top, small, medium)
        with report.case("GracefulShutdown", "AClientThatStopsReadingIsCutAtTheDrainTimeout") \
                as case:
            stalled_client(case, binary, root, top)
    report.finish()


if __name__ == "__main__":
    main()
