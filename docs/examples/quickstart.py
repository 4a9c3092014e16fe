"""Dojang API quick start in Python (requests): upload a PDF, create an envelope, send it.

    DOJANG_URL=http://127.0.0.1:3000 DOJANG_API_KEY=dj_test_… python3 quickstart.py contract.pdf

Prints the send response (the envelope and every signer's signUrl) as one JSON line.
The tests run this file against a live server (server/tests/api/spec.rs).
"""

import json
import os
import sys

import requests

BASE = os.environ["DOJANG_URL"].rstrip("/") + "/api/v1"
AUTH = {"Authorization": "Bearer " + os.environ["DOJANG_API_KEY"]}


def check(response):
    """The JSON body, or the API's error (code, message, fields) raised."""
    if response.status_code >= 400:
        raise SystemExit(f"{response.status_code}: {response.text}")
    return response.json()


def main(pdf):
    # 1. Upload a PDF.
    with open(pdf, "rb") as f:
        doc = check(requests.post(f"{BASE}/documents", headers=AUTH, files={"file": (os.path.basename(pdf), f, "application/pdf")}, timeout=60))
    # 2. Create an envelope: one signer and a signature field (positions are fractions of the page).
    envelope = check(requests.post(f"{BASE}/envelopes", headers=AUTH, timeout=30, json={
        "subject": "근로계약서",
        "documentIds": [doc["id"]],
        "recipients": [{"email": "minjun@example.com", "name": "김민준", "role": "SIGNER"}],
        "fields": [{"document": doc["id"], "page": 0, "x": 0.6, "y": 0.85, "width": 0.3, "height": 0.06,
                    "type": "signature", "recipient": "minjun@example.com"}],
        "externalId": "hr-2026-0001",
    }))
    # 3. Send it: the signer is emailed, and every signing link comes back (signUrl).
    sent = check(requests.post(f"{BASE}/envelopes/{envelope['id']}/send", headers=AUTH, timeout=30))
    print(json.dumps(sent, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "contract.pdf")
