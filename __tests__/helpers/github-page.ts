/**
 * A job summary as GitHub shows it, for tests that look at it: GitHub-flavoured Markdown rendered
 * by micromark with its GFM extensions (the CommonMark/GFM reference behaviour, raw HTML kept as
 * GitHub keeps it), GitHub's elements allow-list checked, GitHub's Markdown CSS
 * (github-markdown-css) around it, opened in Debian's headless Chromium through playwright-core.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';
import { chromium, type Browser } from 'playwright-core';

const require = createRequire(import.meta.url);

/** GitHub's content column for a job summary on a common laptop screen. */
export const GITHUB_CONTENT_WIDTH = 880;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Elements GitHub's sanitiser keeps in rendered Markdown (its allow-list, as documented by the
 * html-pipeline sanitisation filter GitHub's rendering descends from), less those we never write.
 */
export const GITHUB_ALLOWED_ELEMENTS = new Set([
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'br',
  'b',
  'i',
  'strong',
  'em',
  'a',
  'pre',
  'code',
  'img',
  'tt',
  'div',
  'ins',
  'del',
  'sup',
  'sub',
  'p',
  'ol',
  'ul',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'blockquote',
  'dl',
  'dt',
  'dd',
  'kbd',
  'q',
  'samp',
  'var',
  'hr',
  'ruby',
  'rt',
  'rp',
  'li',
  'tr',
  'td',
  'th',
  's',
  'strike',
  'summary',
  'details',
  'caption',
  'figure',
  'figcaption',
  'abbr',
  'bdo',
  'cite',
  'dfn',
  'mark',
  'small',
  'span',
  'time',
  'wbr',
]);

/** GFM -> HTML the way GitHub parses it (tables, autolink literals, tag filter, raw HTML kept). */
export function renderGfm(markdown: string): string {
  return micromark(markdown, {
    allowDangerousHtml: true,
    extensions: [gfm()],
    htmlExtensions: [gfmHtml()],
  });
}

/** Every element name in `html` (start tags), for the allow-list check. */
export function elementNames(html: string): string[] {
  return Array.from(html.matchAll(/<([a-zA-Z][a-zA-Z0-9-]*)/g), (m) => m[1]!.toLowerCase());
}

/** A page like GitHub's summary box: GitHub's Markdown CSS, light theme, the column's width. */
export function githubPage(bodyHtml: string, width = GITHUB_CONTENT_WIDTH): string {
  const css = readFileSync(require.resolve('github-markdown-css/github-markdown-light.css'), 'utf8');
  return `<!doctype html><html><head><meta charset="utf-8"><style>${css}
html, body { margin: 0; padding: 0; background: #fff; }
.markdown-body { box-sizing: border-box; width: ${width}px; padding: 16px; }
</style></head><body><article class="markdown-body">${bodyHtml}</article></body></html>`;
}

/** Chromium, or a clear reason it cannot run here. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} not found: install Debian's chromium package (.ci/run does), or set CHROMIUM_PATH.`;
}

export async function launchChromium(): Promise<Browser> {
  // Root on CI: Chromium's sandbox needs user namespaces it may not have.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}
