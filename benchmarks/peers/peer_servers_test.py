#!/usr/bin/env python3
"""A peer hello server (benchmarks/peers/*_hello) starts on the port it is
given, answers GET /plaintext and GET /json with the bodies and types
compare.py expects, and exits on SIGTERM. Usage: peer_servers_test.py NAME EXE"""
import http.client
import socket
import subprocess
import sys
import time

EXPECTED = {"/plaintext": (b"Hello, World!", "text/plain"),
            "/json": (b'{"message":"Hello, World!"}', "application/json")}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    name, exe = sys.argv[1], sys.argv[2]
    port = free_port()
    server = subprocess.Popen([exe, str(port)])
    try:
        deadline = time.monotonic() + 20
        while True:
            if server.poll() is not None:
                sys.exit(f"{name}: exited with {server.returncode} before listening")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit(f"{name}: not listening on {port} after 20 s")
                time.sleep(0.05)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for path, (body, content_type) in EXPECTED.items():
            connection.request("GET", path)
            response = connection.getresponse()
            got = response.read()
            if response.status != 200 or got != body:
                sys.exit(f"{name}: GET {path}: {response.status} {got!r}")
            if not response.getheader("Content-Type", "").startswith(content_type):
                sys.exit(f"{name}: GET {path}: Content-Type {response.getheader('Content-Type')}")
            if response.will_close:  # reconnect for the next one (cpp-httplib, Pistache)
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.close()
        server.terminate()
        if server.wait(timeout=20) != 0:
            sys.exit(f"{name}: exited with {server.returncode} on SIGTERM")
        print(f"{name}: answers /plaintext and /json")
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
