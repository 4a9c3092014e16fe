import { expect, Page, test } from "@playwright/test";
import { tid } from "./ids";
import { center, dragWithMouse, dragWithTouch, fixture, hydrated, signUp } from "./helpers";

type Layout = { id: string; recipient: string; kind: string; doc: string; page: string; x: number; y: number; w: number; h: number };

/** Every field's box relative to its page, in CSS pixels. */
async function layout(page: Page): Promise<Layout[]> {
  return page.$$eval('[data-testid="field"]', (els) =>
    els
      .map((el) => {
        const host = el.closest(".page") as HTMLElement;
        const f = el.getBoundingClientRect();
        const p = host.getBoundingClientRect();
        const d = (el as HTMLElement).dataset;
        return {
          id: d.fieldId!, recipient: d.recipient!, kind: d.kind!, doc: host.dataset.doc!, page: host.dataset.page!,
          x: f.left - p.left, y: f.top - p.top, w: f.width, h: f.height,
        };
      })
      .sort((a, b) => a.id.localeCompare(b.id)),
  );
}

/** A point at fractions (fx, fy) of page `index`, scrolled into view first. */
async function pointOnPage(page: Page, index: number, fx: number, fy: number) {
  const p = page.locator(tid("page")).nth(index);
  await p.scrollIntoViewIfNeeded();
  await page.evaluate(() => new Promise(requestAnimationFrame));
  const b = (await p.boundingBox())!;
  return { x: b.x + b.width * fx, y: b.y + b.height * fy };
}

const palette = (kind: string) => `${tid("paletteItem")}[data-kind="${kind}"]`;

async function addRecipient(page: Page, name: string, email: string) {
  await page.fill(tid("recipientName"), name);
  await page.fill(tid("recipientEmail"), email);
  await page.click(tid("recipientAdd"));
}

async function waitSaved(page: Page) {
  await expect(page.locator(tid("saveStatus"))).toHaveAttribute("data-state", "saved", { timeout: 15_000 });
}

async function prepareContract(page: Page) {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await signUp(page.request, "prepare");
  await page.goto("/contract/upload");
  await hydrated(page);

  // Upload: qpdf's boxes.pdf, 8 pages turned 0/90/180/270 with offset CropBoxes.
  await page.setInputFiles(tid("fileInput"), fixture("rotate-boxes__boxes.pdf"));
  await expect(page.locator(tid("documentRow"))).toHaveCount(1, { timeout: 30_000 });
  await expect(page).toHaveURL(/contractId=[0-9a-f]{32}/);
  await page.click(tid("nextFields"));
  await expect(page.locator(tid("page"))).toHaveCount(8);
  await expect(page.locator(tid("page")).nth(1)).toHaveAttribute("data-rotation", "90");

  await addRecipient(page, "김철수", "chulsoo@example.com");
  await addRecipient(page, "Jane Doe", "jane@example.com");
  const rows = page.locator(tid("recipientRow"));
  await expect(rows).toHaveCount(2);
  const [first, second] = [await rows.nth(0).getAttribute("data-recipient-id"), await rows.nth(1).getAttribute("data-recipient-id")];

  // Three fields with the mouse for the first recipient: two on page 1, one on the rotated page 2.
  await rows.nth(0).locator(tid("recipientPick")).click();
  const targets = [
    { kind: "signature", page: 0, fx: 0.3, fy: 0.25 },
    { kind: "date", page: 0, fx: 0.6, fy: 0.6 },
    { kind: "text", page: 1, fx: 0.5, fy: 0.4 },
  ];
  for (const t of targets) {
    const to = await pointOnPage(page, t.page, t.fx, t.fy);
    await dragWithMouse(page, await center(page, palette(t.kind)), to);
    const placed = page.locator(`${tid("page")} >> nth=${t.page}`).locator(`${tid("field")}[data-kind="${t.kind}"]`);
    await expect(placed).toHaveCount(1);
    const b = (await placed.boundingBox())!;
    expect(Math.abs(b.x + b.width / 2 - to.x)).toBeLessThan(2);
    expect(Math.abs(b.y + b.height / 2 - to.y)).toBeLessThan(2);
    await expect(placed).toHaveAttribute("data-recipient", first!);
  }

  // One with a finger, for the second recipient.
  await rows.nth(1).locator(tid("recipientPick")).click();
  const touchTo = await pointOnPage(page, 0, 0.5, 0.8);
  await dragWithTouch(page, await center(page, palette("checkbox")), touchTo);
  const checkbox = page.locator(`${tid("field")}[data-kind="checkbox"]`);
  await expect(checkbox).toHaveCount(1);
  await expect(checkbox).toHaveAttribute("data-recipient", second!);
  await expect(page.locator(tid("field"))).toHaveCount(4);

  // Resize the signature by dragging its handle; undo and redo it.
  const sig = page.locator(`${tid("field")}[data-kind="signature"]`);
  await sig.scrollIntoViewIfNeeded();
  await sig.click();
  const before = (await sig.boundingBox())!;
  const handle = await center(page, `${tid("field")}[data-kind="signature"] ${tid("fieldHandle")}`);
  await dragWithMouse(page, handle, { x: handle.x + 60, y: handle.y + 30 });
  const resized = (await sig.boundingBox())!;
  expect(resized.width - before.width).toBeGreaterThan(50);
  expect(resized.height - before.height).toBeGreaterThan(20);
  await page.click(tid("undo"));
  await expect.poll(async () => Math.round((await sig.boundingBox())!.width)).toBe(Math.round(before.width));
  await page.click(tid("redo"));
  await expect.poll(async () => Math.round((await sig.boundingBox())!.width)).toBe(Math.round(resized.width));

  await waitSaved(page);
  const saved = await layout(page);
  expect(saved).toHaveLength(4);

  // Name and save.
  await page.click(tid("nextFinish"));
  await page.fill(tid("contractName"), "2027년 근로계약서");
  await page.click(tid("saveContract"));
  await expect(page).toHaveURL(/\/dashboard$/);
  const row = page.locator(tid("contractRow")).filter({ hasText: "2027년 근로계약서" });
  await expect(row).toHaveCount(1);

  // Reopen it: every field is where it was, on its page, for its recipient.
  await row.locator("a").first().click();
  await hydrated(page);
  await expect(page.locator(tid("field"))).toHaveCount(4);
  await page.locator(tid("page")).first().scrollIntoViewIfNeeded();
  const reloaded = await layout(page);
  expect(reloaded.map((f) => [f.id, f.recipient, f.kind, f.doc, f.page])).toEqual(saved.map((f) => [f.id, f.recipient, f.kind, f.doc, f.page]));
  for (let i = 0; i < saved.length; i++) {
    for (const k of ["x", "y", "w", "h"] as const) {
      expect(Math.abs(reloaded[i][k] - saved[i][k]), `${saved[i].kind} ${k}`).toBeLessThanOrEqual(1);
    }
  }
  expect(errors).toEqual([]);
}

test("prepare a contract on a desktop: upload, recipients, drag, resize, undo/redo, name, reload", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await prepareContract(page);
});

test("prepare a contract on a tablet", async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: { width: 820, height: 1180 }, hasTouch: true, baseURL: test.info().project.use.baseURL });
  const page = await ctx.newPage();
  await prepareContract(page);
  await ctx.close();
});

test("keyboard: arrows nudge, Delete removes, Ctrl+C/V copies, Ctrl+Z/Ctrl+Shift+Z undo and redo", async ({ page }) => {
  await signUp(page.request, "keys");
  await page.goto("/contract/upload");
  await hydrated(page);
  await page.setInputFiles(tid("fileInput"), fixture("basic__002-trivial-libre-office-writer.pdf"));
  await expect(page.locator(tid("documentRow"))).toHaveCount(1, { timeout: 30_000 });
  await page.click(tid("nextFields"));
  await page.click(palette("text")); // a tap adds the field to the page in view
  const field = page.locator(tid("field"));
  await expect(field).toHaveCount(1);
  const start = (await field.boundingBox())!;
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Shift+ArrowDown");
  const moved = (await field.boundingBox())!;
  expect(moved.x).toBeGreaterThan(start.x);
  expect(moved.y - start.y).toBeGreaterThan(moved.x - start.x);
  await page.keyboard.press("Control+c");
  await page.keyboard.press("Control+v");
  await expect(field).toHaveCount(2);
  await page.keyboard.press("Delete");
  await expect(field).toHaveCount(1);
  await page.keyboard.press("Control+z");
  await expect(field).toHaveCount(2);
  await page.keyboard.press("Control+Shift+z");
  await expect(field).toHaveCount(1);
  await waitSaved(page);
});

test("a PDF that cannot be used is refused with a clear message", async ({ page }) => {
  await signUp(page.request, "refuse");
  await page.goto("/contract/upload");
  await hydrated(page);
  await page.setInputFiles(tid("fileInput"), fixture("enc-pw__libreoffice-writer-password.pdf"));
  const err = page.locator(tid("uploadError"));
  await expect(err).toHaveAttribute("data-code", "PDF_ENCRYPTED", { timeout: 15_000 });
  await expect(err).toContainText("password");
  await page.setInputFiles(tid("fileInput"), fixture("broken-notpdf__bad.pdf"));
  await expect(page.locator(`${tid("uploadError")}[data-code="NOT_A_PDF"]`)).toBeVisible();
  await expect(page.locator(tid("documentRow"))).toHaveCount(0);
});
