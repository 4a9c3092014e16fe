import { defineConfig, devices } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// The server under test is the built binary itself, started on its own (not under
// cargo-leptos) with a throwaway data folder, exactly as an operator would run it.
const port = Number(process.env.E2E_PORT ?? 3456);
const root = resolve(__dirname, "..");
const profile = process.env.DOJANG_PROFILE ?? "debug";
const dataDir = process.env.E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), "dojang-e2e-"));
process.env.E2E_DATA_DIR = dataDir;
export const baseURL = `http://127.0.0.1:${port}`;
// A real SMTP server (aiosmtpd from PyPI, installed by scripts/setup.sh --test) whose maildir
// the tests read; the workers find it through E2E_MAILDIR.
const smtpPort = Number(process.env.E2E_SMTP_PORT ?? port + 1);
process.env.E2E_MAILDIR = process.env.E2E_MAILDIR ?? join(mkdtempSync(join(tmpdir(), "dojang-mail-")), "maildir");
const python = process.env.DOJANG_TEST_PYTHON ?? `${root}/.tools/venv/bin/python`;

const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export default defineConfig({
  testDir: "./tests",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: chromium,
  },
  projects: [
    { name: "desktop", use: { ...devices["Desktop Chrome"], launchOptions: chromium } },
  ],
  webServer: [{
    command: `${python} -m aiosmtpd -n -l 127.0.0.1:${smtpPort} -c aiosmtpd.handlers.Mailbox ${process.env.E2E_MAILDIR}`,
    port: smtpPort,
    timeout: 20_000,
    reuseExistingServer: false,
  }, {
    command: `${root}/target/${profile}/dojang`,
    cwd: root,
    url: `${baseURL}/readyz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      DOJANG_BIND: `127.0.0.1:${port}`,
      DOJANG_DATA_DIR: dataDir,
      DOJANG_LOG: process.env.DOJANG_LOG ?? "warn",
      DOJANG_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      // Every test's browser comes from 127.0.0.1: the per-address limits are for the public.
      DOJANG_ADDRESS_RATE_SCALE: "20",
    },
  }],
});
