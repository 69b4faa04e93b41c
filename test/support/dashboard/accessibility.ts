/**
 * Accessibility checks run in the page: every image has alt text, every form control a label, every
 * button a name, and text meets WCAG AA contrast (4.5:1) against the background it is drawn on.
 * (The check runs in the browser, so it is source text here: this project's TypeScript has no DOM types.)
 */
import type { Page } from 'playwright-core';

export interface AccessibilityReport {
  readonly unlabelled: string[];
  readonly lowContrast: string[];
}

const CHECK = `(() => {
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r = 0, g = 0, b = 0]) => {
    const lin = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      const alpha = c.length === 4 ? c[3] : 1;
      if (alpha > 0.5) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const name = (el) => el.tagName.toLowerCase() + ' "' + (el.textContent || el.getAttribute('src') || '').trim().slice(0, 40) + '"';
  const unlabelled = [];
  for (const img of document.querySelectorAll('img')) if (!img.getAttribute('alt')) unlabelled.push(name(img));
  for (const input of document.querySelectorAll('input, select, textarea'))
    if (!input.getAttribute('aria-label') && !input.closest('label') && !(input.id && document.querySelector('label[for="' + input.id + '"]')))
      unlabelled.push(name(input));
  for (const button of document.querySelectorAll('button'))
    if (!(button.textContent || '').trim() && !button.getAttribute('aria-label')) unlabelled.push(name(button));
  const lowContrast = [];
  for (const el of document.querySelectorAll('h1, h2, p, a, th, td, dt, dd, li, label, button, span.state, caption, figcaption')) {
    // Only text drawn by the element itself (a direct text node): its children are checked on their own.
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!el.getClientRects().length || !own) continue;
    const fg = luminance(rgb(getComputedStyle(el).color));
    const bg = luminance(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) lowContrast.push(name(el) + ' ' + ratio.toFixed(2) + ':1');
  }
  return { unlabelled, lowContrast };
})()`;

export function checkAccessibility(page: Page): Promise<AccessibilityReport> {
  return page.evaluate<AccessibilityReport>(CHECK);
}
