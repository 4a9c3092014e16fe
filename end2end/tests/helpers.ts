import { expect, Page } from "@playwright/test";

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
