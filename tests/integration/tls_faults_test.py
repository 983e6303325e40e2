"""basehttpd over HTTPS under faults and bulk transfers: 1,000 connections
that abort at each stage of the handshake or of the first request (FIN
and RST), a ClientHello trickled a byte every 100 ms, a plain HTTP
request, random bytes, a client that stops reading in the middle of a
100 MiB download. After each the server still serves, and its descriptors
and resident memory come back to where they were. A 100 MiB download, and
an 8 MiB upload to a CGI script that hashes its stdin, arrive
byte-identical (sha256). The client is Python's ssl module trusting a
test CA made with the openssl command.

usage: tls_faults_test.py BASEHTTPD REPORT_NAME [--sanitized]
"""
import collections
import concurrent.futures
import hashlib
import http.client
import os
import random
import select
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
from certificates import make_certificates  # noqa: E402
import servers  # noqa: E402

IO_TIMEOUT = 15.0
MIB = 1024 * 1024
BIG_SIZE = 100 * MIB
UPLOAD_SIZE = 8 * MIB  # ParserLimits::max_body_bytes, what basehttpd's CGI takes
SMALL = b"small and served\n"
ABORTS = 1000  # over the six stages, half FIN and half RST
WORKERS = 16  # connections at a time
# The level after a warm-up round is the baseline: the allocator keeps what
# the first round made it take from the system (arenas, OpenSSL's per-
# connection buffers freed to malloc's caches, the session table's slots
# for the peak number of connections), so a second round of the same faults
# needs no more. 2 MiB is far below any per-connection leak times 1,000
# and below the 100 MiB a file held in memory would cost.
RSS_SLACK_KIB = 2048
SANITIZED = False  # --sanitized: resident memory is reported, not bounded
HANDSHAKE_DEADLINE = 10.0  # ServerOptions::handshake_timeout's default
# How long the server may take to close what its clients dropped: well
# under the handshake deadline, so that a connection the server failed to
# notice (rather than closed) is not excused by the deadline's sweep.
CLOSE_TIMEOUT = 5.0
UPLOAD_SCRIPT = """#!/usr/bin/env python3
import hashlib, os, sys
left = int(os.environ.get("CONTENT_LENGTH") or 0)
digest = hashlib.sha256()
while left > 0:
    piece = sys.stdin.buffer.read(min(left, 1 << 20))
    if not piece:
        break
    digest.update(piece)
    left -= len(piece)
sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\n%s %d\\n" % (digest.hexdigest(), left))
"""
FLOOD_SCRIPT = """#!/usr/bin/env python3
import sys
sys.stdout.write("Content-Type: application/octet-stream\\r\\n\\r\\n")
sys.stdout.flush()
while True:
    sys.stdout.buffer.write(bytes(65536))
"""


# ---- The server's descriptors and memory ---------------------------------

def listening_inodes():
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as rows:
                next(rows)
                for row in rows:
                    fields = row.split()
                    if fields[3] == "0A":  # TCP_LISTEN
                        inodes.add(fields[9])
        except FileNotFoundError:
            pass
    return inodes


def descriptors(pid):
    """What process `pid` holds open, by kind: the listening socket apart
    from connections, so that "no connection left" is a count of zero
    rather than a guess at when the server is done closing."""
    listening = listening_inodes()
    kinds = collections.Counter()
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue  # closed while we looked
        if target.startswith("socket:["):
            kinds["listening socket" if target[8:-1] in listening else "socket"] += 1
        elif target.startswith("pipe:["):
            kinds["pipe"] += 1
        else:
            kinds[target] += 1
    return kinds


def children(pid):
    """How many processes have `pid` as their parent (CGI scripts here)."""
    count = 0
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as stat:
                    count += stat.read().rpartition(")")[2].split()[1] == str(pid)
            except OSError:
                pass  # gone while we looked
    return count


class Watch:
    """The server's descriptors and resident memory at rest, to come back to."""

    def __init__(self, server, context):
        self.server, self.context = server, context
        self.pid = server.process.pid
        self.extra = lambda: collections.Counter()  # connections meant to be open now
        self.fds = self.rss_kib = None

    def settle(self):
        """Waits for the server to have closed every connection and takes
        the baseline there."""
        if not servers.wait_for(lambda: descriptors(self.pid)["socket"] == 0, timeout=IO_TIMEOUT):
            raise RuntimeError(f"connections left open: {descriptors(self.pid)}")
        self.fds = descriptors(self.pid)
        self.rss_kib = servers.resident_kib(self.pid)

    def check_recovered(self, case):
        """The server serves, and its descriptors and memory are back."""
        case.check(self.server.process.poll() is None,
                   f"server exited with {self.server.process.returncode}")
        status, body = get(self.server.port, self.context, "/small.txt")
        case.check(status == 200 and body == SMALL, f"then GET /small.txt: {status} {body[:80]!r}")
        back = servers.wait_for(lambda: descriptors(self.pid) == self.fds + self.extra(),
                                timeout=CLOSE_TIMEOUT)
        if not back:
            now, expected = descriptors(self.pid), self.fds + self.extra()
            case.check(False, f"descriptors still open: {dict(now - expected)}, "
                              f"gone: {dict(expected - now)}")
        rss = servers.resident_kib(self.pid)
        self.check_resident(case, rss, "")
        return rss

    def check_resident(self, case, rss, when):
        if SANITIZED:
            return  # the sanitizer's quarantine holds freed memory: reported only
        case.check(rss <= self.rss_kib + RSS_SLACK_KIB,
                   f"resident {rss} KiB{when}, {self.rss_kib} KiB at rest before")


# ---- Clients --------------------------------------------------------------

def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)


def drop(sock, reset):
    """Closes without close_notify: a FIN, or with SO_LINGER 0 an RST."""
    if reset:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def client_hello(context):
    """The first flight of a fresh handshake, as bytes, from a MemoryBIO."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def get(port, context, path):
    connection = http.client.HTTPSConnection("localhost", port, timeout=IO_TIMEOUT,
                                             context=context)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def read_until_close(sock, limit=1 << 20):
    """Everything until the peer closes (EOF or reset); raises on a hang."""
    data = b""
    while len(data) < limit:
        try:
            piece = sock.recv(65536)
        except ConnectionResetError:
            return data, "reset"
        if not piece:
            return data, "eof"
        data += piece
    raise RuntimeError(f"more than {limit} bytes")


def abort_at(stage, reset, port, contexts):
    """One connection that gives up at `stage`: 0 right after connect; 1
    within the ClientHello; 2 after part of the server's first flight; 3
    once the handshake is done (TLS 1.3 or 1.2); 4 in the middle of a
    request; 5 once a request for the big file is sent, while the server
    writes its answer. Returns what went wrong on the client's side, or
    None."""
    context = contexts[reset]  # alternates TLS 1.3 and 1.2 from stage 2 on
    sock = connect(port)
    try:
        if stage == 1:
            hello = client_hello(context)
            sock.sendall(hello[:len(hello) // 2])
        elif stage == 2:
            sock.sendall(client_hello(context))
            first = sock.recv(64)
            if not first.startswith(b"\x16\x03"):
                return f"stage 2: server's first bytes {first!r}"
        elif stage >= 3:
            sock = context.wrap_socket(sock, server_hostname="localhost")
            if stage == 4:
                sock.sendall(b"GET /small.txt HTTP/1.1\r\nHost: loc")
            elif stage == 5:
                sock.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
    finally:
        drop(sock, reset)
    return None


def abort_round(port, contexts, count, seed):
    plan = [(i % 6, (i // 6) % 2 == 1) for i in range(count)]
    random.Random(seed).shuffle(plan)  # the stages interleave on the server
    with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
        results = list(pool.map(lambda step: abort_at(*step, port, contexts), plan))
    return [r for r in results if r]


def stalled_download(port, context, reset, watch):
    """GET /big.bin, read 4 MiB, stop reading while the server fills the
    socket buffers, then drop. Returns the server's RSS while stalled."""
    tls = context.wrap_socket(connect(port), server_hostname="localhost")
    try:
        tls.sendall(b"GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n")
        got = 0
        while got < 4 * MIB:
            piece = tls.recv(65536)
            if not piece:
                raise RuntimeError(f"closed after {got} bytes")
            got += len(piece)
        # The time that must pass: the server writes until the buffers are
        # full and then waits on this connection, not on the others.
        time.sleep(1.0)
        status, body = get(port, context, "/small.txt")
        if status != 200 or body != SMALL:
            raise RuntimeError(f"another client meanwhile: {status} {body[:80]!r}")
        return servers.resident_kib(watch.pid)
    finally:
        drop(tls, reset)


def download_digest(port, context):
    connection = http.client.HTTPSConnection("localhost", port, timeout=IO_TIMEOUT,
                                             context=context)
    try:
        connection.request("GET", "/big.bin")
        response = connection.getresponse()
        digest, size = hashlib.sha256(), 0
        while True:
            piece = response.read(MIB)
            if not piece:
                break
            digest.update(piece)
            size += len(piece)
        return response.status, size, digest.hexdigest()
    finally:
        connection.close()


def upload_digest(port, context, path, size):
    connection = http.client.HTTPSConnection("localhost", port, timeout=IO_TIMEOUT,
                                             context=context, blocksize=MIB)
    try:
        with open(path, "rb") as body:
            connection.request("POST", "/cgi-bin/sha256.py", body=body,
                               headers={"Content-Length": str(size),
                                        "Content-Type": "application/octet-stream"})
            response = connection.getresponse()
            return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


class Trickle(threading.Thread):
    """A ClientHello a byte every 100 ms, until the server closes."""

    def __init__(self, port, context):
        super().__init__(daemon=True)
        self.port, self.context = port, context
        self.open = threading.Event()
        self.closed_after = None
        self.sent = 0
        self.error = None

    def run(self):
        try:
            hello = client_hello(self.context)
            with connect(self.port) as sock:
                self.open.set()
                start = time.monotonic()
                while time.monotonic() - start < HANDSHAKE_DEADLINE * 3:
                    # Waiting for the server's close is the pacing itself.
                    readable, _, _ = select.select([sock], [], [], 0.1)
                    if readable:
                        try:
                            closing = sock.recv(4096)
                        except ConnectionResetError:
                            closing = b""
                        if not closing:
                            break
                        self.error = f"server sent {closing[:40]!r} to an unfinished hello"
                    if self.sent < len(hello):
                        try:
                            sock.sendall(hello[self.sent:self.sent + 1])
                        except (BrokenPipeError, ConnectionResetError):
                            break
                        self.sent += 1
                self.closed_after = time.monotonic() - start
        except Exception as error:  # reported by the case
            self.error = repr(error)
        finally:
            self.open.clear()


def write_big_file(path):
    """100 MiB of pseudo-random bytes from a fixed seed; returns its sha256."""
    generator = random.Random(16)
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        for _ in range(BIG_SIZE // MIB):
            piece = generator.randbytes(MIB)
            digest.update(piece)
            out.write(piece)
    return digest.hexdigest()


def main():
    global SANITIZED
    binary, report_name = sys.argv[1], sys.argv[2]
    SANITIZED = "--sanitized" in sys.argv[3:]
    report = Report(report_name)
    with tempfile.TemporaryDirectory(prefix="basehttp-tls-faults-") as top:
        make_certificates(top)
        root = os.path.join(top, "root")
        os.makedirs(os.path.join(root, "cgi-bin"))
        with open(os.path.join(root, "small.txt"), "wb") as out:
            out.write(SMALL)
        big_digest = write_big_file(os.path.join(root, "big.bin"))
        upload = os.path.join(top, "upload.bin")
        with open(os.path.join(root, "big.bin"), "rb") as big, open(upload, "wb") as out:
            out.write(big.read(UPLOAD_SIZE))
        with open(upload, "rb") as written:
            upload_digest_expected = hashlib.sha256(written.read()).hexdigest()
        for name, text in (("sha256.py", UPLOAD_SCRIPT), ("flood.py", FLOOD_SCRIPT)):
            script = os.path.join(root, "cgi-bin", name)
            with open(script, "w") as out:
                out.write(text)
            os.chmod(script, 0o755)

        tls13 = ssl.create_default_context(cafile=os.path.join(top, "ca.pem"))
        tls12 = ssl.create_default_context(cafile=os.path.join(top, "ca.pem"))
        tls12.maximum_version = ssl.TLSVersion.TLSv1_2
        contexts = {False: tls13, True: tls12}
        server = servers.basehttpd(binary, root, os.path.join(top, "server.log"),
                                   ["-q", "--cgi", "--tls-cert", os.path.join(top, "server.pem"),
                                    "--tls-key", os.path.join(top, "server.key")])
        port = server.port
        watch = Watch(server, tls13)
        try:
            # Warm-up: each fault once, so that the baseline already holds
            # what the first time costs (see RSS_SLACK_KIB), and the files
            # the server keeps open.
            abort_round(port, contexts, ABORTS // 10, seed=1)
            get(port, tls13, "/small.txt")
            stalled_download(port, tls13, False, watch)
            download_digest(port, tls13)
            upload_digest(port, tls13, upload, UPLOAD_SIZE)
            watch.settle()

            with report.case("TlsFaults", "ThousandConnectionsAbortAtEveryHandshakeStage") as case:
                started = time.monotonic()
                errors = abort_round(port, contexts, ABORTS, seed=2)
                case.check(not errors, f"{len(errors)} clients failed: {errors[:5]}")
                elapsed = time.monotonic() - started
                rss = watch.check_recovered(case)
                print(f"    {ABORTS} aborted connections in {elapsed:.1f} s; resident "
                      f"{watch.rss_kib} -> {rss} KiB")

            with report.case("TlsFaults", "PlainHttpRequestGetsA400AndAClose") as case:
                with connect(port) as sock:
                    sock.sendall(b"GET /small.txt HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    answer, how = read_until_close(sock)
                case.check(answer.startswith(b"HTTP/1.1 400 "), f"answer {answer[:200]!r}")
                case.check(b"\r\nConnection: close\r\n" in answer, f"answer {answer[:200]!r}")
                case.check(b"plain HTTP request" in answer, f"answer {answer[:400]!r}")
                case.check(how == "eof", f"closed by {how}")
                watch.check_recovered(case)

            with report.case("TlsFaults", "RandomBytesAreClosedWithoutAHang") as case:
                def garbage(step):
                    size, seed, framed = step
                    data = random.Random(seed).randbytes(size)
                    if framed:  # a handshake record's header, then noise
                        data = b"\x16\x03\x01" + struct.pack(">H", min(size, 16384)) + data
                    with connect(port) as sock:
                        try:
                            sock.sendall(data)
                        except (BrokenPipeError, ConnectionResetError):
                            return None  # closed before all was sent: fine
                        started = time.monotonic()
                        answer, how = read_until_close(sock)
                        elapsed = time.monotonic() - started
                    # A framed record of noise is refused once its bytes are
                    # in; none of this may wait for the handshake deadline.
                    if elapsed > HANDSHAKE_DEADLINE / 2:
                        return f"{step}: closed only after {elapsed:.1f} s"
                    if answer and not answer.startswith((b"\x15\x03", b"HTTP/1.1 400 ")):
                        return f"{step}: answered {answer[:40]!r}"
                    return None
                # From 5 bytes on: fewer are a record header cut short, which
                # the server rightly waits out until the handshake deadline,
                # as the trickle below shows.
                steps = [(size, seed, framed) for size in (5, 100, 1000, 16384, 70000)
                         for seed in (1, 2, 3) for framed in (False, True)]
                with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
                    errors = [e for e in pool.map(garbage, steps) if e]
                case.check(not errors, "; ".join(errors))
                watch.check_recovered(case)

            for reset in (False, True):
                name = "ClientThatStopsReadingMidDownloadThen" + ("Resets" if reset else "Closes")
                with report.case("TlsFaults", name) as case:
                    stalled_rss = stalled_download(port, tls13, reset, watch)
                    # The file must not be held in memory: it goes out 16 KiB at a time.
                    watch.check_resident(case, stalled_rss, " while stalled")
                    print(f"    resident {watch.rss_kib} KiB at rest, {stalled_rss} KiB stalled")
                    watch.check_recovered(case)

            for reset in (False, True):
                name = "ClientThatLeavesACgiScriptThen" + ("Resets" if reset else "Closes")
                with report.case("TlsFaults", name) as case:
                    # A body cut short, then an answer nobody reads: the
                    # scripts are stopped and their pipes closed.
                    with tls13.wrap_socket(connect(port), server_hostname="localhost") as tls:
                        tls.sendall(b"POST /cgi-bin/sha256.py HTTP/1.1\r\nHost: localhost\r\n"
                                    b"Content-Length: 4000000\r\n\r\n" + bytes(MIB))
                        drop(tls, reset)
                    tls = tls13.wrap_socket(connect(port), server_hostname="localhost")
                    try:
                        tls.sendall(b"GET /cgi-bin/flood.py HTTP/1.1\r\nHost: localhost\r\n\r\n")
                        head = tls.recv(64)
                        case.check(head.startswith(b"HTTP/1.1 200 "), f"flood.py: {head!r}")
                    finally:
                        drop(tls, reset)
                    stopped = servers.wait_for(lambda: children(watch.pid) == 0,
                                               timeout=CLOSE_TIMEOUT)
                    case.check(stopped, f"{children(watch.pid)} scripts still run")
                    watch.check_recovered(case)

            # The trickle takes the handshake deadline (10 s by default; basehttpd
            # has no flag for it) so it runs beside the bulk transfers; while it
            # is open the server holds one more connection.
            trickle = Trickle(port, tls13)
            watch.extra = lambda: collections.Counter({"socket": 1 if trickle.open.is_set() else 0})
            trickle.start()
            trickle.open.wait(IO_TIMEOUT)

            with report.case("TlsFaults", "HundredMebibyteDownloadIsByteIdentical") as case:
                started = time.monotonic()
                status, size, digest = download_digest(port, tls13)
                elapsed = time.monotonic() - started
                case.check(status == 200, f"status {status}")
                case.check(size == BIG_SIZE, f"{size} bytes")
                case.check(digest == big_digest, "sha256 differs")
                watch.check_recovered(case)
                print(f"    100 MiB down in {elapsed:.1f} s")

            # basehttpd's CGI takes a buffered body of at most 8 MiB
            # (limits.max_body_bytes; 413 beyond), so the largest it takes
            # goes up here, and the 100 MiB upload over TLS is the streamed
            # one of server_tests Https.HundredMebibyteUploadIsByteIdentical.
            with report.case("TlsFaults", "CgiUploadOfEightMebibytesIsByteIdentical") as case:
                started = time.monotonic()
                status, text = upload_digest(port, tls13, upload, UPLOAD_SIZE)
                elapsed = time.monotonic() - started
                case.check(status == 200, f"status {status}: {text[:200]!r}")
                case.check(text == f"{upload_digest_expected} 0\n", f"script saw {text[:200]!r}")
                watch.check_recovered(case)
                print(f"    8 MiB up to a CGI script in {elapsed:.1f} s")

            with report.case("TlsFaults", "TrickledClientHelloIsClosedAtTheHandshakeDeadline") \
                    as case:
                trickle.join(HANDSHAKE_DEADLINE * 3 + IO_TIMEOUT)
                case.check(trickle.error is None, f"{trickle.error}")
                closed = trickle.closed_after
                case.check(closed is not None and
                           HANDSHAKE_DEADLINE - 0.5 <= closed <= HANDSHAKE_DEADLINE + 5,
                           f"closed after {closed} s, {trickle.sent} bytes sent")
                watch.check_recovered(case)
        finally:
            code = server.stop()
            with report.case("TlsFaults", "ServerExitsCleanly") as case:
                case.check(code == 0, f"exit status {code}: {server.log_text()[-2000:]}")
    report.finish()


if __name__ == "__main__":
    main()
