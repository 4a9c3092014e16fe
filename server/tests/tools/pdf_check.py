"""Validates every signature of a PDF with pyHanko and prints one JSON list.

usage: pdf_check.py FILE.pdf ROOT.pem [MORE-ROOTS.pem…]
"""
import json
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko_certvalidator import ValidationContext


def main() -> None:
    path, roots = sys.argv[1], sys.argv[2:]
    vc = ValidationContext(trust_roots=[load_cert_from_pemder(r) for r in roots], allow_fetching=False)
    out = []
    with open(path, "rb") as f:
        reader = PdfFileReader(f, strict=False)
        for name, value, ref in enumerate_sig_fields(reader, filled_status=True):
            entry = {"field": name}
            try:
                sig = EmbeddedPdfSignature(reader, ref.get_object(), name)
                st = validate_pdf_signature(sig, vc)
                entry.update(
                    intact=st.intact,
                    valid=st.valid,
                    trusted=st.trusted,
                    coverage=st.coverage.name if st.coverage else None,
                    modification_level=st.modification_level.name if st.modification_level else None,
                    docmdp_ok=st.docmdp_ok,
                    bottom_line=st.bottom_line,
                    sub_filter=str(sig.sig_object.get("/SubFilter")),
                    timestamp=st.timestamp_validity is not None,
                    timestamp_valid=bool(st.timestamp_validity and st.timestamp_validity.valid and st.timestamp_validity.intact),
                )
            except Exception as e:  # a broken signature is a result, not a crash
                entry.update(error=f"{type(e).__name__}: {e}", intact=False, valid=False, trusted=False)
            out.append(entry)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
