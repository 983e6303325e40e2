"""A bounded HTTP/1.1 load for the Python tests that restart servers under
traffic: keep-alive clients (reconnecting after a Connection: close
response, which is no loss) and new-connection clients, each request
checked for its 200 and its body, every failure (reset, refused, closed
before a response, wrong answer) kept, and the time of every answer kept
for the longest gap. Every socket operation has a timeout. Given an
ssl.SSLContext, the clients speak HTTPS (to the name "localhost")."""
import socket
import threading
import time

IO_TIMEOUT = 10.0


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = self.answered = self.reconnects = 0
        self.failures = []
        self.answer_times = []
        self.longest_request = 0.0

    def add(self, sent=0, answered=0, reconnects=0, failure=None, took=None):
        with self.lock:
            self.sent += sent
            self.answered += answered
            self.reconnects += reconnects
            if answered:
                self.answer_times.append(time.monotonic())
            if took is not None:
                self.longest_request = max(self.longest_request, took)
            if failure:
                self.failures.append(failure)

    def longest_gap(self):
        """The longest time in which no request was answered."""
        times = sorted(self.answer_times)
        return max((b - a for a, b in zip(times, times[1:])), default=0.0)


def read_response(sock, buffer):
    """(status, headers, body, rest) of one response with a Content-Length."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("closed before a response" if not buffer else "closed mid-head")
        buffer += chunk
    head, buffer = buffer.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("closed mid-body")
        buffer += chunk
    return status, headers, buffer[:length], buffer[length:]


def open_connection(port, tls=None):
    """A connected socket to 127.0.0.1:port, TLS-wrapped (handshake done)
    when `tls` is an ssl.SSLContext."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    if tls is None:
        return sock
    try:
        return tls.wrap_socket(sock, server_hostname="localhost")
    except BaseException:
        sock.close()
        raise


def keep_alive_client(port, path, body, tally, stop, limit, tls):
    request = f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode()
    sock, buffer, done = None, b"", 0
    while not stop.is_set() and done < limit:
        began = time.monotonic()
        try:
            if sock is None:
                sock = open_connection(port, tls)
                buffer = b""
            sock.sendall(request)
            tally.add(sent=1)
            status, headers, got, buffer = read_response(sock, buffer)
        except (OSError, EOFError) as error:
            tally.add(failure=f"keep-alive request {done}: {type(error).__name__}: {error}")
            if sock:
                sock.close()
            sock = None
            continue
        done += 1
        if status != 200 or got != body:
            tally.add(failure=f"keep-alive: status {status}, body {got[:40]!r}")
        else:
            tally.add(answered=1, took=time.monotonic() - began)
        if headers.get("connection", "").lower() == "close":
            sock.close()  # told so before the next request: reconnecting is no loss
            sock = None
            tally.add(reconnects=1)
    if sock:
        sock.close()


def new_connection_client(port, path, body, tally, stop, limit, tls):
    request = f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode()
    done = 0
    while not stop.is_set() and done < limit:
        began = time.monotonic()
        try:
            with open_connection(port, tls) as sock:
                sock.sendall(request)
                tally.add(sent=1)
                status, _, got, _ = read_response(sock, b"")
        except (OSError, EOFError) as error:
            tally.add(failure=f"new connection {done}: {type(error).__name__}: {error}")
            continue
        done += 1
        if status != 200 or got != body:
            tally.add(failure=f"new connection: status {status}, body {got[:40]!r}")
        else:
            tally.add(answered=1, took=time.monotonic() - began)


class Load:
    """`keep_alive` + `new_connections` client threads on 127.0.0.1:port,
    each stopping after `limit` requests or at stop(); over TLS with `tls`."""

    def __init__(self, port, path, body, keep_alive=4, new_connections=2, limit=40000, tls=None):
        self.tally, self.stop_event = Tally(), threading.Event()
        self.threads = [threading.Thread(target=keep_alive_client,
                                         args=(port, path, body, self.tally, self.stop_event,
                                               limit, tls)) for _ in range(keep_alive)]
        self.threads += [threading.Thread(target=new_connection_client,
                                          args=(port, path, body, self.tally, self.stop_event,
                                                limit, tls)) for _ in range(new_connections)]
        for thread in self.threads:
            thread.start()

    def stop(self, timeout=60):
        """Stops the clients; True when all of them ended in time."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=timeout)
        return not any(thread.is_alive() for thread in self.threads)
