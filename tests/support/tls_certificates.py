"""Throwaway certificates for the Python-driven HTTPS tests, made with the
openssl command: a CA, a server certificate for localhost / 127.0.0.1
signed by it, its key, and the key encrypted with a password."""
import os
import subprocess


def openssl(folder, *argv):
    subprocess.run(["openssl", *argv], cwd=folder, check=True, capture_output=True, timeout=60)


def make_certificates(folder):
    """Writes ca.pem, server.pem, server.key, encrypted.key (password
    "open sesame"), password.txt (that password) and wrong.txt (another)
    into folder."""
    openssl(folder, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=basehttp test CA")
    openssl(folder, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(folder, "ext.cnf"), "w") as out:
        out.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl(folder, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    openssl(folder, "pkey", "-in", "server.key", "-aes256", "-passout", "pass:open sesame",
            "-out", "encrypted.key")
    with open(os.path.join(folder, "password.txt"), "w") as out:
        out.write("open sesame\n")
    with open(os.path.join(folder, "wrong.txt"), "w") as out:
        out.write("close sesame\n")
