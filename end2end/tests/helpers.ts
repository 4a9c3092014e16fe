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
