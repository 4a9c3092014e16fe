"""A small RFC 3161 time-stamping authority for tests: answers POSTed TimeStampReqs with
`openssl ts -reply`, signing with a throwaway key it creates at start.

usage: tsa.py PORT DIR   (writes DIR/tsa.crt for validators to trust)
"""
import http.server
import os
import subprocess
import sys
import tempfile

CONFIG = """
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
serial = {dir}/serial
crypto_device = builtin
signer_cert = {dir}/tsa.crt
signer_key = {dir}/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.2
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
certs = {dir}/tsa.crt
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = Dojang Test TSA
[ tsaext ]
extendedKeyUsage = critical,timeStamping
basicConstraints = CA:false
keyUsage = critical,digitalSignature
"""


def main() -> None:
    port, d = int(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(d, exist_ok=True)
    cfg = os.path.join(d, "tsa.cnf")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(dir=d))
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", os.path.join(d, "tsa.key"), "-out", os.path.join(d, "tsa.crt"), "-days", "30",
         "-config", cfg, "-extensions", "tsaext"],
        check=True, capture_output=True,
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with tempfile.TemporaryDirectory() as t:
                q, r = os.path.join(t, "q.tsq"), os.path.join(t, "r.tsr")
                with open(q, "wb") as f:
                    f.write(body)
                res = subprocess.run(["openssl", "ts", "-reply", "-queryfile", q, "-config", cfg, "-out", r], capture_output=True)
                if res.returncode != 0:
                    self.send_response(500)
                    self.end_headers()
                    return
                with open(r, "rb") as f:
                    data = f.read()
            self.send_response(200)
            self.send_header("content-type", "application/timestamp-reply")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
