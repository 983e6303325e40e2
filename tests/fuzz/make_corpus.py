"""Writes the seed corpora of tests/fuzz (corpus/request/, corpus/path/, corpus/header/,
corpus/tls/) from the readable lists below. Run it after changing the list or the
request_fuzzer input format, and commit what it writes:

    python3 tests/fuzz/make_corpus.py

request_fuzzer inputs start with three bytes: options (the kFlag* bits of
request_fuzzer.cpp), how the rest is cut into reads (below 128: two reads,
cut at rest * byte / 128; from 128: reads of byte - 127 bytes) and how the
client sends them (kClient* bits).
"""
import os
import shutil
import ssl

SMALL_LIMITS, HTTP10, EOF, COMPLETE_DEFERRED = 1, 2, 4, 8
SMALL_SEND_BUFFER, SHUTDOWN, PLAIN_STATIC, CUSTOM_FORMAT = 16, 32, 64, 128
ONE_READ, HALVES, BYTEWISE = 0, 64, 128
EAGER = 1


def cut_after(stream, marker):
    """The reads byte that cuts `stream` (options bytes excluded) just after `marker`."""
    at = stream.index(marker) + len(marker)
    return next(how for how in range(128) if len(stream) * how // 128 >= at)


def get(target, *fields, version="HTTP/1.1", method="GET"):
    head = f"{method} {target} {version}\r\n"
    if version == "HTTP/1.1":
        head += "Host: h\r\n"
    return (head + "".join(f + "\r\n" for f in fields) + "\r\n").encode()


def post(target, body, *fields, method="POST"):
    return get(target, f"Content-Length: {len(body)}", *fields, method=method) + body


def chunked(target, pieces, trailer=""):
    body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n" + trailer.encode() + b"\r\n"
    return get(target, "Transfer-Encoding: chunked", method="POST") + body


REQUEST_SEEDS = {
    "get": (0, ONE_READ, get("/")),
    "static_file_range": (0, HALVES, get("/static/data.bin", "Range: bytes=10-99")),
    "static_head": (0, ONE_READ, get("/static/a.txt", method="HEAD")),
    "static_listing": (0, ONE_READ, get("/static/list/") + get("/static/")),
    "static_redirect": (PLAIN_STATIC, ONE_READ, get("/static/site?x=1") + get("/static/site/")),
    "static_conditional": (0, ONE_READ,
                           get("/static/a.txt", "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT")
                           + get("/static/a.txt", "If-None-Match: *")
                           + get("/static/data.bin", "If-Match: \"nope\"")
                           + get("/static/data.bin", "Range: bytes=5000-")),
    "static_escapes": (0, ONE_READ,
                       get("/static/link-out") + get("/static/up/secret.txt")
                       + get("/static/%2e%2e/secret.txt") + get("/static/fifo")),
    "pipelined": (0, HALVES, get("/respond?201,text/x,hi") + get("/chunked?abcdef")
                  + get("/length?xyz") + get("/headers", "X-A: 1", "x-a: 2")),
    "pipelined_bytewise": (0, BYTEWISE, get("/") + get("/echo") + post("/echo", b"hello")),
    "chunked_post": (0, HALVES, chunked("/echo?c", [b"hello ", b"world"], "Trailer-Field: x\r\n")),
    "content_length_post": (0, ONE_READ, post("/echo", b"0123456789", method="PUT")),
    "expect_continue": (0, cut_after(post("/echo", b"the body", "Expect: 100-continue"),
                                     b"\r\n\r\n"),
                        post("/echo", b"the body", "Expect: 100-continue")),
    "expect_no_handler": (0, ONE_READ, post("/x", b"unread", "Expect: 100-continue", method="PATCH")),
    "http10_keepalive": (HTTP10, ONE_READ,
                         get("/", "Connection: keep-alive", version="HTTP/1.0")
                         + get("/keepalive", "Connection: keep-alive", version="HTTP/1.0")),
    "http10_close_delimited": (0, ONE_READ, get("/chunked?abc", version="HTTP/1.0")),
    "methods": (0, ONE_READ, get("/", method="SPAM") + get("/", method="OPTIONS")
                + get("/", method="DELETE") + get("/", method="SPAMX")),
    "connect": (0, ONE_READ, get("h:443", method="CONNECT") + get("/")),
    "bad_request_line": (0, ONE_READ, b"GET /a b HTTP/1.1\r\nHost: h\r\n\r\n"),
    "bad_version": (0, ONE_READ, get("/", version="HTTP/2.0") + get("/", version="HTTP/1.9")),
    "too_long_line": (SMALL_LIMITS, ONE_READ, get("/" + "a" * 80)),
    "too_many_fields": (SMALL_LIMITS, HALVES, get("/", "A: 1", "B: 2", "C: 3", "D: 4", "E: 5")),
    "body_too_large": (SMALL_LIMITS, ONE_READ, post("/echo", b"x" * 64)),
    "bare_lf_and_folding": (0, ONE_READ, b"GET / HTTP/1.1\nHost: h\n\n"
                            + b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"),
    "smuggling": (0, ONE_READ, get("/echo", "Content-Length: 5", "Transfer-Encoding: chunked",
                                   method="POST") + b"0\r\n\r\n"),
    "absolute_form": (0, ONE_READ, get("http://h/static/a.txt") + get("http://other/")),
    "handlers_tour": (0, ONE_READ,
                      get("/error?404,Gone%0d%0aX-Injected:%201,%3Cb%3Ewhy")
                      + get("/reason?299,Fine%0d%0aX:%20y") + get("/header?Name,va%0alue%7f")
                      + get("/interim?3") + get("/flush?abc")
                      + get("/none") + get("/misuse") + get("/log?%1b[31mred")
                      + get("/strings?5") + get("/allow") + get("/nobody?1")
                      + get("/throw?1")),  # last: a throw mid-response ends the connection
    "no_content": (0, ONE_READ, get("/error?205") + get("/respond?204,text/x,hi")
                   + get("/respond?205,text/x,hi") + get("/reason?205") + get("/nobody?1")
                   + get("/respond?304,text/x,hi", method="HEAD") + get("/error?101")),
    "header_value_ending_in_crlf": (0, ONE_READ, get("/header?Split,value%0d%0a") + get("/")),
    "far_dates": (0, ONE_READ, get("/strings?-99999999999999") + get("/strings?99999999999999")),
    "cut_short": (0, ONE_READ, get("/long?abcdefgh") + get("/short?abc") + get("/")),
    "throw_mid_body": (0, ONE_READ, get("/throw?2") + get("/")),
    "throw_after_status": (0, ONE_READ, get("/throw?1") + get("/")),
    "throw_head": (0, ONE_READ, get("/throw?2", method="HEAD") + get("/")),
    "defer": (COMPLETE_DEFERRED, ONE_READ, get("/defer") + get("/") + get("/defer?now")),
    "defer_then_leave": (EOF, ONE_READ, get("/defer") + get("/")),
    "backpressure": (SMALL_LIMITS | SMALL_SEND_BUFFER, HALVES,
                     get("/big?20000") + get("/big?30000c") + get("/file?100,2000") + get("/")),
    "backpressure_eager": (SMALL_LIMITS | SMALL_SEND_BUFFER,
                           cut_after(get("/big?20000") + get("/"), b"\r\n\r\n"),
                           get("/big?20000") + get("/"), EAGER),
    "shutdown": (SHUTDOWN, HALVES, get("/") + get("/close") + get("/")),
    "eof_inside_request": (EOF, ONE_READ, b"GET / HTTP/1.1\r\nHost: h\r\nX-Partial: "),
    "custom_error_format": (CUSTOM_FORMAT | HTTP10, ONE_READ, get("/error?500,a{b},{c}")
                            + get("/nope/", method="BREW")),
}

PATH_SEEDS = {
    "root": b"/",
    "file": b"/static/a.txt",
    "query_fragment": b"/static/a.txt?x=/../..#/../..",
    "dotdot": b"/../../etc/passwd",
    "encoded_dotdot": b"/%2e%2e/%2E%2e/etc/passwd",
    "encoded_slash": b"/..%2f..%2fsecret.txt",
    "double_encoded": b"/%252e%252e/x",
    "nul": b"/a.txt%00.html",
    "backslashes": b"/..\\..\\windows\\win.ini",
    "mixed_slashes": b"/a/..\\../b",
    "double_slashes": b"//a//b///c/",
    "dots": b"/./a/./b/./.",
    "three_dots": b"/.../x/..../y",
    "overlong_utf8": b"/%c0%ae%c0%ae/%c0%af",
    "absolute_form": b"http://host:80/x/../../y?z",
    "absolute_no_path": b"http://host",
    "climb_after_mount": b"/static/../../x",
    "semicolon": b"/..;/x/;../y",
    "bad_escapes": b"/%/%4/%zz/%%41",
    "spaces": b"/a%20b/%09/ /",
    "trailing_dotdot": b"/a/b/..",
    "unicode": b"/\xe6\x97\xa5\xe6\x9c\xac/%E6%97%A5",
    "redirect_to_host": b"//evil.example/../d?x=1",
    "redirect_backslash": b"/\\evil.example/%2e%2e/d",
}


# header_fuzzer inputs: one options byte (1, 2, 4: small limits; 8: a
# request line in front), then the stream.
HEADER_SEEDS = {
    "usual": b"\x00" + get("/plaintext", "User-Agent: wrk", "Accept: */*"),
    "browser": b"\x00" + get("/a.css?v=3", "User-Agent: Mozilla/5.0 (X11)",
                              "Accept: text/css,*/*;q=0.1", "Accept-Encoding: gzip, br",
                              "Cookie: a=b; c=d"),
    "pipelined": b"\x00" + get("/1") + get("/2", "X-A: 1") + get("/3"),
    "special_fields": b"\x00" + get("/", "Connection: keep-alive", "Expect: 100-continue",
                                     "Content-Length: 0"),
    "small_limits": b"\x07" + get("/x", "A: 1", "B: 2", "C: 3", "D: 4"),
    "fields_only": b"\x08" + b"Host: h\r\nX:  spaced  \r\nY:\ttab\r\n\r\n",
    "http10": b"\x00" + get("/", "User-Agent: x", version="HTTP/1.0"),
    "bad_name": b"\x08" + b"Host: h\r\nBad Name: v\r\n\r\n",
    "obs_text": b"\x08" + b"Host: h\r\nX: caf\xc3\xa9\r\n\r\n",
}


def request_input(flags, how, stream, client=0):
    return bytes([flags, how, client]) + stream


def write(folder, seeds):
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for name, content in seeds.items():
        with open(os.path.join(folder, name), "wb") as out:
            out.write(content)


def client_hello(minimum, maximum, server_name=None, alpn=None):
    """A client's first flight, as Python's ssl module sends it: random
    and key shares differ on each run, which does not matter to a seed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version, context.maximum_version = minimum, maximum
    if alpn:
        context.set_alpn_protocols(alpn)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    client = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        client.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def tls_seeds():
    v12, v13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
    return {
        "tls13_sni_alpn": client_hello(v13, v13, "localhost", ["h2", "http/1.1"]),
        "tls13_bare": client_hello(v13, v13),
        "tls12_sni_alpn": client_hello(v12, v12, "localhost", ["http/1.1"]),
        "tls12_bare": client_hello(v12, v12),
        "tls12_or_13_sni": client_hello(v12, v13, "localhost", ["http/1.1"]),
        # A plain HTTP request on the TLS port: its own answer path.
        "plain_http": get("/"),
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    write(os.path.join(here, "corpus", "request"),
          {name: request_input(*seed) for name, seed in REQUEST_SEEDS.items()})
    write(os.path.join(here, "corpus", "path"), PATH_SEEDS)
    write(os.path.join(here, "corpus", "header"), HEADER_SEEDS)
    write(os.path.join(here, "corpus", "tls"), tls_seeds())


if __name__ == "__main__":
    main()
