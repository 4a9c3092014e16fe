import { expect, FrameLocator, Page, test, request as http } from "@playwright/test";
import { createServer, Server } from "node:http";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createDecipheriv, createHmac, hkdfSync } from "node:crypto";
import { tid } from "./ids";
import { dragWithMouse, fixture, prepareContract, signUp, sql } from "./helpers";

// The example host page (end2end/embed-host/index.html) served from another origin: a
// company's own site embedding Dojang.
const hostPage = readFileSync(resolve(__dirname, "../embed-host/index.html"));
function serveHost(): Promise<{ server: Server; origin: string }> {
  return new Promise((done) => {
    const server = createServer((_, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(hostPage);
    });
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      done({ server, origin: `http://localhost:${port}` });
    });
  });
}

let allowed: { server: Server; origin: string };
let stranger: { server: Server; origin: string };
test.beforeAll(async () => {
  allowed = await serveHost();
  stranger = await serveHost();
});
test.afterAll(() => {
  allowed.server.close();
  stranger.server.close();
});

/** An integrator: an organization with an API key, the host origin on its allowlist, a client user.
 * Set up from the integrator's own back office (a context of its own): the browser under test
 * is an end user's, not signed in to Dojang (a signed-in browser is never taken over). */
async function integrator(baseURL: string) {
  const request = await http.newContext({ baseURL });
  await signUp(request, "embed");
  const csrf = await (await request.post("/_fn/auth/csrf_token")).json();
  const made = await (await request.post("/_fn/api-keys/create", { form: { csrf, name: "host", mode: "live" } })).json();
  const api = (method: string, path: string, data?: unknown) =>
    request.fetch(`/api/v1${path}`, { method, headers: { authorization: `Bearer ${made.key}` }, data });
  expect((await api("PUT", "/embedding", { allowedOrigins: [allowed.origin] })).status()).toBe(200);
  const client = await (await api("POST", "/clients", { externalId: `u-${Date.now()}`, name: "정하늘", email: "haneul@example.com" })).json();
  const token = async () => (await (await api("POST", "/auth/client-token", { clientId: client.id })).json()).clientToken as string;
  return { api, token };
}

type Root = Page | FrameLocator;

/** Upload, one field for a new recipient, a name, save — inside whatever holds the editor. */
async function prepareInside(page: Page, root: Root, staysAfterSave = true) {
  await expect(root.locator("html")).toHaveAttribute("data-hydrated", "true");
  await root.locator(tid("fileInput")).setInputFiles(fixture("basic__002-trivial-libre-office-writer.pdf"));
  await expect(root.locator(tid("documentRow"))).toHaveCount(1, { timeout: 30_000 });
  await root.locator(tid("nextFields")).click();
  await root.locator(tid("recipientName")).fill("김민지");
  await root.locator(tid("recipientEmail")).fill("minji@example.com");
  await root.locator(tid("recipientAdd")).click();
  const pageBox = (await root.locator(tid("page")).first().boundingBox())!;
  const palette = root.locator(`${tid("paletteItem")}[data-kind="signature"]`);
  const from = (await palette.boundingBox())!;
  await dragWithMouse(page, { x: from.x + from.width / 2, y: from.y + from.height / 2 }, { x: pageBox.x + pageBox.width * 0.4, y: pageBox.y + pageBox.height * 0.3 });
  await expect(root.locator(tid("field"))).toHaveCount(1);
  await expect(root.locator(tid("saveStatus"))).toHaveAttribute("data-state", "saved", { timeout: 15_000 });
  await root.locator(tid("nextFinish")).click();
  await root.locator(tid("contractName")).fill("입사 계약서 (임베드)");
  await root.locator(tid("saveContract")).click();
  if (staysAfterSave) await expect(root.locator(tid("embedSaved"))).toBeVisible();
}

const events = (page: Page) => page.evaluate(() => (window as unknown as { dojangEvents?: { type: string; data: Record<string, unknown> }[] }).dojangEvents ?? []);

async function eventOf(page: Page, type: string) {
  await expect.poll(async () => (await events(page)).map((e) => e.type), { timeout: 15_000 }).toContain(type);
  return (await events(page)).find((e) => e.type === type)!;
}

test("in an iframe on an allowed site: upload, place a field, name, save; the host hears contract.saved", async ({ page, baseURL }) => {
  const i = await integrator(baseURL!);
  await page.goto(`${allowed.origin}/?dojang=${encodeURIComponent(baseURL!)}&token=${await i.token()}&auto=iframe`);
  const frame = page.frameLocator("#dojang iframe");
  await expect(frame.locator(tid("contractPage"))).toBeVisible();
  await expect(frame.locator(tid("currentUser"))).toHaveCount(0);
  await eventOf(page, "contract.loaded");
  await prepareInside(page, frame);
  const saved = await eventOf(page, "contract.saved");
  expect(saved.data.contractId).toMatch(/^[0-9a-f]{32}$/);
  // The token left the iframe's address; the contract is the client user's.
  const src = page.frames().find((f) => f.url().startsWith(baseURL!))!.url();
  expect(src).not.toContain("token=");
  const got = await i.api("GET", `/envelopes/${saved.data.contractId}`);
  expect((await got.json()).subject).toBe("입사 계약서 (임베드)");
  // Close tells the host too.
  await frame.locator(tid("embedClose")).click();
  await eventOf(page, "contract.closed");
});

/** What the editor shows of a saved contract: where it opens, where its field sits on the
 * page (fractions) and its name — the same whether framed or not. */
async function shown(root: Root) {
  await expect(root.locator("html")).toHaveAttribute("data-hydrated", "true");
  // A saved contract with its documents opens on the fields.
  await expect(root.locator(tid("field"))).toHaveCount(1, { timeout: 30_000 });
  const page = (await root.locator(tid("page")).first().boundingBox())!;
  const field = (await root.locator(tid("field")).first().boundingBox())!;
  const pages = await root.locator(tid("page")).count();
  await root.locator(tid("nextFinish")).click();
  const name = await root.locator(tid("contractName")).inputValue();
  return { pages, x: (field.x - page.x) / page.width, y: (field.y - page.y) / page.height, w: field.width / page.width, name };
}

test("a saved contract reopens in the iframe exactly as outside, and drafts are deleted from the embedded list and the dashboard", async ({ page, browser, baseURL }) => {
  const i = await integrator(baseURL!);
  await page.goto(`${allowed.origin}/?dojang=${encodeURIComponent(baseURL!)}&token=${await i.token()}&auto=iframe`);
  const first = page.frameLocator("#dojang iframe");
  await prepareInside(page, first);
  const id = (await eventOf(page, "contract.saved")).data.contractId as string;

  // Reopened in a new iframe (contractId), and outside any frame with the same kind of link.
  const reopened = await browser.newPage();
  await reopened.goto(`${allowed.origin}/?dojang=${encodeURIComponent(baseURL!)}&token=${await i.token()}&contractId=${id}&auto=iframe`);
  const framed = await shown(reopened.frameLocator("#dojang iframe"));
  const outside = await browser.newPage();
  await outside.goto(`${baseURL}/contract/upload?token=${await i.token()}&contractId=${id}`);
  const direct = await shown(outside);
  expect(framed.name).toBe("입사 계약서 (임베드)");
  expect(framed.pages).toBe(1);
  expect(direct.name).toBe(framed.name);
  expect(direct.pages).toBe(framed.pages);
  expect(Math.abs(direct.w - framed.w)).toBeLessThan(0.01);
  expect(Math.abs(direct.x - framed.x)).toBeLessThan(0.01);
  expect(Math.abs(direct.y - framed.y)).toBeLessThan(0.01);
  expect(Math.abs(framed.x + framed.w / 2 - 0.4)).toBeLessThan(0.05); // where it was dropped

  // The embedded list (framed by the allowed site): open it, delete the draft.
  const list = await browser.newPage();
  await list.goto(`${allowed.origin}/`);
  await list.evaluate(([src]) => {
    const f = document.createElement("iframe");
    f.id = "list";
    f.src = src;
    f.style.width = "900px";
    f.style.height = "700px";
    document.body.appendChild(f);
  }, [`${baseURL}/contract/list?token=${await i.token()}&origin=${encodeURIComponent(allowed.origin)}`]);
  const frame = list.frameLocator("#list");
  await expect(frame.locator("html")).toHaveAttribute("data-hydrated", "true");
  const row = frame.locator(`${tid("contractRow")}[data-contract-id="${id}"]`);
  await expect(row).toBeVisible();
  await expect(row.locator("a").first()).toHaveAttribute("href", new RegExp(`/contract/upload\\?contractId=${id}&embed=1`));
  await expect(row.locator(tid("contractDetails"))).toHaveCount(0);
  await row.locator(tid("contractDelete")).click();
  await row.locator(tid("contractDeleteYes")).click();
  await expect(row).toHaveCount(0);
  expect((await i.api("GET", `/envelopes/${id}`)).status()).toBe(404);

  // Outside an embed session the list is never shown.
  const bare = await browser.newPage();
  await bare.goto(`${baseURL}/contract/list`);
  await expect(bare.locator(tid("embedExpired"))).toBeVisible();

  // The dashboard: a signed-in sender deletes a draft; a sent contract has no delete.
  await signUp(page.request, "delete");
  const draft = await prepareContract(page.request, [{ name: "김민준", email: "minjun@example.com", order: 1 }], [{ kind: "signature", x: 0.1, y: 0.1, w: 0.3, h: 0.05, signer: 0 }]);
  const sent = await prepareContract(page.request, [{ name: "이서연", email: "seoyeon@example.com", order: 1 }], [{ kind: "signature", x: 0.1, y: 0.1, w: 0.3, h: 0.05, signer: 0 }]);
  const r = await page.request.post("/_fn/envelopes/send", { data: { csrf: sent.csrf, id: sent.envelope, request: {} } });
  expect(r.status(), await r.text()).toBe(200);
  await page.goto(`${baseURL}/dashboard`);
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  await expect(page.locator(`${tid("contractRow")}[data-contract-id="${sent.envelope}"] ${tid("contractDelete")}`)).toHaveCount(0);
  const mine = page.locator(`${tid("contractRow")}[data-contract-id="${draft.envelope}"]`);
  await mine.locator(tid("contractDelete")).click();
  await mine.locator(tid("contractDeleteYes")).click();
  await expect(mine).toHaveCount(0);
  await page.reload();
  await expect(page.locator(`${tid("contractRow")}[data-contract-id="${sent.envelope}"]`)).toBeVisible();
  await expect(page.locator(`${tid("contractRow")}[data-contract-id="${draft.envelope}"]`)).toHaveCount(0);
});

test("in a popup: the same, the opener hears contract.saved, and the popup goes where it was told", async ({ page, baseURL }) => {
  const i = await integrator(baseURL!);
  const done = `${allowed.origin}/done`;
  await page.goto(`${allowed.origin}/?dojang=${encodeURIComponent(baseURL!)}&token=${await i.token()}&returnUrl=${encodeURIComponent(done)}`);
  await expect.poll(() => page.evaluate(() => typeof (window as unknown as { Dojang?: unknown }).Dojang)).toBe("object");
  const [popup] = await Promise.all([page.waitForEvent("popup"), page.click("#open-popup")]);
  await expect(popup.locator(tid("contractPage"))).toBeVisible();
  expect(popup.url()).not.toContain("token=");
  await prepareInside(popup, popup, false);
  const saved = await eventOf(page, "contract.saved");
  expect(saved.data.contractId).toMatch(/^[0-9a-f]{32}$/);
  await expect(popup).toHaveURL(done);
});

test("a site not on the allowlist cannot frame Dojang", async ({ page, baseURL }) => {
  const i = await integrator(baseURL!);
  await page.goto(`${stranger.origin}/`);
  const editor = page.waitForResponse((r) => r.url().includes("/contract/upload?embed=1"));
  await page.evaluate(([src]) => {
    const f = document.createElement("iframe");
    f.id = "raw";
    f.src = src;
    document.body.appendChild(f);
  }, [`${baseURL}/contract/upload?token=${await i.token()}`]);
  const res = await editor;
  expect(res.headers()["content-security-policy"]).toContain(`frame-ancestors 'self' ${allowed.origin}`);
  await page.waitForTimeout(1000);
  await expect(page.frameLocator("#raw").locator(tid("contractPage"))).toHaveCount(0);
  // Through the snippet (naming its origin) it gets the not-allowed page instead.
  await page.goto(`${stranger.origin}/?dojang=${encodeURIComponent(baseURL!)}&token=${await i.token()}&auto=iframe`);
  await expect(page.frameLocator("#dojang iframe").locator('[data-testid="embed-error"]')).toHaveAttribute("data-code", "ORIGIN_NOT_ALLOWED");
});

/** The same client token with its expiry moved into the past, signed with Dojang's token key. */
function expire(token: string): string {
  const b64 = (s: string) => Buffer.from(s, "base64url");
  const [h, c] = token.split(".");
  const header = JSON.parse(b64(h).toString());
  const claims = JSON.parse(b64(c).toString());
  const [[stored]] = sql("SELECT secret FROM api_token_keys WHERE id = ?", [header.kid]) as [[string]];
  const blob = Buffer.from(stored.slice(3), "base64");
  const key = Buffer.from(hkdfSync("sha256", "dojang-development-secret-key-not-for-production-use", "dojang", "seal-private-key-v1", 32));
  const d = createDecipheriv("aes-256-gcm", key, blob.subarray(0, 12));
  d.setAuthTag(blob.subarray(blob.length - 16));
  const raw = Buffer.concat([d.update(blob.subarray(12, blob.length - 16)), d.final()]);
  const now = Math.floor(Date.now() / 1000);
  const body = Buffer.from(JSON.stringify({ ...claims, iat: now - 7200, exp: now - 3600 })).toString("base64url");
  const sig = createHmac("sha256", raw).update(`${h}.${body}`).digest("base64url");
  return `${h}.${body}.${sig}`;
}

test("a forged and an expired token each get their clear page, and the host an error event", async ({ page, baseURL }) => {
  const i = await integrator(baseURL!);
  const good = await i.token();
  const forged = good.slice(0, -2) + (good.endsWith("AA") ? "BB" : "AA");
  for (const [token, code] of [[forged, "TOKEN_INVALID"], [expire(good), "TOKEN_EXPIRED"]]) {
    await page.goto(`${allowed.origin}/?dojang=${encodeURIComponent(baseURL!)}&token=${token}&auto=iframe`);
    const frame = page.frameLocator("#dojang iframe");
    await expect(frame.locator('[data-testid="embed-error"]')).toHaveAttribute("data-code", code);
    await expect(frame.locator('input[type="password"]')).toHaveCount(0);
    const err = await eventOf(page, "error");
    expect(err.data.code).toBe(code);
  }
});

/** A sent envelope of one signer with one text field; returns the signing link. */
async function signingLink(page: Page, i: Awaited<ReturnType<typeof integrator>>) {
  const up = await page.request.post("/api/v1/documents", {
    headers: { authorization: `Bearer ${await i.token()}` },
    multipart: { file: { name: "계약서.pdf", mimeType: "application/pdf", buffer: readFileSync(fixture("basic__002-trivial-libre-office-writer.pdf")) } },
  });
  const doc = (await up.json()).id;
  const created = await i.api("POST", "/envelopes", {
    subject: "임베드 서명", documentIds: [doc],
    recipients: [{ email: "signer@example.com", name: "오서명", role: "SIGNER", order: 1 }],
    fields: [{ document: doc, page: 0, x: 0.1, y: 0.5, width: 0.4, height: 0.05, type: "text", recipient: "signer@example.com" }],
  });
  const envelope = (await created.json()).id;
  const sent = await (await i.api("POST", `/envelopes/${envelope}/send`)).json();
  return sent.recipients[0].signUrl as string;
}

test("a signing link in an iframe: the signer signs and the host hears signing.completed", async ({ page, baseURL }) => {
  const i = await integrator(baseURL!);
  const link = await signingLink(page, i);
  await page.goto(`${allowed.origin}/?dojang=${encodeURIComponent(baseURL!)}&sign=${encodeURIComponent(link)}&auto=iframe`);
  const frame = page.frameLocator("#dojang iframe");
  await expect(frame.locator("html")).toHaveAttribute("data-hydrated", "true");
  await eventOf(page, "signing.loaded");
  await frame.locator(tid("consentAgree")).click();
  await frame.locator(`${tid("signField")}[data-kind="text"] input`).fill("동의합니다");
  await frame.locator(tid("signFinish")).click();
  await expect(frame.locator(tid("signState"))).toHaveAttribute("data-state", "Signed");
  const done = await eventOf(page, "signing.completed");
  expect(done.data.state).toBe("signed");
});

test("a signing link in an iframe: the signer declines and the host hears signing.declined", async ({ page, baseURL }) => {
  const i = await integrator(baseURL!);
  const link = await signingLink(page, i);
  await page.goto(`${allowed.origin}/?dojang=${encodeURIComponent(baseURL!)}&sign=${encodeURIComponent(link)}&auto=iframe`);
  const frame = page.frameLocator("#dojang iframe");
  await expect(frame.locator("html")).toHaveAttribute("data-hydrated", "true");
  await frame.locator(tid("consentAgree")).click();
  await frame.locator(tid("signDecline")).click();
  await frame.locator(tid("declineReason")).fill("금액이 다릅니다");
  await frame.locator(tid("declineSubmit")).click();
  await expect(frame.locator(tid("signState"))).toHaveAttribute("data-state", "Declined");
  const declined = await eventOf(page, "signing.declined");
  expect(declined.data.reason).toBe("금액이 다릅니다");
});

test("in an iframe: a new template prepared and saved, the host hears template.saved, then it reopens by its id", async ({ page, baseURL }) => {
  const i = await integrator(baseURL!);
  await page.goto(`${allowed.origin}/?dojang=${encodeURIComponent(baseURL!)}&token=${await i.token()}&template=1&auto=iframe`);
  const frame = page.frameLocator("#dojang iframe");
  await expect(frame.locator(tid("contractPage"))).toBeVisible();
  await prepareInside(page, frame);
  const saved = await eventOf(page, "template.saved");
  const template = saved.data.templateId as string;
  expect(template).toMatch(/^[0-9a-f]{32}$/);
  // The client's template, its recipient a role; the working draft is gone.
  const got = await (await i.api("GET", `/templates/${template}`)).json();
  expect([got.name, got.roles.map((r: { name: string }) => r.name), got.fields.length]).toEqual(["입사 계약서 (임베드)", ["김민지"], 1]);
  expect(sql("SELECT COUNT(*) FROM envelopes e JOIN templates t ON t.organization_id = e.organization_id WHERE t.id = ?", [template])).toEqual([[0]]);

  // Reopened by id: the template editor, no documents step and no emails.
  await page.goto(`${allowed.origin}/?dojang=${encodeURIComponent(baseURL!)}&token=${await i.token()}&template=1&templateId=${template}&auto=iframe`);
  const again = page.frameLocator("#dojang iframe");
  await expect(again.locator(tid("field"))).toHaveCount(1, { timeout: 30_000 });
  await expect(again.locator('[data-testid="step-documents"]')).toHaveCount(0);
  await expect(again.locator(tid("recipientEmail"))).toHaveCount(0);
  await eventOf(page, "template.loaded");
});
