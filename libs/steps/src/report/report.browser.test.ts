import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '@datasmith/progress';
import pixelmatch from 'pixelmatch';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReportHtml } from './render';
import { buildReportPage } from './report';
import { writeDemoRun } from './testing/demo-run';
import { type ExpectedReport, expectedReport } from './testing/expected-counts';
import { fixtureReportData } from './testing/fixture-data';

/** Debian's Chromium (tools/scripts/ensure-chromium installs it); a test tool's own browser download fails here. */
const CHROMIUM = process.env.DATASMITH_CHROMIUM ?? '/usr/bin/chromium';
/** The committed layout baseline; `DATASMITH_UPDATE_SCREENSHOTS=1` rewrites it. */
const BASELINE = join(import.meta.dirname, '__screenshots__', 'report-fixture.png');
/**
 * Share of pixels allowed to differ (anti-aliasing, font hinting: about 300 px of this page; one bar
 * one count longer already changes about 1,400), and pixelmatch's per-pixel colour threshold.
 */
const MAX_DIFF_RATIO = 0.0001;
const PIXEL_THRESHOLD = 0.1;

function chromiumMissing(): string | null {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (install it with tools/scripts/ensure-chromium)`;
  try {
    execFileSync(CHROMIUM, ['--version'], { stdio: 'pipe', timeout: 30_000 });
    return null;
  } catch (error) {
    return `${CHROMIUM} --version failed: ${(error as Error).message.split('\n')[0]}`;
  }
}

const missing = chromiumMissing();
if (missing) {
  if (process.env.DATASMITH_REQUIRE_BROWSER === '1') throw new Error(`DATASMITH_REQUIRE_BROWSER=1 but ${missing}`);
  process.stderr.write(`report browser tests skipped: ${missing}\n`);
}

let work: string;
let context: BrowserContext;

beforeAll(async () => {
  if (missing) return;
  work = await mkdtemp(join(tmpdir(), 'ds-report-browser-'));
  // A fresh profile each run: nothing cached, no first-run or sync traffic on this offline machine.
  context = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--font-render-hinting=none',
    ],
    viewport: { width: 1100, height: 900 },
    deviceScaleFactor: 1,
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface LoadedPage {
  page: Page;
  /** Every request but the page's own document: must stay empty. */
  requests: string[];
  /** Console errors and uncaught page errors: must stay empty. */
  errors: string[];
}

/** Opens a page from a file with every request routed: the document loads, anything else is recorded and aborted. */
async function openPage(file: string): Promise<LoadedPage> {
  const url = pathToFileURL(file).href;
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', async (route) => {
    if (route.request().url() === url) return route.continue();
    requests.push(route.request().url());
    return route.abort();
  });
  page.on('request', (request) => {
    if (request.url() !== url && !requests.includes(request.url())) requests.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') errors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  await page.goto(url, { waitUntil: 'load' });
  await page.evaluate('document.fonts.ready.then(() => true)');
  return { page, requests, errors };
}

describe.skipIf(missing !== null)(`the report in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let expected: ExpectedReport;
  let loaded: LoadedPage;

  beforeAll(async () => {
    const run = await writeDemoRun(join(work, 'demo'));
    expected = await expectedReport(run.root);
    const page = await buildReportPage({ root: run.root }, { log: silentLogger });
    const file = join(run.root, 'report', 'index.html');
    await mkdir(join(run.root, 'report'), { recursive: true });
    await writeFile(file, page.html);
    loaded = await openPage(file);
  }, 300_000);

  it('loads with no console error and no network request', () => {
    expect(loaded.errors).toEqual([]);
    expect(loaded.requests).toEqual([]);
  });

  it("draws every month's funnel marks with the counts taken from the tables", async () => {
    const labels = new Set(
      await loaded.page.$$eval('svg [aria-label]', (els) => els.map((e) => e.getAttribute('aria-label') ?? '')),
    );
    let marks = 0;
    for (const month of expected.months) {
      for (const stage of month.stages) {
        expect(labels, `${month.month} ${stage.label}`).toContain(`${month.month} ${stage.label}: ${stage.count}`);
        marks++;
        for (const [reason, n] of Object.entries(stage.drops)) {
          expect(labels).toContain(`${month.month} dropped before ${stage.label}, ${reason}: ${n}`);
          marks++;
        }
      }
    }
    expect(marks).toBeGreaterThan(expected.months.length * 7);
    // The merged bar of a month with PRs is drawn with a width (the chart is not an empty shell).
    const busy = expected.months.find((m) => (m.stages[0]?.count ?? 0) > 0);
    const bar = loaded.page.locator(`[aria-label="${busy?.month} merged PRs: ${busy?.stages[0]?.count}"]`);
    expect((await bar.boundingBox())?.width ?? 0).toBeGreaterThan(100);
  });

  it("shows each month's drop reasons and published tasks as text", async () => {
    for (const month of expected.months) {
      const section = loaded.page.locator(`#month-${month.month}`);
      // biome-ignore lint/performance/useDomNodeTextContent: the rendered text is what a reader sees
      const drops = await section.locator('table.drops').innerText();
      for (const stage of month.stages.slice(1)) {
        for (const [reason, n] of Object.entries(stage.drops)) expect(drops).toContain(`${reason} ${n}`);
      }
      const links = await section.locator('table.tasks a').evaluateAll((els) => els.map((e) => e.getAttribute('href')));
      expect(links).toEqual(month.tasks.map((t) => `https://github.com/${t.repo_name}/pull/${t.pr_number}`));
    }
  });
});

describe.skipIf(missing !== null)(`the report layout${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('matches the committed screenshot of a fixed report', async () => {
    const file = join(work, 'fixture', 'index.html');
    await mkdir(join(work, 'fixture'), { recursive: true });
    await writeFile(file, renderReportHtml(fixtureReportData()));
    const { page, requests, errors } = await openPage(file);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const shot = await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
    if (process.env.DATASMITH_UPDATE_SCREENSHOTS === '1') {
      await mkdir(join(BASELINE, '..'), { recursive: true });
      await writeFile(BASELINE, shot);
    }
    expect(existsSync(BASELINE), `no baseline at ${BASELINE}; run with DATASMITH_UPDATE_SCREENSHOTS=1`).toBe(true);
    const actual = PNG.sync.read(shot);
    const baseline = PNG.sync.read(await readFile(BASELINE));
    const actualPath = join(tmpdir(), 'report-fixture.actual.png');
    if (actual.width !== baseline.width || actual.height !== baseline.height) {
      await writeFile(actualPath, shot);
      expect.fail(
        `layout changed: ${actual.width}×${actual.height} against the baseline's ${baseline.width}×${baseline.height} (actual: ${actualPath})`,
      );
    }
    const diff = new PNG({ width: actual.width, height: actual.height });
    const differing = pixelmatch(actual.data, baseline.data, diff.data, actual.width, actual.height, {
      threshold: PIXEL_THRESHOLD,
    });
    const ratio = differing / (actual.width * actual.height);
    if (ratio > MAX_DIFF_RATIO) {
      const diffPath = join(tmpdir(), 'report-fixture.diff.png');
      await writeFile(actualPath, shot);
      await writeFile(diffPath, PNG.sync.write(diff));
      expect.fail(
        `${differing} pixels differ (${(ratio * 100).toFixed(3)}%; diff: ${diffPath}, actual: ${actualPath})`,
      );
    }
    await page.close();
  });
});
