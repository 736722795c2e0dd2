// Headless Chromium for the page tests (dashboard, trade): the Chromium inside the
// @sparticuz/chromium npm package, driven by playwright-core (CHROMIUM_PATH overrides it, e.g.
// /usr/bin/chromium); Playwright gives each launch a fresh temporary profile.
import type { Browser, Page } from 'playwright-core';

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  let executablePath = process.env.CHROMIUM_PATH;
  let args: string[] = [];
  if (!executablePath) {
    const sparticuz = (await import('@sparticuz/chromium')).default;
    executablePath = await sparticuz.executablePath();
    args = sparticuz.args;
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      ...args,
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Width and height from a PNG's IHDR chunk (throws if the bytes are not a PNG). */
export function pngSize(b: Buffer): { width: number; height: number } {
  if (b.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a' || b.subarray(12, 16).toString('ascii') !== 'IHDR')
    throw new Error('not a PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** Distinct colours in a sample of a screenshot's pixels, decoded by the browser itself (a blank page has a handful). */
export async function sampledColours(page: Page, png: Buffer): Promise<number> {
  return (await page.evaluate(`(async () => {
    const img = new Image();
    img.src = 'data:image/png;base64,${png.toString('base64')}';
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return seen.size;
  })()`)) as number;
}
