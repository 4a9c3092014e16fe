// Dojang API quick start in Node (18 or later, built-in fetch): upload a PDF, create an
// envelope, send it.
//
//   DOJANG_URL=http://127.0.0.1:3000 DOJANG_API_KEY=dj_test_… node quickstart.mjs contract.pdf
//
// Prints the send response (the envelope and every signer's signUrl) as one JSON line.
// The tests run this file against a live server (server/tests/api/spec.rs).

import { readFile } from "node:fs/promises";
import { basename } from "node:path";

const base = process.env.DOJANG_URL.replace(/\/$/, "") + "/api/v1";
const auth = { Authorization: `Bearer ${process.env.DOJANG_API_KEY}` };

// The JSON body, or the API's error (code, message, fields) thrown.
async function check(response) {
  if (!response.ok) throw new Error(`${response.status}: ${await response.text()}`);
  return response.json();
}

const json = (body) => ({ headers: { ...auth, "Content-Type": "application/json" }, body: JSON.stringify(body) });

const pdf = process.argv[2] ?? "contract.pdf";
// 1. Upload a PDF.
const form = new FormData();
form.append("file", new Blob([await readFile(pdf)], { type: "application/pdf" }), basename(pdf));
const doc = await check(await fetch(`${base}/documents`, { method: "POST", headers: auth, body: form }));
// 2. Create an envelope: one signer and a signature field (positions are fractions of the page).
const envelope = await check(await fetch(`${base}/envelopes`, {
  method: "POST",
  ...json({
    subject: "근로계약서",
    documentIds: [doc.id],
    recipients: [{ email: "minjun@example.com", name: "김민준", role: "SIGNER" }],
    fields: [{ document: doc.id, page: 0, x: 0.6, y: 0.85, width: 0.3, height: 0.06, type: "signature", recipient: "minjun@example.com" }],
    externalId: "hr-2026-0001",
  }),
}));
// 3. Send it: the signer is emailed, and every signing link comes back (signUrl).
const sent = await check(await fetch(`${base}/envelopes/${envelope.id}/send`, { method: "POST", headers: auth }));
console.log(JSON.stringify(sent));
