import { simpleParser, ParsedMail } from "mailparser";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every message the test SMTP server received so far, oldest first. */
export async function allMail(): Promise<ParsedMail[]> {
  const dir = join(process.env.E2E_MAILDIR!, "new");
  let files: string[] = [];
  try {
    files = readdirSync(dir).map((f) => join(dir, f));
  } catch {
    return [];
  }
  files.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  return Promise.all(files.map((f) => simpleParser(readFileSync(f))));
}

const addressed = (m: ParsedMail, to: string) => JSON.stringify(m.to ?? "").toLowerCase().includes(to.toLowerCase());

export async function mailFor(to: string): Promise<ParsedMail[]> {
  return (await allMail()).filter((m) => addressed(m, to));
}

/** Waits until `n` messages for `to` have arrived. */
export async function waitForMail(to: string, n = 1, timeout = 20_000): Promise<ParsedMail[]> {
  const start = Date.now();
  for (;;) {
    const got = await mailFor(to);
    if (got.length >= n) return got;
    if (Date.now() - start > timeout) throw new Error(`expected ${n} message(s) for ${to}, got ${got.length}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The signing link in a message. */
export function signLink(m: ParsedMail): string {
  const match = /https?:\/\/\S+\/sign\/[A-Za-z0-9_-]{43}/.exec(m.text ?? "");
  if (!match) throw new Error(`no signing link in: ${m.text}`);
  return match[0];
}
