import { expect, Page, APIRequestContext } from "@playwright/test";
import { resolve } from "node:path";

/** Waits until the wasm has hydrated the page (the app sets this attribute from an Effect). */
export async function hydrated(page: Page) {
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
}

/** A unique email and organization per test run, so tests never collide. */
export function uniqueAccount(prefix = "e2e") {
  const n = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return {
    org: `${prefix} 조직 ${n}`,
    name: `김도장 ${n}`,
    email: `${prefix}-${n}@example.com`,
    password: `pass-${n}-long enough`,
  };
}

/** Signs up through the app's own server functions (cookies land in the page's context). */
export async function signUp(request: APIRequestContext, prefix = "e2e") {
  const acct = uniqueAccount(prefix);
  const csrf = await (await request.post("/_fn/auth/csrf_token")).json();
  const r = await request.post("/_fn/auth/sign_up", {
    form: { csrf, org_name: acct.org, name: acct.name, email: acct.email, password: acct.password },
    maxRedirects: 0,
  });
  expect(r.status()).toBeLessThan(400);
  return acct;
}

export const fixture = (name: string) => resolve(__dirname, "../../server/tests/fixtures/pdf", name);

type Point = { x: number; y: number };

export async function dragWithMouse(page: Page, from: Point, to: Point) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 8 });
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}

/** A finger drag, as Chromium sees one from a touch screen (Pointer Events of type touch). */
export async function dragWithTouch(page: Page, from: Point, to: Point) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [{ x: from.x, y: from.y }] });
  const steps = 12;
  for (let i = 1; i <= steps; i++) {
    const x = from.x + ((to.x - from.x) * i) / steps;
    const y = from.y + ((to.y - from.y) * i) / steps;
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [{ x, y }] });
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

export async function center(page: Page, selector: string): Promise<Point> {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";

/** Runs SQL against the test server's SQLite database (for facts no page shows). */
export function sql(query: string, params: (string | number)[] = []): unknown[][] {
  const db = `${process.env.E2E_DATA_DIR}/dojang.db`;
  const script = "import json,sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(json.dumps(c.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall())); c.commit()";
  return JSON.parse(execFileSync("python3", ["-c", script, db, query, JSON.stringify(params)]).toString());
}

/** A signing link made the way Dojang makes them (for a recipient not emailed yet). */
export function mintLink(baseURL: string, envelope: string, recipient: string): string {
  const token = randomBytes(32).toString("base64url");
  const hash = createHash("sha256").update(token).digest("hex");
  sql("INSERT INTO signing_links (token_hash, recipient_id, envelope_id, created_at, updated_at) VALUES (?, ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')", [hash, recipient, envelope]);
  return `${baseURL}/sign/${token}`;
}

export type FieldSpec = { kind: string; page?: number; x: number; y: number; w: number; h: number; signer: number; required?: boolean; options?: string[] };

/** A contract prepared through the app's own endpoints: one PDF, recipients, fields. */
export async function prepareContract(
  request: APIRequestContext,
  signers: { name: string; email: string; order: number }[],
  fields: FieldSpec[],
  pdf = "basic__002-trivial-libre-office-writer.pdf",
) {
  const csrf = await (await request.post("/_fn/auth/csrf_token")).json();
  const up = await (
    await request.post("/_app/documents", {
      headers: { "x-csrf-token": csrf },
      multipart: { file: { name: "근로계약서.pdf", mimeType: "application/pdf", buffer: readFileSync(fixture(pdf)) } },
    })
  ).json();
  const id = () => randomBytes(16).toString("hex");
  const recipients = signers.map((s) => ({ id: id(), name: s.name, email: s.email, role: "signer", order: s.order }));
  const body = {
    csrf,
    id: up.contractId,
    version: 1,
    recipients,
    fields: fields.map((f) => ({
      id: id(), recipient_id: recipients[f.signer].id, document_id: up.document.id, page: f.page ?? 0,
      rect: { x: f.x, y: f.y, width: f.w, height: f.h }, kind: f.kind, required: f.required ?? true, options: f.options ?? [],
    })),
  };
  const r = await request.post("/_fn/contracts/save", { data: body });
  expect(r.status(), await r.text()).toBe(200);
  return { envelope: up.contractId as string, document: up.document.id as string, recipients: recipients.map((r) => r.id), csrf };
}

/** A finger stroke across the pad's canvas (zig-zag), through Chrome's touch input. */
export async function drawWithTouch(page: Page) {
  const b = (await page.locator('[data-testid="pad-canvas"]').boundingBox())!;
  const pts = Array.from({ length: 16 }, (_, i) => ({ x: b.x + b.width * (0.1 + i * 0.05), y: b.y + b.height * (i % 2 ? 0.7 : 0.3) }));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [pts[0]] });
  for (const p of pts.slice(1)) await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [p] });
  // The finger comes to rest before it lifts (lifted at full speed, Chrome takes the stroke
  // for a fling and the next tap for stopping it, which clicks nothing).
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 40));
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [pts[pts.length - 1]] });
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}
