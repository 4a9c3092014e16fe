"""Prints a PDF's form fields as pyHanko reads them, as one JSON object:
{full name: {"type": "/Tx", "value": text or name, "readOnly": bool, "states": [widget /AS…]}}

usage: form_values.py FILE.pdf
"""
import json
import sys

from pyhanko.pdf_utils.generic import NameObject
from pyhanko.pdf_utils.reader import PdfFileReader


def text(v):
    if v is None:
        return None
    if isinstance(v, NameObject):
        return str(v)[1:]
    return str(v)


def walk(node, prefix, ft, ff, out):
    node = node.get_object()
    t = node.get("/T")
    name = prefix if t is None else (f"{prefix}.{t}" if prefix else str(t))
    ft = node.get("/FT", ft)
    ff = int(node.get("/Ff", ff))
    kids = node.get("/Kids")
    kids = kids.get_object() if kids is not None else None
    named = [k for k in (kids or []) if "/T" in k.get_object()]
    if named:
        for k in named:
            walk(k, name, ft, ff, out)
        return
    widgets = [k.get_object() for k in kids] if kids else [node]
    out[name] = {
        "type": str(ft),
        "value": text(node.get("/V")),
        "readOnly": bool(ff & 1),
        "states": [text(w.get("/AS")) for w in widgets],
    }


def main() -> None:
    with open(sys.argv[1], "rb") as f:
        reader = PdfFileReader(f, strict=False)
        out = {}
        form = reader.root.get("/AcroForm")
        if form is not None:
            fields = form.get_object().get("/Fields")
            for field in (fields.get_object() if fields is not None else []):
                walk(field, "", None, 0, out)
        print(json.dumps(out, ensure_ascii=False))


main()
