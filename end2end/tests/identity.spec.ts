import { APIRequestContext, expect, Page, test } from "@playwright/test";
import { tid } from "./ids";
import { drawWithTouch, hydrated, prepareContract, signUp, sql } from "./helpers";
import { waitForMail } from "./mail";

const uniq = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

type Sms = { to: string; kind: string; text: string; status: string };

/** The SMS the development capture holds for `to` (E.164), oldest first, once there are `n`. */
async function waitForSms(request: APIRequestContext, to: string, n: number): Promise<Sms[]> {
  const start = Date.now();
  for (;;) {
    const all = (await (await request.get("/dev/sms?format=json")).json()) as Sms[];
    const mine = all.filter((m) => m.to === to && m.status === "captured").reverse();
    if (mine.length >= n) return mine;
    if (Date.now() - start > 20_000) throw new Error(`expected ${n} SMS for ${to}, got ${mine.length}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const code = (text: string) => /\b(\d{6})\b/.exec(text)![1];
const step = (page: Page, method: string) => page.locator(`${tid("verifyStep")}[data-method="${method}"]`);

test("on a phone, a signer passes an SMS code, an email code, an access code and their birth date before the contract shows", async ({ page, browser }) => {
  const n = uniq();
  const signer = { name: "최유나", email: `verify-${n}@example.com`, order: 1 };
  await signUp(page.request, "verify");
  const c = await prepareContract(page.request, [signer], [{ kind: "signature", x: 0.1, y: 0.7, w: 0.3, h: 0.08, signer: 0 }]);

  // The sender asks for every check and sends by SMS and email.
  await page.goto(`/contracts/${c.envelope}`);
  await hydrated(page);
  const row = page.locator(`${tid("sendRecipient")}[data-email="${signer.email}"]`);
  for (const m of ["smsCode", "emailCode", "accessCode", "knowledge"]) await row.locator(`${tid("sendAuth")}[data-method="${m}"]`).check();
  await row.locator(tid("sendPhone")).fill("010-5555-0134");
  await row.locator(tid("sendChannel")).selectOption("both");
  await row.locator(tid("sendAccessCode")).fill("도장-2026");
  await row.locator(tid("sendBirthDate")).fill("1992-03-04");
  await page.click(tid("sendSubmit"));
  await expect(page.locator(tid("envelopeStatus"))).toHaveAttribute("data-status", "sent");
  const [invite] = await waitForSms(page.request, "+821055550134", 1);
  expect(invite.kind).toBe("invitation");
  const link = /https?:\/\/\S+\/s\/[A-Za-z0-9_-]{22}/.exec(invite.text)![0];
  expect(invite.text).toContain("서명을 요청했습니다");
  await waitForMail(signer.email, 1);

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 3 });
  const s = await phone.newPage();
  const images: string[] = [];
  s.on("request", (r) => {
    if (r.url().includes("/pages/")) images.push(r.url());
  });
  await s.goto(link);
  await expect(s.locator(tid("verify"))).toBeVisible();
  await expect(s.locator(".sign-page")).toHaveCount(0);
  await expect(s.locator(tid("consentAgree"))).toHaveCount(0);

  // SMS code: a wrong one is refused with a clear message, the right one passes.
  await step(s, "smsCode").locator(tid("verifySend")).tap();
  await expect(step(s, "smsCode").locator(tid("verifyCode"))).toBeVisible();
  const [, sms] = await waitForSms(page.request, "+821055550134", 2);
  const right = code(sms.text);
  await step(s, "smsCode").locator(tid("verifyCode")).fill(right === "000000" ? "111111" : "000000");
  await step(s, "smsCode").locator(tid("verifySubmit")).tap();
  await expect(s.locator(tid("verifyError"))).toHaveAttribute("data-code", "VERIFICATION_FAILED");
  await step(s, "smsCode").locator(tid("verifyCode")).fill(right);
  await step(s, "smsCode").locator(tid("verifySubmit")).tap();
  await expect(step(s, "smsCode")).toHaveAttribute("data-done", "true");

  // Email code.
  await step(s, "emailCode").locator(tid("verifySend")).tap();
  const mails = await waitForMail(signer.email, 2);
  await step(s, "emailCode").locator(tid("verifyCode")).fill(code(mails[1].text ?? ""));
  await step(s, "emailCode").locator(tid("verifySubmit")).tap();
  await expect(step(s, "emailCode")).toHaveAttribute("data-done", "true");

  // The access code the sender shared, then the phone number and birth date in other forms.
  await step(s, "accessCode").locator(tid("verifyCode")).fill("도장-2026");
  await step(s, "accessCode").locator(tid("verifySubmit")).tap();
  await expect(step(s, "accessCode")).toHaveAttribute("data-done", "true");
  expect(images, "no page image before every check").toEqual([]);
  await step(s, "knowledge").locator(tid("verifyPhone")).fill("+82 10 5555 0134");
  await step(s, "knowledge").locator(tid("verifyBirthDate")).fill("19920304");
  await step(s, "knowledge").locator(tid("verifySubmit")).tap();

  // Now the contract: consent, sign with a finger, finish.
  await hydrated(s);
  await expect(s.locator(tid("verify"))).toHaveCount(0);
  await s.locator(tid("consentAgree")).tap();
  await s.locator(tid("signSignatureField")).first().tap();
  await drawWithTouch(s);
  await s.locator(tid("padAdopt")).tap();
  await s.locator(tid("signFinish")).tap();
  await expect(s.locator(tid("signState"))).toHaveAttribute("data-state", "Signed");
  await phone.close();

  await page.reload();
  await expect(page.locator(tid("recipientVerified"))).toBeVisible();
  const [[methods]] = sql("SELECT verified_methods FROM recipient_identity WHERE envelope_id = ?", [c.envelope]) as [string][];
  expect(methods).toBe("smsCode,emailCode,accessCode,knowledge");
});

test("five wrong access codes lock the signer out until the sender lets them try again", async ({ page, browser }) => {
  const n = uniq();
  const signer = { name: "Alex Kim", email: `lock-${n}@example.com`, order: 1 };
  await signUp(page.request, "lock");
  const c = await prepareContract(page.request, [signer], [{ kind: "signature", x: 0.1, y: 0.7, w: 0.3, h: 0.08, signer: 0 }]);
  await page.goto(`/contracts/${c.envelope}`);
  await hydrated(page);
  const row = page.locator(`${tid("sendRecipient")}[data-email="${signer.email}"]`);
  await row.locator(`${tid("sendAuth")}[data-method="accessCode"]`).check();
  await row.locator(tid("sendAccessCode")).fill("open-sesame");
  await page.click(tid("sendSubmit"));
  await expect(page.locator(tid("envelopeStatus"))).toHaveAttribute("data-status", "sent");
  const [invite] = await waitForMail(signer.email, 1);
  const link = /https?:\/\/\S+\/sign\/[A-Za-z0-9_-]{43}/.exec(invite.text ?? "")![0];

  const ctx = await browser.newContext();
  const s = await ctx.newPage();
  await s.goto(link);
  for (let i = 0; i < 5; i++) {
    await step(s, "accessCode").locator(tid("verifyCode")).fill(`wrong-${i}`);
    await step(s, "accessCode").locator(tid("verifySubmit")).click();
    await expect(s.locator(i < 4 ? tid("verifyError") : tid("verifyLocked"))).toBeVisible();
  }
  await expect(s.locator(tid("verifyLocked"))).toContainText(/sender|보낸 사람/);

  await page.reload();
  await hydrated(page);
  await page.click(tid("recipientUnlock"));
  await expect(page.locator(tid("recipientUnlock"))).toHaveCount(0);

  await s.goto(link);
  await step(s, "accessCode").locator(tid("verifyCode")).fill("open-sesame");
  await step(s, "accessCode").locator(tid("verifySubmit")).click();
  await hydrated(s);
  await expect(s.locator(tid("consentAgree"))).toBeVisible();
  await ctx.close();
});
