/// <reference lib="dom" />
/**
 * The job summary as a person sees it on GitHub: the Markdown rendered as GitHub-flavoured
 * Markdown, within GitHub's elements allow-list and CSS, opened in Debian's headless Chromium at
 * the width of GitHub's content column. Nothing may scroll sideways (no table wider than the
 * column), the answer must be above the fold, and a value copied from the page must be the value
 * itself. A screenshot is kept in test-output/ for people to look at.
 *
 * Chromium is required: CI installs it (.ci/run). Only outside CI may SKIP_BROWSER_TESTS=1 skip
 * these tests, and then it says so. The summary is that of the real Invictus incident logs, so
 * these tests belong to the corpus suite (npm run test:corpus), skipped without ../shared/data.
 */
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import {
  chromiumMissing,
  elementNames,
  GITHUB_ALLOWED_ELEMENTS,
  GITHUB_CONTENT_WIDTH,
  githubPage,
  launchChromium,
  renderGfm,
} from '../helpers/github-page.js';
import { invictusSummary, INVICTUS, worstCase } from './job-summary-fixture.js';
import { jqEventIds, inWindow } from '../helpers/jq.js';
import { renderJobSummary } from '../../src/report/job-summary.js';
import { corpusPresent } from '../helpers/corpus.js';

const OUT = path.resolve(__dirname, '../../test-output');
const FOLD_PX = 900;

const missing = chromiumMissing();
const skipLocally = missing !== undefined && process.env.SKIP_BROWSER_TESTS === '1' && !process.env.CI;
if (skipLocally) console.warn(`SKIPPED the job summary browser tests: ${missing}`);

interface Layout {
  documentWidth: number;
  viewport: number;
  /** Elements whose content is wider than their box (a scrollbar, or content cut off). */
  overflowing: Array<{ tag: string; scrollWidth: number; clientWidth: number; text: string }>;
}

async function open(browser: Browser, markdown: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: GITHUB_CONTENT_WIDTH, height: FOLD_PX } });
  await page.setContent(githubPage(renderGfm(markdown)));
  return page;
}

/**
 * Opens every <details> block (their content must fit too), then measures. Code blocks (the
 * filter as given) keep their lines and scroll inside their box, as GitHub shows all code.
 */
async function layout(page: Page): Promise<Layout> {
  return page.evaluate(() => {
    document.querySelectorAll('details').forEach((d) => {
      d.open = true;
    });
    const overflowing = [...document.querySelectorAll('.markdown-body *')]
      .filter((el) => el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && !el.closest('pre'))
      .map((el) => ({
        tag: el.tagName.toLowerCase(),
        scrollWidth: el.scrollWidth,
        clientWidth: el.clientWidth,
        text: (el.textContent ?? '').slice(0, 120),
      }));
    return {
      documentWidth: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      overflowing,
    };
  });
}

/** The text of what is visible without scrolling (details closed, as the page opens). */
async function aboveTheFold(page: Page): Promise<string> {
  return page.evaluate((fold) => {
    const parts: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const rect = range.getBoundingClientRect();
      if (rect.height > 0 && rect.bottom <= fold) parts.push(node.textContent ?? '');
    }
    return parts.join(' ').replace(/\s+/g, ' ');
  }, FOLD_PX);
}

/** What the clipboard gets when a person selects the element's text and copies it. */
async function copiedText(page: Page, selector: string, index = 0): Promise<string> {
  return page.evaluate(
    ({ selector, index }) => {
      const el = document.querySelectorAll(selector)[index]!;
      const range = document.createRange();
      range.selectNodeContents(el);
      const selection = window.getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
      return selection.toString();
    },
    { selector, index },
  );
}

describe.skipIf(skipLocally || !corpusPresent)('the job summary in Chromium, as GitHub shows it', () => {
  let browser: Browser;

  beforeAll(async () => {
    expect(missing, missing).toBeUndefined();
    browser = await launchChromium();
    mkdirSync(OUT, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('a real investigation (every built-in rule and a correlation) reads at a glance and fits the column', async () => {
    const { markdown } = await invictusSummary(50);
    const html = renderGfm(markdown);
    // Only elements GitHub keeps: what we write survives its sanitiser as written.
    expect(elementNames(html).filter((n) => !GITHUB_ALLOWED_ELEMENTS.has(n))).toEqual([]);

    const page = await open(browser, markdown);
    await page.screenshot({ path: path.join(OUT, 'job-summary.png'), fullPage: true });
    await page.screenshot({ path: path.join(OUT, 'job-summary-fold.png') });

    // Above the fold: the verdict, the levels, who, from where, when, and the high-level rules.
    const files = readdirSync(INVICTUS).map((f) => path.join(INVICTUS, f));
    const day = inWindow('2023-07-10T00:00:00Z', '2023-07-11T00:00:00Z');
    const stops = await jqEventIds(files, `${day} and .eventName == "StopLogging"`);
    const deletes = await jqEventIds(files, `${day} and .eventName == "DeleteTrail"`);
    const fold = await aboveTheFold(page);
    expect(fold).toContain('CloudTrail investigation: 🔴 matched');
    expect(fold).toContain('The step fails:');
    expect(fold).toMatch(/Levels: 🔴 high \d+ · 🟠 medium \d+/);
    expect(fold).toContain('Who: bert-jan');
    expect(fold).toContain('From: 192.168.10.20');
    expect(fold).toContain('When: 2023-07-10');
    expect(fold).toMatch(new RegExp(`🔴 high CloudTrail logging stopped \\( ref \\) ${stops.length} `));
    expect(fold).toMatch(new RegExp(`🔴 high CloudTrail trail deleted \\( ref \\) ${deletes.length} `));
    // No header row without text (GitHub draws it as an empty grey bar).
    const emptyHeaders = await page.$$eval('th', (ths) => ths.filter((th) => !th.textContent?.trim()).length);
    expect(emptyHeaders).toBe(0);

    // The matches table starts with the high-level matches (StopLogging, DeleteTrail…).
    const firstLevels = await page.$$eval('h3 + p + table tbody tr td:first-child', (tds) =>
      tds.slice(0, 3).map((td) => td.textContent),
    );
    expect(firstLevels).toContain('🔴\u00a0high');

    const measured = await layout(page);
    expect(measured.documentWidth).toBeLessThanOrEqual(measured.viewport);
    expect(measured.overflowing).toEqual([]);
    await page.screenshot({ path: path.join(OUT, 'job-summary-details-open.png'), fullPage: true });
    await page.close();
  });

  it('fits the column whatever the values: long ARNs, IPv6, user agents, rule titles, groups', async () => {
    const markdown = renderJobSummary(worstCase());
    const page = await open(browser, markdown);
    const measured = await layout(page);
    await page.screenshot({ path: path.join(OUT, 'job-summary-long-values.png'), fullPage: true });
    expect(measured.documentWidth).toBeLessThanOrEqual(measured.viewport);
    expect(measured.overflowing).toEqual([]);
    await page.close();
  });

  it('copies a value as it is: no invisible character, no mention, no link made of it', async () => {
    const who = 'AWSReservedSSO_Admin_0123456789abcdef/alice@example.com';
    const input = worstCase({ who, ip: '2001:db8:85a3::8a2e:370:7334' });
    const markdown = renderJobSummary(input);
    const page = await open(browser, markdown);
    const cells = await page.$$eval('td', (tds) => tds.map((td) => td.textContent));
    const index = cells.indexOf(who);
    expect(index, 'the principal cell shows the value itself').toBeGreaterThanOrEqual(0);
    expect(await copiedText(page, 'td', index)).toBe(who);
    expect(cells).toContain('2001:db8:85a3::8a2e:370:7334');
    expect(await copiedText(page, 'td', cells.indexOf('2001:db8:85a3::8a2e:370:7334'))).toBe(
      '2001:db8:85a3::8a2e:370:7334',
    );
    // The values made no link (mailto, www, https) and hold no zero-width character: the only
    // links are the artifact's and the rules' references.
    const ours = new Set([input.artifact!.url, ...(input.summary.rules ?? []).flatMap((r) => r.references)]);
    const links = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
    expect(links.filter((href) => !ours.has(href ?? ''))).toEqual([]);
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).not.toMatch(/[\u200b-\u200d\u2060\ufeff]/);
    await page.close();
  });
});
