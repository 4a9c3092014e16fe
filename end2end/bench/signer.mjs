// The signer page as a phone sees it (a benchmark, not a test; run by `scripts/bench.sh signer`
// against the release server). Chromium with 4× CPU throttling and DevTools' "Slow 4G"
// profile, a 390×844 touch viewport; a cold cache for every run.
//   bytes: everything transferred (as encoded on the wire, i.e. compressed) except page images
//   interactive: navigation start → the signer module has wired the page (the signer can act)
//   pad ready: navigation start → consent given and the signature pad open, drawable
// Each time is read twice: by the page's own clock (performance.now(), i.e. since the
// navigation started; stamped by the module) and by this script (Date.now() around
// Playwright's calls, which adds the harness's own polling and its throttled scripts).
// It starts `target/release/dojang` on a throwaway data folder, makes an organization and an
// API key with the admin CLI, sends a contract through the API, measures its signing link,
// prints a table and writes it to server/benches/results/signer.md.
import { chromium } from "@playwright/test";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const exe = join(root, "target/release/dojang");
const data = mkdtempSync(join(tmpdir(), "dojang-bench-signer-"));
const port = 3900 + Math.floor(Math.random() * 90);
const base = `http://127.0.0.1:${port}`;
const env = { ...process.env, DOJANG_BIND: `127.0.0.1:${port}`, DOJANG_DATA_DIR: data, DOJANG_LOG: "warn", DOJANG_SITE_ROOT: join(root, "target/site") };
const server = spawn(exe, [], { env, cwd: root, stdio: "inherit" });
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/readyz`)).ok) break; } catch {}
  if (i > 300) throw new Error("the server did not start");
  await new Promise((r) => setTimeout(r, 100));
}
// Let the background precompression of the web app's assets finish.
await new Promise((r) => setTimeout(r, 8000));
const cli = (...args) => JSON.parse(execFileSync(exe, args, { env }).toString());
cli("admin", "create-org", "--name", "Bench", "--email", "bench@example.com", "--password", "bench-password-long", "--json");
const { key } = cli("admin", "create-api-key", "--org", "Bench", "--mode", "live", "--json");
const api = async (method, path, body, headers = {}) => {
  const r = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `Bearer ${key}`, ...headers }, body });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
};
const form = new FormData();
form.append("file", new Blob([readFileSync(join(root, "server/tests/fixtures/pdf/basic__002-trivial-libre-office-writer.pdf"))], { type: "application/pdf" }), "근로계약서.pdf");
const doc = (await api("POST", "/documents", form)).id;
const env1 = await api("POST", "/envelopes", JSON.stringify({
  subject: "근로계약서", documentIds: [doc],
  recipients: [{ email: "signer@example.com", name: "김서명", role: "SIGNER" }],
  fields: [
    { document: doc, page: 0, x: 0.1, y: 0.7, width: 0.35, height: 0.07, type: "signature", recipient: "signer@example.com" },
    { document: doc, page: 0, x: 0.55, y: 0.7, width: 0.35, height: 0.04, type: "text", recipient: "signer@example.com" },
  ],
}), { "content-type": "application/json" });
const link = (await api("POST", `/envelopes/${env1.id}/send`)).recipients[0].signUrl;
const runs = Number(process.argv[2] ?? 5);
const SLOW_4G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1024 * 1024 * 0.9) / 8, uploadThroughput: (750 * 1024 * 0.9) / 8 };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
});

async function once(first) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 });
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  page.on("console", (m) => m.type() === "error" && console.error("console:", m.text()));
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", SLOW_4G);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
  const urls = new Map();
  let bytes = 0;
  const counted = [];
  // A waterfall of the run (seconds since the navigation's request), printed for the last run.
  const waterfall = new Map();
  let navAt = null;
  cdp.on("Network.requestWillBeSent", (e) => {
    urls.set(e.requestId, e.request.url);
    navAt ??= e.timestamp;
    waterfall.set(e.requestId, { url: e.request.url.replace(base, "").split("?")[0].slice(0, 40), start: e.timestamp - navAt });
  });
  cdp.on("Network.responseReceived", (e) => { const w = waterfall.get(e.requestId); if (w) w.response = e.timestamp - navAt; });
  cdp.on("Network.loadingFinished", (e) => { const w = waterfall.get(e.requestId); if (w) w.end = e.timestamp - navAt; });
  cdp.on("Network.loadingFinished", (e) => {
    const url = urls.get(e.requestId) ?? "";
    if (/\/pages\/\d+/.test(url)) return; // page images are not counted
    bytes += e.encodedDataLength;
    counted.push([url.replace(base, ""), e.encodedDataLength]);
  });
  const t0 = Date.now();
  await page.goto(link, { waitUntil: "commit" });
  await page.locator('html[data-hydrated="true"]').waitFor({ timeout: 120_000 });
  const interactive = Date.now() - t0;
  const interactiveInPage = Number(await page.locator("html").getAttribute("data-hydrated-at"));
  if (first) {
    await page.click('[data-testid="consent-agree"]');
    await page.locator('[data-testid="sign-signature-field"]').first().click();
  } else {
    // Consent is recorded once per signer; later runs open the pad straight away.
    await page.locator('[data-testid="sign-signature-field"]').first().click();
  }
  // The module marks the canvas once its pointer listeners are attached.
  await page.locator('[data-testid="pad-canvas"][data-ready="true"]').waitFor({ state: "visible", timeout: 60_000 });
  const pad = Date.now() - t0;
  const padInPage = Number(await page.locator('[data-testid="pad-canvas"]').getAttribute("data-ready-at"));
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0];
    return { responseEnd: Math.round(n.responseEnd), domInteractive: Math.round(n.domInteractive), domContentLoaded: Math.round(n.domContentLoadedEventEnd) };
  });
  await page.waitForLoadState("networkidle");
  await context.close();
  return { bytes, interactive, pad, interactiveInPage, padInPage, nav, counted, waterfall: [...waterfall.values()] };
}

const results = [];
try {
  for (let i = 0; i < runs; i++) results.push(await once(i === 0));
} finally {
  await browser.close();
  server.kill("SIGTERM");
}
rmSync(data, { recursive: true, force: true });
console.log("last run, page's clock (ms):", JSON.stringify({ ...results[results.length - 1].nav, moduleStarted: results[results.length - 1].interactiveInPage, padReady: results[results.length - 1].padInPage }));
const ms = (x) => (x === undefined ? "-" : `${Math.round(x * 1000)}`.padStart(5));
console.log("last run, ms after the navigation request: start / first byte / end");
for (const w of results[results.length - 1].waterfall) console.log(`${ms(w.start)} ${ms(w.response)} ${ms(w.end)}  ${w.url}`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bytes = median(results.map((r) => r.bytes));
const interactive = median(results.map((r) => r.interactive));
const pad = median(results.slice(1).map((r) => r.pad));
const interactiveInPage = median(results.map((r) => r.interactiveInPage));
const padInPage = median(results.slice(1).map((r) => r.padInPage));
const kb = (b) => (b / 1024).toFixed(0);
const files = results[results.length - 1].counted.sort((a, b) => b[1] - a[1]).slice(0, 8);
const cpu = cpus()[0]?.model ?? "unknown CPU";
const md = `# Signer page benchmark

Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${cpus().length} cores), release build, Chromium ${browser.version()}:
390×844 touch viewport, 4× CPU throttling, DevTools "Slow 4G" (562.5 ms latency, 1.44 Mbit/s down),
cold cache, median of ${runs} runs (pad ready: runs after the first, whose signer had consented).

| measure | page's clock | harness's clock | goal |
| --- | ---: | ---: | ---: |
| bytes transferred (compressed, without page images) | ${kb(bytes)} KB | | ≤ 250 KB |
| navigation → page interactive (module started) | ${interactiveInPage} ms | ${interactive} ms | |
| navigation → signature pad open and accepting input | ${padInPage} ms | ${pad} ms | < 1500 ms |
| first visit: navigation → consent given → pad open | ${results[0].padInPage} ms | ${results[0].pad} ms | |

Largest transfers (last run): ${files.map(([u, b]) => `\`${u.split("?")[0]}\` ${kb(b)} KB`).join(", ")}.
`;
console.log(md);
writeFileSync(join(root, "server/benches/results/signer.md"), md);
