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
export const baseURL = `http://127.0.0.1:${port}`;

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
  webServer: {
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
    },
  },
});
