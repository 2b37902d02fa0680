/**
 * Chromium for the dashboard's tests: Debian's /usr/bin/chromium driven by
 * playwright-core (no browser download). Outside CI a missing chromium
 * skips the suites; under CI=true it fails them (requireTool).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The browser; HERD_CHROMIUM names another. */
export const CHROMIUM = process.env['HERD_CHROMIUM'] ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM);
}

/** Flags that work on a shared CI machine: no sandbox (root), no GPU, nothing fetched in the background. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A headless Chromium with a fresh profile (playwright makes a new user data dir per launch). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 });
}

let shared: Promise<Browser> | undefined;

/** One browser for every suite of a test file (a launch costs seconds on a busy machine); {@link closeSharedBrowser} in the file's `after`. */
export function sharedBrowser(): Promise<Browser> {
  return (shared ??= launchChromium());
}

export async function closeSharedBrowser(): Promise<void> {
  const browser = shared;
  shared = undefined;
  await (await browser)?.close();
}

/** Where the screenshots go: build/test-artifacts/dashboard/ (this file runs from build/test/dashboard/). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/dashboard/', import.meta.url));

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

/** A page of the dashboard at `url`, recording uncaught page errors in `errors`. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  await page.getByTestId('live').filter({ hasText: /^live$/ }).waitFor();
  return { page, errors };
}

/** Shows `path` in the tree view (the path lives in the URL's hash, as a user's bookmark). */
export async function openPath(page: Page, path: string): Promise<void> {
  await page.evaluate((hash) => {
    (globalThis as unknown as { location: { hash: string } }).location.hash = hash;
  }, encodeURIComponent(path));
  await page.getByTestId('node-path').filter({ hasText: new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).waitFor();
}
