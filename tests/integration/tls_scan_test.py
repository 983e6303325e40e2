"""basehttpd --tls-cert as outside TLS scanners see it, on 127.0.0.1:

- sslscan (its XML report): SSLv2, SSLv3, TLS 1.0 and 1.1 refused, TLS 1.2
  and 1.3 offered; no cipher under 128 bits nor NULL, anonymous, export,
  RC4, DES, 3DES or MD5; no renegotiation; not vulnerable to Heartbleed; no
  TLS compression; a 2048-bit RSA key signed with SHA-256.
- Python's ssl client: offered a weak-but-allowed cipher first, the server
  still picks its own strongest one (a server cipher order).
- testssl.sh (its JSON report): no finding of severity MEDIUM or above,
  but for the exclusions listed at EXCLUDED, each with its reason.

The test runs in a network namespace of its own (tests/support/
isolation.py): testssl.sh looks up the name "invalid." to learn what its
openssl can do, and there that lookup goes nowhere.

sslscan and testssl.sh come from Debian's packages, which ./dev test
installs; without them the cases are skipped, and CI counts that as a
failure.

usage: tls_scan_test.py BASEHTTPD REPORT_NAME
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from gtest_report import Report  # noqa: E402
import certificates  # noqa: E402
import isolation  # noqa: E402
import servers  # noqa: E402

IO_TIMEOUT = 15.0
SCAN_TIMEOUT = 240.0  # a bound for a hung scanner, far above a normal run

# Parts of a cipher's OpenSSL or IANA name that mark it weak.
WEAK_CIPHER_PARTS = ("NULL", "RC4", "DES", "EXP", "ADH", "AECDH", "anon", "MD5", "IDEA", "SEED")

# testssl.sh's checks beyond sslscan's protocol and cipher lists: the
# server's cipher order and defaults (-P -S: certificate, tickets), the
# HTTP headers (-h), Heartbleed, CCS injection, Ticketbleed (-H -I -T),
# client-initiated and insecure renegotiation (-R), CRIME (TLS
# compression, -C), BREACH (-B) and TLS_FALLBACK_SCSV (-Z). Left out for
# time (each costs seconds to tens of seconds on a loaded 2-core machine):
# the protocol and cipher lists (sslscan's case checks them), the client
# simulations, and the vulnerabilities that need an SSLv3, export, RC4,
# 3DES, DH-export or CBC-in-SSLv3 cipher sslscan already shows refused
# (POODLE, FREAK, Logjam, DROWN, Sweet32, BEAST, RC4). ROBOT too: a
# 25 s probe of RSA decryption, which is OpenSSL's.
TESTSSL_CHECKS = ("-P", "-S", "-h", "-H", "-I", "-T", "-R", "-C", "-B", "-Z")

# testssl.sh findings of severity MEDIUM or above that are not about the
# server: each is about the throwaway certificate made for the test, or
# an HTTP policy a deployment chooses.
EXCLUDED = {
    # A certificate of a public CA names where it is revoked; the test CA,
    # made for one run, has no revocation list or responder to name.
    "cert_revocation": "the throwaway certificate has no CRL or OCSP URI",
    # Security headers (HSTS, X-Frame-Options, CSP...) are the serving
    # application's choice (send_header), as with Python's http.server;
    # HSTS from a development server on localhost would pin browsers to
    # HTTPS on every other localhost port for its max-age.
    "security_headers": "HTTP headers are the application's choice, not TLS",
}
SEVERE = ("MEDIUM", "HIGH", "CRITICAL", "FATAL")
CASES = ("SslscanFindsNoOldProtocolWeakCipherOrRenegotiation", "TheServerChoosesTheCipher",
         "TestsslFindsNothingOfMediumSeverityOrAbove", "ExitsCleanlyAfterTheScans")


def scan_with_sslscan(case, port):
    result = subprocess.run(["sslscan", "--no-colour", "--xml=-", f"127.0.0.1:{port}"],
                            capture_output=True, timeout=SCAN_TIMEOUT, stdin=subprocess.DEVNULL)
    if not case.check(result.returncode == 0, f"sslscan exited {result.returncode}: "
                      f"{result.stderr.decode(errors='replace')[-1000:]}"):
        return
    test = ElementTree.fromstring(result.stdout).find("ssltest")
    if not case.check(test is not None, f"no <ssltest> in:\n{result.stdout[-2000:]!r}"):
        return

    protocols = {f"{p.get('type')}{p.get('version')}": p.get("enabled")
                 for p in test.iter("protocol")}
    expected = {"ssl2": "0", "ssl3": "0", "tls1.0": "0", "tls1.1": "0", "tls1.2": "1",
                "tls1.3": "1"}
    case.check(protocols == expected, f"protocols {protocols}, expected {expected}")

    ciphers = list(test.iter("cipher"))
    versions = {c.get("sslversion") for c in ciphers}
    case.check(versions == {"TLSv1.2", "TLSv1.3"}, f"ciphers offered for {versions}")
    for cipher in ciphers:
        name = cipher.get("cipher")
        case.check(int(cipher.get("bits")) >= 128, f"{name}: {cipher.get('bits')} bits")
        case.check(not any(part in name for part in WEAK_CIPHER_PARTS), f"weak cipher {name}")
        case.check(cipher.get("strength") in ("strong", "acceptable"),
                   f"{name}: sslscan rates it {cipher.get('strength')}")
    for group in test.iter("group"):
        case.check(int(group.get("bits")) >= 112,
                   f"key exchange group {group.get('name')}: {group.get('bits')} bits")

    renegotiation = test.find("renegotiation")
    case.check(renegotiation is not None and renegotiation.get("supported") == "0",
               "renegotiation: " + (str(renegotiation.attrib) if renegotiation is not None
                                    else "not tested"))
    heartbleed = list(test.iter("heartbleed"))
    case.check(heartbleed and all(h.get("vulnerable") == "0" for h in heartbleed),
               f"heartbleed: {[h.attrib for h in heartbleed]}")
    # sslscan reports compression only when its OpenSSL can offer it
    # (Debian's cannot); testssl.sh's CRIME check probes it on its own.
    for compression in test.iter("compression"):
        case.check(compression.get("supported") == "0", f"compression: {compression.attrib}")

    keys = list(test.iter("pk"))
    case.check(len(keys) == 1 and keys[0].get("type") == "RSA" and
               int(keys[0].get("bits")) >= 2048 and keys[0].get("error") == "false",
               f"certificate key: {[k.attrib for k in keys]}")
    signature = test.findtext(".//signature-algorithm", "")
    case.check(signature.startswith("sha256"), f"certificate signed with {signature!r}")
    print(f"    sslscan: {protocols}; {len(ciphers)} ciphers; "
          f"renegotiation {renegotiation.attrib if renegotiation is not None else None}")


def server_cipher_order(case, port):
    """A TLS 1.2 client that prefers a CBC cipher without forward secrecy
    (allowed by the default list, for old clients) gets the server's first
    choice instead."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the cipher is what is looked at
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384")
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as raw:
        with context.wrap_socket(raw) as tls:
            chosen = tls.cipher()[0]
    case.check(chosen == "ECDHE-RSA-AES256-GCM-SHA384",
               f"the server took the client's order: {chosen}")


def scan_with_testssl(case, port, folder, ca):
    report = os.path.join(folder, "testssl.json")  # testssl.sh will not overwrite a file
    result = subprocess.run(
        # --nodns none: no PTR or CAA query for 127.0.0.1.
        [shutil.which("testssl") or "testssl.sh", "--quiet", "--warnings", "off", "--color", "0",
         "--nodns", "none", "--add-ca", ca, "--jsonfile", report, *TESTSSL_CHECKS,
         f"127.0.0.1:{port}"],
        capture_output=True, timeout=SCAN_TIMEOUT, stdin=subprocess.DEVNULL, cwd=folder)
    if not case.check(os.path.exists(report), f"testssl.sh exited {result.returncode}, no "
                      f"report: {result.stdout.decode(errors='replace')[-2000:]}"):
        return
    with open(report) as findings_file:
        findings = json.load(findings_file)
    ids = {finding["id"] for finding in findings}
    # A check that could not run reports nothing severe, so each must have
    # reported. (testssl.sh's exit status is no verdict: it adds up the
    # statuses of its checks, some of which are non-zero when all is well.)
    for wanted in ("cipher_order", "cert_chain_of_trust", "security_headers", "heartbleed",
                   "CCS", "ticketbleed", "secure_renego", "secure_client_renego", "CRIME_TLS",
                   "BREACH", "fallback_SCSV"):
        case.check(wanted in ids, f"testssl.sh did not report {wanted}")
    severe = [f for f in findings if f["severity"] in SEVERE and f["id"] not in EXCLUDED]
    case.check(not severe, "testssl.sh findings:\n" + "\n".join(
        f"{f['severity']} {f['id']}: {f['finding']}" for f in severe))
    excluded = sorted(f["id"] for f in findings if f["severity"] in SEVERE and f["id"] in EXCLUDED)
    print(f"    testssl.sh: {len(findings)} findings, exit {result.returncode}; "
          f"excluded: {excluded}")



def main():
    binary, report_name = sys.argv[1], sys.argv[2]
    isolated = isolation.isolate()
    report = Report(report_name)
    if isolated is not None:
        for name in CASES:
            with report.case("TlsScan", name) as case:
                case.skip(isolated)
        report.finish()
    with tempfile.TemporaryDirectory() as top:
        root = os.path.join(top, "root")
        os.makedirs(root)
        with open(os.path.join(root, "index.html"), "w") as out:
            out.write("<!DOCTYPE html><title>scanned</title><p>scanned</p>\n")
        # Valid for 90 days, so no check about a certificate near its end
        # of life fires (testssl.sh warns under 60 days, fails under 30),
        # and under the 398 days browsers take.
        certificates.make_ca(top, days=90)
        certificate = certificates.make_server_certificate(top, days=90)
        server = servers.basehttpd(binary, root, os.path.join(top, "server.log"),
                                   extra=("-q", "--tls-cert", certificate,
                                          "--tls-key", os.path.join(top, "server.key")))
        try:
            with report.case("TlsScan", CASES[0]) as case:
                if shutil.which("sslscan") is None:
                    case.skip("sslscan is not installed (Debian sslscan; ./dev test installs it)")
                else:
                    scan_with_sslscan(case, server.port)
            with report.case("TlsScan", CASES[1]) as case:
                server_cipher_order(case, server.port)
            with report.case("TlsScan", CASES[2]) as case:
                if shutil.which("testssl") is None and shutil.which("testssl.sh") is None:
                    case.skip("testssl.sh is not installed (Debian testssl.sh; ./dev test "
                              "installs it)")
                else:
                    scan_with_testssl(case, server.port, top, os.path.join(top, "ca.pem"))
        finally:
            status = server.stop()
        with report.case("TlsScan", CASES[3]) as case:
            case.check(status == 0, f"exit status {status} after SIGTERM:\n"
                       + server.log_text()[-2000:])
    report.finish()


if __name__ == "__main__":
    main()
