import { expect, request as http, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { tid } from "./ids";
import { drawWithTouch, fixture, hydrated, signUp, sql } from "./helpers";

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
