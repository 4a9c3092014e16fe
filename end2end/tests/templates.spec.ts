import { expect, request as http, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { tid } from "./ids";
import { center, dragWithMouse, drawWithTouch, fixture, hydrated, prepareContract, signUp, sql } from "./helpers";
import { waitForMail } from "./mail";

/** An organization with a live API key, through the app's own endpoints. */
async function integrator(baseURL: string) {
  const request = await http.newContext({ baseURL });
  await signUp(request, "tpl");
  const csrf = await (await request.post("/_fn/auth/csrf_token")).json();
  const made = await (await request.post("/_fn/api-keys/create", { form: { csrf, name: "templates", mode: "live" } })).json();
  const api = async (method: string, path: string, data?: unknown) => {
    const r = await request.fetch(`/api/v1${path}`, { method, headers: { authorization: `Bearer ${made.key}` }, data });
    return { status: r.status(), body: await r.json() };
  };
  const upload = async () => {
    const r = await request.post("/api/v1/documents", {
      headers: { authorization: `Bearer ${made.key}` },
      multipart: { file: { name: "근로계약서.pdf", mimeType: "application/pdf", buffer: readFileSync(fixture("basic__002-trivial-libre-office-writer.pdf")) } },
    });
    return (await r.json()).id as string;
  };
  return { api, upload };
}

test("an envelope from a template shows its prefilled values on a phone, keeps the read-only one, and records what the signer chose", async ({ browser, baseURL }) => {
  const i = await integrator(baseURL!);
  const doc = await i.upload();
  const f = (type: string, y: number, extra: object) => ({ document: doc, page: 0, x: 0.1, y, width: 0.5, height: 0.05, type, role: "근로자", ...extra });
  const t = await i.api("POST", "/templates", {
    name: "근로계약서",
    documentIds: [doc],
    roles: [{ name: "근로자" }],
    fields: [
      f("signature", 0.1, {}),
      f("text", 0.3, { name: "address", required: false }),
      f("checkbox", 0.45, { name: "agree", required: false }),
      f("select", 0.6, { name: "plan", options: ["기본", "프리미엄"] }),
    ],
  });
  expect(t.status, JSON.stringify(t.body)).toBe(201);
  const email = `tpl-${Date.now().toString(36)}@example.com`;
  const e = await i.api("POST", `/templates/${t.body.id}/envelopes`, {
    recipients: [{ role: "근로자", email, name: "김근로" }],
    values: { address: { value: "서울시 강남구 테헤란로 1", readOnly: true }, agree: "true", plan: "프리미엄" },
  });
  expect(e.status, JSON.stringify(e.body)).toBe(201);
  const sent = await i.api("POST", `/envelopes/${e.body.id}/send`);
  expect(sent.status).toBe(200);
  const link = sent.body.recipients[0].signUrl as string;

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 });
  const s = await phone.newPage();
  await s.goto(link);
  await hydrated(s);
  await s.locator(tid("consentAgree")).tap();
  const field = (kind: string) => s.locator(`${tid("signField")}[data-kind="${kind}"]`);
  await expect(field("text").locator("input")).toHaveValue("서울시 강남구 테헤란로 1");
  await expect(field("text").locator("input")).toHaveAttribute("readonly", "");
  await expect(field("checkbox").locator("input")).toBeChecked();
  await expect(field("select").locator("select")).toHaveValue("프리미엄");
  // The signer changes their mind about the plan; the read-only address cannot be typed over.
  await field("select").locator("select").selectOption("기본");
  await expect(field("text").locator("input")).not.toBeEditable();
  await s.locator(tid("signSignatureField")).first().tap();
  await drawWithTouch(s);
  await s.locator(tid("padAdopt")).tap();
  await s.locator(tid("signFinish")).tap();
  await expect(s.locator(tid("signState"))).toHaveAttribute("data-state", "Signed");
  await phone.close();

  const values = Object.fromEntries(
    sql("SELECT f.name, v.value FROM field_values v JOIN fields f ON f.id = v.field_id WHERE v.envelope_id = ? AND f.name IS NOT NULL", [e.body.id]) as [string, string][],
  );
  expect(values).toEqual({ address: "서울시 강남구 테헤란로 1", agree: "true", plan: "기본" });
});

/** A point at fractions (fx, fy) of the first page. */
async function onFirstPage(page: import("@playwright/test").Page, fx: number, fy: number) {
  const p = page.locator(tid("page")).first();
  await p.scrollIntoViewIfNeeded();
  const b = (await p.boundingBox())!;
  return { x: b.x + b.width * fx, y: b.y + b.height * fy };
}

/** Drags a field of `kind` to (fx, fy) of the first page (scrolled into view before the
 * palette item's place is read); a text field gets `name`. Waits until the editor saved. */
async function placeField(page: import("@playwright/test").Page, kind: string, fx: number, fy: number, name?: string) {
  const to = await onFirstPage(page, fx, fy);
  await dragWithMouse(page, await center(page, `${tid("paletteItem")}[data-kind="${kind}"]`), to);
  const placed = page.locator(`${tid("field")}[data-kind="${kind}"]`);
  await expect(placed).toHaveCount(1);
  if (name) {
    await placed.click();
    await page.fill(tid("propName"), name);
    await page.locator(tid("propName")).press("Tab");
  }
  await expect(page.locator(tid("saveStatus"))).toHaveAttribute("data-state", "saved", { timeout: 15_000 });
}

test("a contract prepared in the editor is saved as a template, and a contract made from it is sent", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await signUp(page.request, "tpl-editor");
  await page.goto("/contract/upload");
  await hydrated(page);
  await page.setInputFiles(tid("fileInput"), fixture("basic__002-trivial-libre-office-writer.pdf"));
  await expect(page.locator(tid("documentRow"))).toHaveCount(1, { timeout: 30_000 });
  await page.click(tid("nextFields"));
  await page.fill(tid("recipientName"), "근로자");
  await page.fill(tid("recipientEmail"), "placeholder@example.com");
  await page.click(tid("recipientAdd"));
  await expect(page.locator(tid("recipientRow"))).toHaveCount(1);
  await placeField(page, "signature", 0.3, 0.7);
  await placeField(page, "text", 0.5, 0.5, "주소");
  await page.click(tid("nextFinish"));
  await page.fill(tid("contractName"), "근로계약서 양식");
  await page.click(tid("saveTemplate"));
  await expect(page).toHaveURL(/\/templates$/);

  const row = page.locator(tid("templateRow")).filter({ hasText: "근로계약서 양식" });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("근로자");
  await expect(row).toContainText("주소");
  await row.locator(tid("templateNewContract")).click();
  const email = `tpl-editor-${Date.now().toString(36)}@example.com`;
  await row.locator(tid("templateRoleName")).fill("김근로");
  await row.locator(tid("templateRoleEmail")).fill(email);
  await row.locator(tid("templateCreate")).click();
  await expect(page).toHaveURL(/\/contracts\/[0-9a-f]{32}$/);
  await hydrated(page);
  await expect(page.locator(tid("envelopeName"))).toHaveText("근로계약서 양식");
  await page.click(tid("sendSubmit"));
  await expect(page.locator(tid("envelopeStatus"))).toHaveAttribute("data-status", "sent");
  const [invite] = await waitForMail(email);
  expect(invite.subject).toContain("근로계약서 양식");
  const envelope = page.url().split("/").pop()!;
  const fields = sql("SELECT f.kind, f.name FROM fields f JOIN recipients r ON r.id = f.recipient_id WHERE f.envelope_id = ? AND r.email = ? ORDER BY f.kind", [envelope, email]);
  expect(fields).toEqual([["signature", null], ["text", "주소"]]);
  expect(errors).toEqual([]);
});

test("a 20-row bulk send with one broken row: the row is marked, the other 19 are sent and followed to the end", async ({ page }) => {
  await signUp(page.request, "tpl-bulk");
  const c = await prepareContract(page.request, [{ name: "근로자", email: "worker@example.com", order: 1 }], [
    { kind: "signature", signer: 0, x: 0.1, y: 0.7, w: 0.3, h: 0.07 },
  ]);
  const made = await page.request.post("/_fn/templates/from_draft", { data: { csrf: c.csrf, envelope_id: c.envelope, name: "대량 근로계약서" } });
  expect(made.status(), await made.text()).toBe(200);
  const template = (await made.json()) as string;

  await page.goto("/templates");
  await hydrated(page);
  await page.locator(tid("templateRow")).filter({ hasText: "대량 근로계약서" }).locator(tid("templateBulk")).click();
  await expect(page).toHaveURL(new RegExp(`/templates/${template}/bulk$`));
  await hydrated(page);
  const tag = Date.now().toString(36);
  const lines = ["근로자.name,근로자.email"];
  for (let i = 0; i < 20; i++) lines.push(i === 7 ? `근로자 ${i},not-an-email` : `근로자 ${i},bulk-${tag}-${i}@example.com`);
  await page.setInputFiles(tid("bulkFile"), { name: "명단.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n") + "\n") });
  const summary = page.locator(tid("bulkSummary"));
  await expect(summary).toHaveAttribute("data-ok", "19");
  await expect(summary).toHaveAttribute("data-total", "20");
  await expect(page.locator(tid("bulkRow"))).toHaveCount(20);
  const broken = page.locator(`${tid("bulkRow")}[data-invalid="true"]`);
  await expect(broken).toHaveCount(1);
  await expect(broken).toHaveAttribute("data-index", "7");
  await expect(broken).toContainText("근로자.email");
  await page.click(tid("bulkSend"));

  await expect(page).toHaveURL(/\/batches\/[0-9a-f]{32}$/);
  await hydrated(page);
  await expect(page.locator(tid("batchStatus"))).toHaveAttribute("data-status", "done", { timeout: 60_000 });
  await expect(page.locator(tid("batchProgress"))).toHaveAttribute("data-finished", "19");
  await expect(page.locator(tid("batchProgress"))).toHaveAttribute("data-total", "19");
  await expect(page.locator(`${tid("batchRow")}[data-status="sent"]`)).toHaveCount(19);
  await expect(page.locator(tid("batchCancel"))).toHaveCount(0);
  await waitForMail(`bulk-${tag}-0@example.com`);
  await waitForMail(`bulk-${tag}-19@example.com`);
  expect(sql("SELECT COUNT(*) FROM recipients WHERE email = ?", ["not-an-email"])).toEqual([[0]]);
});

test("the editor takes a Korean PDF's own form fields for the chosen recipient, and undo takes them back", async ({ page }) => {
  await signUp(page.request, "tpl-form");
  await page.goto("/contract/upload");
  await hydrated(page);
  await page.setInputFiles(tid("fileInput"), fixture("form-cjk__korean.pdf"));
  await expect(page.locator(tid("documentRow"))).toHaveCount(1, { timeout: 30_000 });
  await page.click(tid("nextFields"));
  for (const [name, email] of [["신청인", "applicant@example.com"], ["확인자", "checker@example.com"]]) {
    await page.fill(tid("recipientName"), name);
    await page.fill(tid("recipientEmail"), email);
    await page.click(tid("recipientAdd"));
  }
  const rows = page.locator(tid("recipientRow"));
  await expect(rows).toHaveCount(2);
  await rows.nth(1).locator(tid("recipientPick")).click();
  const checker = await rows.nth(1).getAttribute("data-recipient-id");
  await page.click(tid("formFieldsImport"));
  await expect(page.locator(tid("formFieldsNote"))).toContainText("24");
  const fields = page.locator(tid("field"));
  await expect(fields).toHaveCount(24);
  await expect(page.locator(`${tid("field")}[data-recipient="${checker}"]`)).toHaveCount(24);
  await expect(page.locator(`${tid("field")}[data-kind="radio"]`)).toHaveCount(2);
  await page.click(tid("undo"));
  await expect(fields).toHaveCount(0);
  await page.click(tid("redo"));
  await expect(fields).toHaveCount(24);
  await expect(page.locator(tid("saveStatus"))).toHaveAttribute("data-state", "saved", { timeout: 15_000 });
  const contract = new URL(page.url()).searchParams.get("contractId")!;
  const stored = sql("SELECT f.name FROM fields f WHERE f.envelope_id = ? AND f.kind = 'radio' ORDER BY f.name", [contract]);
  expect(stored).toEqual([["gender1"], ["gender2"]]);
});

test("a template opens in the editor from its list: its roles without emails, a field added and saved back", async ({ page }) => {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await signUp(page.request, "tpl-edit");
  const c = await prepareContract(page.request, [{ name: "근로자", email: "worker@example.com", order: 1 }], [
    { kind: "signature", signer: 0, x: 0.1, y: 0.7, w: 0.3, h: 0.07 },
  ]);
  const made = await page.request.post("/_fn/templates/from_draft", { data: { csrf: c.csrf, envelope_id: c.envelope, name: "편집할 양식" } });
  const template = (await made.json()) as string;
  await page.goto("/templates");
  await hydrated(page);
  await page.locator(tid("templateRow")).filter({ hasText: "편집할 양식" }).locator(tid("templateEdit")).click();
  await expect(page).toHaveURL(new RegExp(`/template/edit\\?templateId=${template}`));
  await hydrated(page);
  await expect(page.locator('[data-testid="step-documents"]')).toHaveCount(0);
  await expect(page.locator('[data-testid="step-fields"]')).toHaveCount(1);
  await expect(page.locator(tid("recipientRow"))).toHaveCount(1);
  await expect(page.locator(tid("recipientEmail"))).toHaveCount(0);
  await expect(page.locator(tid("field"))).toHaveCount(1);
  await placeField(page, "text", 0.5, 0.4, "주소");
  await page.click(tid("nextFinish"));
  await page.fill(tid("contractName"), "편집한 양식");
  await page.click(tid("saveContract"));
  await expect(page).toHaveURL(/\/templates$/);
  await expect(page.locator(tid("templateRow")).filter({ hasText: "편집한 양식" })).toContainText("주소");
  const stored = sql("SELECT kind, role, name FROM template_fields WHERE template_id = ? ORDER BY kind", [template]);
  expect(stored).toEqual([["signature", "근로자", null], ["text", "근로자", "주소"]]);
  // "New template" prepares one from scratch: the documents step first.
  await page.click(tid("templateNew"));
  await expect(page).toHaveURL(/\/template\/edit$/);
  await hydrated(page);
  await expect(page.locator(tid("fileInput"))).toBeAttached();
  expect(errors).toEqual([]);
});
