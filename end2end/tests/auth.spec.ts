import { expect, test } from "@playwright/test";
import { tid } from "./ids";
import { hydrated, uniqueAccount } from "./helpers";

test("sign up, land on an empty dashboard, log out, log in again, wrong password errors", async ({ page }) => {
  const errors: string[] = [];
  // The wrong-password attempt answers 401 on purpose; Chromium logs that response itself.
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 401/.test(m.text())) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  const acct = uniqueAccount();

  await page.goto("/signup");
  await hydrated(page);
  await page.fill("#f-org_name", acct.org);
  await page.fill("#f-name", acct.name);
  await page.fill("#f-email", acct.email);
  await page.fill("#f-password", acct.password);
  await page.click(tid("signupSubmit"));

  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.locator(tid("dashboardEmpty"))).toBeVisible();
  await expect(page.locator(tid("currentUser"))).toContainText(acct.name);
  await expect(page.locator(tid("currentUser"))).toContainText(acct.org);

  await page.click(tid("logout"));
  await expect(page).toHaveURL(/\/login$/);
  // Logged out for real: the dashboard sends us back to login.
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/login$/);

  await hydrated(page);
  await page.fill("#f-email", acct.email);
  await page.fill("#f-password", acct.password);
  await page.click(tid("loginSubmit"));
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.locator(tid("currentUser"))).toContainText(acct.name);

  await page.click(tid("logout"));
  await expect(page).toHaveURL(/\/login$/);
  await hydrated(page);
  await page.fill("#f-email", acct.email);
  await page.fill("#f-password", "not-the-password");
  await page.click(tid("loginSubmit"));
  const err = page.locator(tid("loginError"));
  await expect(err).toBeVisible();
  await expect(err).toHaveAttribute("data-code", "INVALID_CREDENTIALS");
  await expect(page).toHaveURL(/\/login$/);

  expect(errors, "no console errors (CSP violations included)").toEqual([]);
});

test("the page hydrates: the password toggle only works with the wasm running", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  const input = page.locator("#f-password");
  await expect(input).toHaveAttribute("type", "password");
  await page.click(tid("passwordToggle"));
  await expect(input).toHaveAttribute("type", "text");
  await page.click(tid("passwordToggle"));
  await expect(input).toHaveAttribute("type", "password");
});

test("Korean is chosen from the browser and can be switched", async ({ browser }) => {
  const ctx = await browser.newContext({ locale: "ko-KR" });
  const page = await ctx.newPage();
  await page.goto("/login");
  await expect(page.locator("html")).toHaveAttribute("lang", "ko");
  await expect(page.locator("h1")).toHaveText("도장에 로그인");
  await hydrated(page);
  await page.click(tid("langSwitch"));
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
  await expect(page.locator("h1")).toHaveText("Log in to Dojang");
  await ctx.close();
});

test("a phone-sized screen shows the login form without horizontal scrolling", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await ctx.newPage();
  await page.goto("/signup");
  await hydrated(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expect(page.locator("#f-org_name")).toBeInViewport();
  await ctx.close();
});
