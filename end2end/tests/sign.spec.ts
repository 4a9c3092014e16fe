import { expect, Page, test } from "@playwright/test";
import { tid } from "./ids";
import { dragWithMouse, dragWithTouch, drawWithTouch, hydrated, mintLink, prepareContract, signUp, sql } from "./helpers";
import { mailFor, signLink, waitForMail } from "./mail";

const uniq = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

/** Zig-zag points across the pad's canvas, in page coordinates. */
async function zigzag(page: Page) {
  const b = (await page.locator(tid("padCanvas")).boundingBox())!;
  return Array.from({ length: 16 }, (_, i) => ({ x: b.x + b.width * (0.1 + i * 0.05), y: b.y + b.height * (i % 2 ? 0.7 : 0.3) }));
}

async function drawWithMouse(page: Page) {
  const pts = await zigzag(page);
  await page.mouse.move(pts[0].x, pts[0].y);
  await page.mouse.down();
  for (const p of pts.slice(1)) await page.mouse.move(p.x, p.y, { steps: 4 });
  await page.mouse.up();
}

/** A pen (active stylus) stroke with changing pressure, through Chrome's input pipeline. */
async function drawWithPen(page: Page) {
  const pts = await zigzag(page);
  const cdp = await page.context().newCDPSession(page);
  const ev = (type: string, p: { x: number; y: number }, force: number) =>
    cdp.send("Input.dispatchMouseEvent", { type, x: p.x, y: p.y, button: "left", buttons: type === "mouseReleased" ? 0 : 1, clickCount: 1, pointerType: "pen", force });
  await ev("mousePressed", pts[0], 0.2);
  for (const [i, p] of pts.slice(1).entries()) await ev("mouseMoved", p, 0.15 + (i % 6) * 0.15);
  await ev("mouseReleased", pts[pts.length - 1], 0);
  await cdp.detach();
}

async function openLink(page: Page, link: string) {
  await page.goto(link);
  await hydrated(page);
  await expect(page.locator(tid("signPage"))).toBeVisible();
}

test("sequential signing: email, consent, mouse; then the next signer on a phone with finger and pen", async ({ page, browser, baseURL }) => {
  const n = uniq();
  const first = { name: "김철수", email: `first-${n}@example.com`, order: 1 };
  const second = { name: "Jane Doe", email: `second-${n}@example.com`, order: 2 };
  await signUp(page.request, "seq");
  const c = await prepareContract(page.request, [first, second], [
    { kind: "signature", signer: 0, x: 0.1, y: 0.6, w: 0.3, h: 0.07 },
    { kind: "text", signer: 0, x: 0.5, y: 0.6, w: 0.35, h: 0.035 },
    { kind: "signature", signer: 1, x: 0.1, y: 0.75, w: 0.3, h: 0.07 },
    { kind: "initials", signer: 1, x: 0.5, y: 0.75, w: 0.12, h: 0.05 },
  ]);

  // The sender sends from the contract page, in sequential order.
  await page.goto(`/contracts/${c.envelope}`);
  await hydrated(page);
  await page.fill(tid("sendMessage"), "검토 후 서명 부탁드립니다.");
  await page.check(tid("sendSequential"));
  await page.click(tid("sendSubmit"));
  await expect(page.locator(tid("envelopeStatus"))).toHaveAttribute("data-status", "sent");

  // The first signer's email arrives at the SMTP server; the second's does not.
  const [invite] = await waitForMail(first.email);
  expect(invite.subject).toContain("서명 요청");
  expect(invite.text).toContain("검토 후 서명 부탁드립니다.");
  expect(await mailFor(second.email)).toHaveLength(0);

  const signer = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const s1 = await signer.newPage();
  await openLink(s1, signLink(invite));
  await expect(s1.locator(tid("consent"))).toBeVisible();
  await s1.click(tid("consentAgree"));
  await expect(s1.locator(tid("signRemaining"))).toHaveAttribute("data-remaining", "2");
  // The guide goes field by field in reading order: the signature (left), then the text.
  await s1.click(tid("signNext"));
  await expect(s1.locator(tid("pad"))).toBeVisible();
  await drawWithMouse(s1);
  await expect(s1.locator(tid("padCanvas"))).toHaveAttribute("data-strokes", "1");
  await s1.click(tid("padAdopt"));
  await expect(s1.locator(tid("pad"))).toHaveCount(0);
  await s1.click(tid("signNext"));
  const text = s1.locator(`${tid("signField")}[data-kind="text"] input`);
  await expect(text).toBeFocused();
  await text.fill("서울특별시 중구 세종대로 110");
  await expect(s1.locator(tid("signRemaining"))).toHaveAttribute("data-remaining", "0");
  await s1.click(tid("signFinish"));
  await expect(s1.locator(tid("signState"))).toHaveAttribute("data-state", "Signed");
  await signer.close();

  // Only now is the second signer invited; they sign on a phone.
  const [invite2] = await waitForMail(second.email);
  expect(invite2.subject).toContain("서명 요청"); // Korean by default
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 });
  const s2 = await phone.newPage();
  await openLink(s2, signLink(invite2));
  await s2.click(tid("consentAgree"));
  // Signature with a finger.
  await s2.locator(tid("signSignatureField")).first().click();
  await drawWithTouch(s2);
  await expect(s2.locator(tid("padCanvas"))).toHaveAttribute("data-strokes", "1");
  await s2.click(tid("padAdopt"));
  // Initials with a pen; a touch after the pen is the palm and is ignored.
  await s2.locator(`${tid("signField")}[data-kind="initials"] ${tid("signSignatureField")}`).click();
  await drawWithPen(s2);
  await expect(s2.locator(tid("padCanvas"))).toHaveAttribute("data-pen-seen", "true");
  await drawWithTouch(s2);
  await expect(s2.locator(tid("padCanvas"))).toHaveAttribute("data-strokes", "1");
  await s2.click(tid("padAdopt"));
  await s2.click(tid("signFinish"));
  await expect(s2.locator(tid("signState"))).toHaveAttribute("data-state", "Signed");
  await phone.close();

  // Sealing first, then completed once the sealed documents exist.
  await expect(async () => {
    await page.reload();
    await expect(page.locator(tid("envelopeStatus"))).toHaveAttribute("data-status", "completed", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  const rows = sql("SELECT s.strokes FROM signatures s WHERE s.envelope_id = ? AND s.method = 'drawn'", [c.envelope]);
  const drawings = rows.map((r) => JSON.parse(r[0] as string));
  const pen = drawings.find((d) => d.strokes[0].pointer === "pen");
  expect(pen, "the pen initials are stored as vectors").toBeTruthy();
  const pressures = new Set(pen.strokes[0].points.map((p: { p?: number }) => p.p?.toFixed(2)));
  expect(pressures.size).toBeGreaterThanOrEqual(3);
  const finger = drawings.find((d) => d.strokes[0].pointer === "touch");
  expect(finger.strokes[0].points.every((p: { p?: number }) => p.p === undefined), "no fake pressure for a finger").toBe(true);
});

test("a signer without fields places the signature on the page with a finger, where they tap", async ({ page, browser }) => {
  const n = uniq();
  const signer = { name: "박지민", email: `free-${n}@example.com`, order: 1 };
  await signUp(page.request, "free");
  const c = await prepareContract(page.request, [signer], []);

  // The sender chooses that signers without fields sign anywhere.
  await page.goto(`/contracts/${c.envelope}`);
  await hydrated(page);
  await page.check(tid("sendFreeForm"));
  await page.click(tid("sendSubmit"));
  await expect(page.locator(tid("envelopeStatus"))).toHaveAttribute("data-status", "sent");
  const [invite] = await waitForMail(signer.email);

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 });
  const s = await phone.newPage();
  await openLink(s, signLink(invite));
  await s.click(tid("consentAgree"));
  await expect(s.locator(tid("signFreeFormHint"))).toBeVisible();
  await expect(s.locator(tid("signRemaining"))).toHaveAttribute("data-remaining", "1");
  await expect(s.locator(tid("signFinish"))).toBeDisabled();

  // A tap on the page puts a signature box there and opens the pad.
  const sheet = s.locator(".sign-page").first();
  await sheet.scrollIntoViewIfNeeded();
  const box = (await sheet.boundingBox())!;
  await sheet.tap({ position: { x: box.width * 0.5, y: box.height * 0.6 } });
  await expect(s.locator(tid("pad"))).toBeVisible();
  await drawWithTouch(s);
  await s.locator(tid("padAdopt")).tap();
  await expect(s.locator(tid("pad"))).toHaveCount(0);
  await expect(s.locator(`${tid("signPlaced")} img`)).toHaveCount(1);
  await expect(s.locator(tid("signRemaining"))).toHaveAttribute("data-remaining", "0");

  // A second tap reuses the adopted signature; its box can be removed again.
  await sheet.tap({ position: { x: box.width * 0.3, y: box.height * 0.2 } });
  await expect(s.locator(`${tid("signPlaced")} img`)).toHaveCount(2);
  await s.locator(tid("signPlacedRemove")).nth(1).tap();
  await expect(s.locator(tid("signPlaced"))).toHaveCount(1);
  await s.click(tid("signFinish"));
  await expect(s.locator(tid("signState"))).toHaveAttribute("data-state", "Signed");
  await phone.close();

  // One signature field where the finger tapped (centred on it), sealed like any other.
  const [[kind, x, y, w, h]] = sql("SELECT kind, x, y, width, height FROM fields WHERE envelope_id = ?", [c.envelope]) as [string, number, number, number, number][];
  expect(kind).toBe("signature");
  expect(Math.abs(x + w / 2 - 0.5)).toBeLessThan(0.02);
  expect(Math.abs(y + h / 2 - 0.6)).toBeLessThan(0.02);
  await expect(async () => {
    await page.reload();
    await expect(page.locator(tid("envelopeStatus"))).toHaveAttribute("data-status", "completed", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
});

test("rotating or resizing the phone keeps the drawing exactly", async ({ browser, page }) => {
  await signUp(page.request, "rotate");
  const n = uniq();
  const c = await prepareContract(page.request, [{ name: "A", email: `a-${n}@example.com`, order: 1 }], [{ kind: "signature", signer: 0, x: 0.1, y: 0.6, w: 0.3, h: 0.07 }]);
  await page.goto(`/contracts/${c.envelope}`);
  await hydrated(page);
  await page.click(tid("sendSubmit"));
  const [invite] = await waitForMail(`a-${n}@example.com`);
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  const p = await ctx.newPage();
  await openLink(p, signLink(invite));
  await p.click(tid("consentAgree"));
  await p.click(tid("signSignatureField"));
  await drawWithTouch(p);
  const canvas = p.locator(tid("padCanvas"));
  const before = { digest: await canvas.getAttribute("data-digest"), points: await canvas.getAttribute("data-points") };
  const ink = () => canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
    return { inked: n, width: c.width };
  });
  const inkBefore = await ink();
  expect(inkBefore.inked).toBeGreaterThan(100);
  await p.setViewportSize({ width: 844, height: 390 });
  await expect.poll(async () => (await ink()).width).not.toBe(inkBefore.width);
  expect(await canvas.getAttribute("data-digest")).toBe(before.digest);
  expect(await canvas.getAttribute("data-points")).toBe(before.points);
  expect((await ink()).inked).toBeGreaterThan(100);
  await p.setViewportSize({ width: 390, height: 844 });
  expect(await canvas.getAttribute("data-digest")).toBe(before.digest);
  // Escape closes the pad without adopting anything.
  await p.keyboard.press("Escape");
  await expect(p.locator(tid("pad"))).toHaveCount(0);
  await expect(p.locator(tid("signRemaining"))).toHaveAttribute("data-remaining", "1");
  await ctx.close();
});

test("declining, cancelling, expiry, a second tab and out-of-turn each end in a clear page", async ({ browser, page, baseURL }) => {
  await signUp(page.request, "states");
  const n = uniq();
  const people = [
    { name: "A", email: `a-${n}@example.com`, order: 1 },
    { name: "B", email: `b-${n}@example.com`, order: 2 },
  ];
  const make = async (order: "parallel" | "sequential") => {
    const c = await prepareContract(page.request, people, [
      { kind: "text", signer: 0, x: 0.1, y: 0.6, w: 0.3, h: 0.04 },
      { kind: "text", signer: 1, x: 0.5, y: 0.6, w: 0.3, h: 0.04 },
    ]);
    const r = await page.request.post("/_fn/envelopes/send", { data: { csrf: c.csrf, id: c.envelope, request: { signing_order: order } } });
    expect(r.status()).toBe(200);
    return c;
  };
  const ctx = await browser.newContext();
  const s = await ctx.newPage();

  // Out of turn: B's link before A has signed.
  const seq = await make("sequential");
  await openLink(s, mintLink(baseURL!, seq.envelope, seq.recipients[1]));
  await expect(s.locator(tid("signState"))).toHaveAttribute("data-state", "NotYourTurn");
  await expect(s.locator(tid("consent"))).toHaveCount(0);

  // Decline with a reason.
  const dec = await make("parallel");
  await openLink(s, mintLink(baseURL!, dec.envelope, dec.recipients[0]));
  await s.click(tid("consentAgree"));
  await s.click(tid("signDecline"));
  await s.fill(tid("declineReason"), "조건이 맞지 않습니다");
  await s.click(tid("declineSubmit"));
  await expect(s.locator(tid("signState"))).toHaveAttribute("data-state", "Declined");
  expect(sql("SELECT status FROM envelopes WHERE id = ?", [dec.envelope])[0][0]).toBe("declined");
  expect(sql("SELECT decline_reason FROM recipients WHERE id = ?", [dec.recipients[0]])[0][0]).toBe("조건이 맞지 않습니다");

  // Cancelled by the sender: the link says so.
  const can = await make("parallel");
  const link = mintLink(baseURL!, can.envelope, can.recipients[0]);
  await openLink(s, link); // open before the sender cancels, agree after
  await page.goto(`/contracts/${can.envelope}`);
  await hydrated(page);
  await page.fill(tid("cancelReason"), "조건 변경");
  await page.click(tid("cancelSubmit"));
  await expect(page.locator(tid("envelopeStatus"))).toHaveAttribute("data-status", "cancelled");
  // Agreeing opens the fields at once; the refused consent closes them again and says why.
  await s.click(tid("consentAgree"));
  await expect(s.locator(tid("formError"))).toHaveAttribute("data-code", "ENVELOPE_CANCELLED");
  await expect(s.locator(tid("consent"))).toBeVisible();
  await expect(s.locator(tid("signBar"))).toBeHidden();
  await openLink(s, link);
  await expect(s.locator(tid("signState"))).toHaveAttribute("data-state", "Cancelled");

  // Expired.
  const exp = await make("parallel");
  sql("UPDATE envelopes SET expires_at = '2020-01-01T00:00:00.000Z' WHERE id = ?", [exp.envelope]);
  await openLink(s, mintLink(baseURL!, exp.envelope, exp.recipients[0]));
  await expect(s.locator(tid("signState"))).toHaveAttribute("data-state", "Expired");

  // Two tabs: the second finish is refused and says why; one signature is stored.
  const two = await make("parallel");
  const l2 = mintLink(baseURL!, two.envelope, two.recipients[0]);
  const tab2 = await ctx.newPage();
  await openLink(s, l2);
  await openLink(tab2, l2);
  await s.click(tid("consentAgree"));
  await expect(tab2.locator(tid("consent"))).toBeVisible();
  await tab2.click(tid("consentAgree"));
  for (const p of [s, tab2]) await p.locator(`${tid("signField")} input`).fill("값");
  await s.click(tid("signFinish"));
  await expect(s.locator(tid("signState"))).toHaveAttribute("data-state", "Signed");
  await tab2.click(tid("signFinish"));
  await expect(tab2.locator(tid("formError"))).toHaveAttribute("data-code", "ALREADY_SIGNED");
  expect(sql("SELECT COUNT(*) FROM field_values WHERE recipient_id = ?", [two.recipients[0]])[0][0]).toBe(1);
  await ctx.close();
});
