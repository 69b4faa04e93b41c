import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTAINERS } from '../../src/core/jobNaming.js';
import { readBlobText } from '../../src/usecases/readBlobText.js';
import { checkAccessibility } from '../support/dashboard/accessibility.js';
import { openBrowser, type Browser } from '../support/dashboard/browser.js';
import { openDashboardWorld, type DashboardWorld } from '../support/dashboard/dashboardWorld.js';

/**
 * Polls an expression in the page from here. Playwright's waitForFunction with a string polls it
 * with eval inside the page, which the dashboard's Content-Security-Policy (no 'unsafe-eval')
 * refuses whenever the first check is false; page.evaluate is not subject to it.
 */
async function pageUntil(
  page: { evaluate(expression: string): Promise<unknown> },
  expression: string,
  timeoutMs = 30_000,
): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await page.evaluate(expression));) {
    if (Date.now() > deadline) throw new Error(`never true in the page: ${expression}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The dashboard in real headless Chromium, over real jobs run by the test: each page shows their
 * data, keeps to the accessibility basics, and is kept as a screenshot in test-artifacts/dashboard.
 */
describe('the dashboard served by `tessera up`, in headless Chromium', { timeout: 180_000 }, () => {
  let world: DashboardWorld;
  let browser: Browser;

  beforeAll(async () => {
    world = await openDashboardWorld();
    browser = await openBrowser();
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  const open = async (hash: string) => {
    await browser.page.goto(`${world.base}/${hash}`);
    await browser.page.waitForSelector('main h1');
  };
  const expectAccessible = async () => {
    const report = await checkAccessibility(browser.page);
    expect(report).toEqual({ unlabelled: [], lowContrast: [] });
  };

  it('without the token it says how to sign in; the /login link signs the browser in', async () => {
    await browser.page.goto(`${world.base}/`);
    await browser.page.waitForSelector('main .notice');
    expect(await browser.page.textContent('main')).toContain('Not signed in');
    await browser.page.goto(`${world.base}/login?token=${world.token}`);
    await browser.page.waitForSelector('#jobs table');
    expect(browser.page.url()).toBe(`${world.base}/`);
  });

  it('jobs: every job with its state and progress; keyboard users reach the content and a job by Tab and Enter', async () => {
    await open('#/');
    await browser.page.waitForSelector(`a[href="#/jobs/${world.jobs.stream}"]`);
    const text = (await browser.page.textContent('main')) ?? '';
    for (const id of Object.values(world.jobs)) expect(text).toContain(id);
    expect(await browser.page.locator('progress').count()).toBe(4);
    await browser.screenshot('jobs');
    await expectAccessible();

    // A fresh load: the first Tab reaches the skip link, Enter puts focus on the content.
    await browser.page.reload();
    await browser.page.waitForSelector(`a[href="#/jobs/${world.jobs.stream}"]`);
    await browser.page.keyboard.press('Tab');
    expect(await browser.page.evaluate('document.activeElement.textContent')).toBe('Skip to content');
    await browser.page.keyboard.press('Enter');
    expect(await browser.page.evaluate('document.activeElement.id')).toBe('main');
    expect(browser.page.url()).toBe(`${world.base}/#/`);
    // Then Tab walks the filters and the job links in order, and Enter opens a job.
    await browser.page.keyboard.press('Tab');
    expect(await browser.page.evaluate('document.activeElement.name')).toBe('state');
    for (let i = 0; i < 20; i++) {
      await browser.page.keyboard.press('Tab');
      const href = await browser.page.evaluate("document.activeElement.getAttribute('href')");
      if (href === `#/jobs/${world.jobs.anomaly}`) break;
    }
    await browser.page.keyboard.press('Enter');
    await browser.page.waitForSelector(`main h1:has-text("Job ${world.jobs.anomaly}")`);
  });

  it('an anomaly job: shards, lineage, a plot per series with scores and anomalies marked, and its results downloaded', async () => {
    await open(`#/jobs/${world.jobs.anomaly}`);
    const { series } = (await (
      await fetch(`${world.base}/api/jobs/${world.jobs.anomaly}/series`, {
        headers: { authorization: `Bearer ${world.token}` },
      })
    ).json()) as { series: { device: string; tag: string; anomalies: number }[] };
    await browser.page.waitForSelector('figure[data-series] canvas');
    expect(await browser.page.locator('figure[data-series]').count()).toBe(series.length);
    expect(await browser.page.locator('figure[data-series] canvas').count()).toBe(series.length);
    const first = series[0]!;
    expect(
      await browser.page.getAttribute(`figure[data-series="${first.device}/${first.tag}"] .plot`, 'aria-label'),
    ).toMatch(new RegExp(`${first.anomalies} anomalies`));
    const text = (await browser.page.textContent('main')) ?? '';
    expect(text).toContain('ocsvm-1-1@1');
    expect(text).toContain('succeeded');
    expect(text).toMatch(/Shards\d+ shard\(s\)/);
    await browser.screenshot('job-anomaly');
    await expectAccessible();

    const [download] = await Promise.all([
      browser.page.waitForEvent('download'),
      browser.page.click('a[download="scores.csv"]'),
    ]);
    const path = await download.path();
    expect(readFileSync(path, 'utf8')).toBe(
      await readBlobText(world.ctx.blobs, CONTAINERS.results, `${world.jobs.anomaly}/scores.csv`),
    );
  });

  it('a video job: before/after frames of several ranges, and its stage timings', async () => {
    await open(`#/jobs/${world.jobs.video}`);
    await browser.page.waitForSelector('.thumbs img');
    await pageUntil(
      browser.page,
      "[...document.querySelectorAll('.thumbs img')].every((i) => i.complete && i.naturalWidth > 0)",
    );
    const frames = await browser.page.locator('.thumbs figure').count();
    expect(frames).toBeGreaterThanOrEqual(3);
    expect(await browser.page.locator('.thumbs img').count()).toBe(frames * 2);
    expect(await browser.page.getAttribute('.thumbs img >> nth=0', 'alt')).toMatch(/^frame \d+ before styling$/);
    const text = (await browser.page.textContent('main')) ?? '';
    expect(text).toContain('Stage timings');
    expect(text).toMatch(/model\d+/);
    expect(text).toContain('clip.styled.mp4');
    await browser.screenshot('job-video');
    await expectAccessible();
  });

  it('dead letters: the range of the corrupt model, with its job and reason, re-driven from the page', async () => {
    await open('#/deadletters');
    await browser.page.waitForSelector('section table');
    const text = (await browser.page.textContent('main')) ?? '';
    expect(text).toContain(world.jobs.deadLettered);
    expect(text).toContain('fragile');
    await browser.screenshot('deadletters');
    await expectAccessible();
    await browser.page
      .getByLabel(/re-drive message \d+/)
      .first()
      .check();
    await browser.page.getByRole('button', { name: 'Re-drive chosen' }).click();
    await pageUntil(browser.page, "document.getElementById('announce').textContent.includes('sent back to the queue')");
    expect(await browser.page.textContent('#announce')).toMatch(/^1 message\(s\) of jobs chosen sent back/);
  });

  it("stream: the runs, and a run's windows with the revision a late reading made", async () => {
    await open('#/stream');
    await browser.page.waitForSelector(`a[href="#/jobs/${world.jobs.stream}"]`);
    expect((await browser.page.textContent('main')) ?? '').toContain(world.jobs.stream);
    await browser.screenshot('stream');
    await expectAccessible();

    await open(`#/jobs/${world.jobs.stream}`);
    await browser.page.waitForSelector('tr.revised');
    const revised = await browser.page.locator('tr.revised').allTextContents();
    expect(revised.length).toBeGreaterThanOrEqual(1);
    expect(revised[0]).toMatch(/^1\/1.*2/);
    expect(await browser.page.locator('figure[data-series="1/1"] canvas').count()).toBe(1);
    await browser.screenshot('stream-run');
    await expectAccessible();
  });

  it('kept a screenshot of every page', () => {
    for (const name of ['jobs', 'job-anomaly', 'job-video', 'deadletters', 'stream', 'stream-run'])
      expect(existsSync(`test-artifacts/dashboard/${name}.png`), name).toBe(true);
  });
});
