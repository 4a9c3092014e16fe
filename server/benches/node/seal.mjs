// The sealing benchmark's Node side (run by server/benches/seal.rs; not a test).
// Does what Dojang's seal does, with the stack open-source peers use: pdf-lib stamps the
// fields (Korean text in an embedded, subsetted NanumGothic; drawn signatures as line
// segments whose width follows pressure; checkmarks), appends audit-trail pages, and
// @signpdf signs the file (PKCS#7 detached, RSA-2048 via node-forge).
// Usage: node seal.mjs spec.json  → prints {"medianMs": …, "runs": [...], "versions": "…"}
import { readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { PDFDocument, rgb } from 'pdf-lib';
import fontkit from '@pdf-lib/fontkit';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { P12Signer } from '@signpdf/signer-p12';
import signpdfModule from '@signpdf/signpdf';
import forge from 'node-forge';

const require = createRequire(import.meta.url);
const signpdf = signpdfModule.default ?? signpdfModule;
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const input = readFileSync(spec.input);
const fontBytes = readFileSync(spec.font);

// A self-signed RSA certificate in a PKCS#12, made before timing starts.
function makeP12() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }));
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }));
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 365 * 86400e3);
  const attrs = [{ name: 'commonName', value: 'Bench Seal' }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(key, forge.md.sha256.create());
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], '', { algorithm: '3des' });
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
}

// Line segments of a drawing inside box (x, y bottom-left, w, h), width from pressure.
function drawStrokes(page, strokes, x, y, w, h) {
  for (const s of strokes) {
    for (let i = 1; i < s.points.length; i++) {
      const a = s.points[i - 1], b = s.points[i];
      const p = b.p ?? 0.5;
      page.drawLine({
        start: { x: x + a.x * w, y: y + (1 - a.y) * h },
        end: { x: x + b.x * w, y: y + (1 - b.y) * h },
        thickness: 0.6 + 1.8 * p,
        color: rgb(0.05, 0.1, 0.35),
      });
    }
  }
}

async function seal(p12) {
  const doc = await PDFDocument.load(input);
  doc.registerFontkit(fontkit);
  const font = await doc.embedFont(fontBytes, { subset: true });
  const pages = doc.getPages();
  for (const f of spec.fields) {
    const page = pages[f.page];
    const box = page.getCropBox();
    const w = f.w * box.width, h = f.h * box.height;
    const x = box.x + f.x * box.width, y = box.y + (1 - f.y - f.h) * box.height;
    if (f.kind === 'text') {
      let size = h * 0.7;
      while (size > 4 && font.widthOfTextAtSize(f.text, size) > w) size -= 0.5;
      page.drawText(f.text, { x, y: y + h * 0.25, size, font, color: rgb(0, 0, 0) });
    } else if (f.kind === 'ink') {
      drawStrokes(page, f.strokes, x, y, w, h);
    } else {
      page.drawLine({ start: { x: x + w * 0.2, y: y + h * 0.5 }, end: { x: x + w * 0.4, y: y + h * 0.2 }, thickness: 1.5 });
      page.drawLine({ start: { x: x + w * 0.4, y: y + h * 0.2 }, end: { x: x + w * 0.8, y: y + h * 0.8 }, thickness: 1.5 });
    }
  }
  // Audit trail: A4 pages with the recipients (and their signatures) and the event log.
  let page = doc.addPage([595.28, 841.89]);
  let y = 790;
  const line = (text, size = 8) => {
    if (y < 60) { page = doc.addPage([595.28, 841.89]); y = 790; }
    page.drawText(text, { x: 48, y, size, font });
    y -= size + 4;
  };
  line(spec.trail.title, 16);
  for (const r of spec.trail.recipients) {
    line(`${r.name} <${r.email}>`, 10);
    if (y < 120) { page = doc.addPage([595.28, 841.89]); y = 790; }
    drawStrokes(page, r.strokes, 48, y - 50, 150, 50);
    y -= 60;
  }
  for (const l of spec.trail.lines) line(l, 7);
  pdflibAddPlaceholder({ pdfDoc: doc, reason: 'Sealed', contactInfo: 'bench@example.com', name: 'Bench', location: 'Bench' });
  const withPlaceholder = Buffer.from(await doc.save({ useObjectStreams: false }));
  // A signer reads its PKCS#12 once (node-forge consumes the buffer), so one per seal.
  return signpdf.sign(withPlaceholder, new P12Signer(p12));
}

const p12 = makeP12();
const runs = [];
let out;
for (let i = 0; i < (spec.runs ?? 5); i++) {
  const t = performance.now();
  out = await seal(p12);
  runs.push(performance.now() - t);
}
writeFileSync(spec.output, out);
const sorted = [...runs].sort((a, b) => a - b);
const v = (name) => require(`${name}/package.json`).version;
const versions = `${process.version}, pdf-lib ${v('pdf-lib')}, @signpdf/signpdf ${v('@signpdf/signpdf')}`;
console.log(JSON.stringify({ medianMs: sorted[Math.floor(sorted.length / 2)], runs, versions }));
