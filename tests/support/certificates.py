"""Throwaway certificates for the Python tests that speak HTTPS, made with
the openssl command: a CA, server certificates for localhost / 127.0.0.1
signed by it."""
import os
import subprocess


def openssl(folder, *argv):
    subprocess.run(["openssl", *argv], cwd=folder, check=True, capture_output=True, timeout=60)


def make_ca(folder, name="ca", days=2):
    """`name`.pem and `name`.key: a self-signed CA."""
    openssl(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
            "-out", name + ".pem", "-days", str(days), "-subj", "/CN=basehttp test CA")


def make_server_certificate(folder, name="server", ca="ca", days=2, common_name="localhost"):
    """`name`.pem and `name`.key: a certificate for localhost and 127.0.0.1
    signed by the CA `ca`.pem / `ca`.key. Returns the certificate's path."""
    openssl(folder, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", "/CN=" + common_name)
    with open(os.path.join(folder, name + ".ext"), "w") as out:
        out.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl(folder, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey",
            ca + ".key", "-CAcreateserial", "-out", name + ".pem", "-days", str(days),
            "-extfile", name + ".ext")
    return os.path.join(folder, name + ".pem")


def make_certificates(folder):
    """A CA, a server certificate for localhost / 127.0.0.1 signed by it,
    its key, and the same key encrypted with the password "open sesame"."""
    make_ca(folder)
    make_server_certificate(folder)
    openssl(folder, "pkey", "-in", "server.key", "-aes256", "-passout", "pass:open sesame",
            "-out", "encrypted.key")
    with open(os.path.join(folder, "password.txt"), "w") as out:
        out.write("open sesame\n")
    with open(os.path.join(folder, "wrong.txt"), "w") as out:
        out.write("close sesame\n")

