import { defineConfig } from "@playwright/test";
export default defineConfig({
  testDir: ".", testMatch: /zz-.*\.spec\.ts/, workers: 1, timeout: 120000, reporter: "line",
  use: { viewport: { width: 1400, height: 900 }, launchOptions: { executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] } },
});
