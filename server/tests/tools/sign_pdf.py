"""Signs a PDF with pyHanko, as another signing product would before the file reaches Dojang:
an approval signature, or a certification with a DocMDP permission (1, 2 or 3). The key and
its self-signed certificate are made here; the certificate is written beside the output.

usage: sign_pdf.py IN.pdf OUT.pdf approval|certify-1|certify-2|certify-3
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import MDPPerm, SigFieldSpec
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder


def main() -> None:
    src, out, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Earlier Signer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, True, False, False, False, True, True, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = out + ".cert.pem", out + ".key.pem"
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    signer = signers.SimpleSigner(
        signing_cert=load_cert_from_pemder(cert_path),
        signing_key=load_private_key_from_pemder(key_path, passphrase=None),
        cert_registry=None,
    )
    certify = mode.startswith("certify")
    meta = signers.PdfSignatureMetadata(
        field_name="Earlier",
        certify=certify,
        docmdp_permissions=MDPPerm(int(mode[-1])) if certify else MDPPerm.FILL_FORMS,
    )
    with open(src, "rb") as f:
        writer = IncrementalPdfFileWriter(f)
        signed = signers.sign_pdf(writer, meta, signer=signer, new_field_spec=SigFieldSpec("Earlier"))
    with open(out, "wb") as f:
        f.write(signed.getbuffer())


if __name__ == "__main__":
    main()
