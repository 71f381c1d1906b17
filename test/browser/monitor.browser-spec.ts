import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page, Request, Route } from 'playwright-core';
import sharp from 'sharp';
import { describeWithBrowser, launchBrowser } from './support/browser';
import {
  isTerminal,
  JobRecord,
  MonitorServer,
  pngDataUrl,
  rectanglePng,
  solidPng,
  startMonitorServer,
} from './support/monitor-server';

// Browser globals used inside page callbacks (the tsconfig has no DOM lib).
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const navigator: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const localStorage: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const sessionStorage: any; // eslint-disable-line @typescript-eslint/no-explicit-any

jest.setTimeout(30_000);

const LIST_ITEMS = '#ai-backend-jobs-list li.backend-job-item';
const isListRequest = (url: URL): boolean => url.pathname === '/jobs';
/** Where the layout test leaves its screenshots (look at them when changing the CSS). */
const SCREENSHOT_DIR = process.env.BDI_SCREENSHOT_DIR ?? os.tmpdir();

interface ListBody {
  items: JobRecord[];
  nextCursor: string | null;
}

/** Waits until the element's text equals `expected` (or matches it); on timeout, says what the text was. */
async function waitForText(page: Page, selector: string, expected: string | RegExp, timeout = 8000): Promise<string> {
  const spec =
    typeof expected === 'string'
      ? { selector, text: expected, source: null, flags: '' }
      : { selector, text: null, source: expected.source, flags: expected.flags };
  try {
    await page.waitForFunction(
      ({ selector: sel, text, source, flags }) => {
        const actual = document.querySelector(sel)?.textContent ?? '';
        return source === null ? actual === text : new RegExp(source, flags).test(actual);
      },
      spec,
      { timeout },
    );
  } catch (error) {
    const actual = await page.locator(selector).first().textContent().catch(() => null);
    throw new Error(`${selector}: expected ${String(expected)}, got ${JSON.stringify(actual)} (${String(error)})`);
  }
  return (await page.locator(selector).first().textContent()) ?? '';
}

function rowIds(page: Page): Promise<string[]> {
  return page.$$eval(`${LIST_ITEMS} .backend-job-id`, (nodes) => nodes.map((node) => node.textContent ?? ''));
}

function row(page: Page, jobId: string) {
  return page.locator(LIST_ITEMS).filter({ has: page.locator('.backend-job-id', { hasText: jobId }) });
}

async function rowButtons(page: Page, jobId: string): Promise<string[]> {
  return row(page, jobId).locator('.backend-job-actions button.backend-job-action').allTextContents();
}

/** Waits for a row of this job whose badge reads `status`. */
async function waitForRowStatus(page: Page, jobId: string, status: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction(
    ({ id, wanted }) =>
      [...document.querySelectorAll('#ai-backend-jobs-list li.backend-job-item')].some(
        (item) =>
          item.querySelector('.backend-job-id')?.textContent === id &&
          item.querySelector('.backend-job-badge')?.textContent === wanted,
      ),
    { id: jobId, wanted: status },
    { timeout },
  );
}

function pathAndQuery(request: Request): string {
  const url = new URL(request.url());
  return url.pathname + url.search;
}

describeWithBrowser('jobs monitor page (/monitor)', () => {
  let server: MonitorServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let grayPng: string;
  /** Jobs requested by the page, as path + query, in order. */
  let listRequests: string[];

  async function openMonitor(target: Page = page, pathname = '/monitor/'): Promise<void> {
    await target.goto(server.baseUrl + pathname);
    await waitForText(target, '#ai-backend-jobs-updated', /^Last update: (?!—).+/);
  }

  async function api<T>(method: string, urlPath: string, body?: unknown): Promise<T> {
    return (await server.api<T>(method, urlPath, body)).body;
  }

  beforeAll(async () => {
    [server, browser] = await Promise.all([startMonitorServer(), launchBrowser()]);
    grayPng = await pngDataUrl(solidPng(64, 64, [220, 220, 220]));
    // Ten finished jobs, more than one page of 8: seven done and three failed (a bad image fails when it runs).
    const ids: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const imageBase64 = i % 4 === 1 ? 'nope' : grayPng;
      ids.push(await server.createJob({ task: 'detect-objects', imageBase64 }));
    }
    await Promise.all(ids.map((id) => server.waitForStatus(id, isTerminal)));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    listRequests = [];
    page.on('request', (request) => {
      if (isListRequest(new URL(request.url()))) listRequests.push(pathAndQuery(request));
    });
  });

  afterEach(async () => {
    await context?.close();
  });

  test('lists jobs newest first in the order of GET /jobs, with badges, meta and actions by status', async () => {
    await openMonitor();
    const expected = await api<ListBody>('GET', '/jobs?limit=8');

    expect(listRequests[0]).toBe('/jobs?limit=8');
    expect(await rowIds(page)).toEqual(expected.items.map((item) => item.jobId));
    for (const item of expected.items) {
      const badge = row(page, item.jobId).locator('.backend-job-badge');
      expect(await badge.textContent()).toBe(item.status);
      expect(await badge.getAttribute('class')).toContain(`status-${item.status}`);
      const meta = await row(page, item.jobId).locator('.backend-job-meta').textContent();
      expect(meta).toBe(item.error ? `error: ${item.error}` : `task: ${item.task}`);
      expect(await rowButtons(page, item.jobId)).toEqual(
        item.status === 'done' ? ['Details', 'Open result', 'Copy JSON'] : ['Details', 'Retry'],
      );
    }
    expect(await page.textContent('#ai-backend-jobs-pagination')).toBe('Jobs page: 1 | filter: all | items: 8');
    expect(await page.textContent('#ai-backend-jobs-warning')).toBe('Warning: none');
    expect(await page.getAttribute('#ai-backend-jobs-warning', 'class')).toContain('is-ok');
    expect(await page.textContent('#ai-backend-jobs-detail')).toBe('Job details: —');
    expect(await page.isDisabled('#ai-backend-jobs-prev')).toBe(true);
    expect(await page.isDisabled('#ai-backend-jobs-next')).toBe(false);
    expect(await page.inputValue('#ai-backend-url')).toBe(server.baseUrl);

    // Keyboard focus on a row button survives the re-render of a refresh.
    const second = expected.items[1].jobId;
    await row(page, second).locator('button.backend-job-action', { hasText: 'Details' }).focus();
    const refreshed = page.waitForResponse((response) => isListRequest(new URL(response.url())));
    await page.evaluate(() => document.getElementById('ai-backend-jobs-refresh').click());
    await refreshed;
    await page.waitForFunction(() => document.querySelector('#ai-backend-jobs-list')?.getAttribute('aria-busy') !== 'true');
    expect(
      await page.evaluate(() => [document.activeElement?.dataset?.jobId, document.activeElement?.textContent]),
    ).toEqual([second, 'Details']);
  });

  test('pages forward and back through a cursor stack that includes page 1', async () => {
    await openMonitor();
    const first = await api<ListBody>('GET', '/jobs?limit=8');
    const second = await api<ListBody>('GET', `/jobs?limit=8&cursor=${encodeURIComponent(first.nextCursor ?? '')}`);

    await page.click('#ai-backend-jobs-next');
    await waitForText(page, '#ai-backend-jobs-pagination', 'Jobs page: 2 | filter: all | items: 2');
    expect(listRequests.at(-1)).toBe(`/jobs?limit=8&cursor=${encodeURIComponent(first.nextCursor ?? '')}`);
    expect(await rowIds(page)).toEqual(second.items.map((item) => item.jobId));
    expect(await page.isDisabled('#ai-backend-jobs-next')).toBe(true);
    expect(await page.isDisabled('#ai-backend-jobs-prev')).toBe(false);

    await page.click('#ai-backend-jobs-prev');
    await waitForText(page, '#ai-backend-jobs-pagination', 'Jobs page: 1 | filter: all | items: 8');
    expect(listRequests.at(-1)).toBe('/jobs?limit=8');
    expect(await rowIds(page)).toEqual(first.items.map((item) => item.jobId));
    expect(await page.isDisabled('#ai-backend-jobs-prev')).toBe(true);
  });

  test('filters by status and shows an empty state when nothing matches', async () => {
    await openMonitor();
    const failed = await api<ListBody>('GET', '/jobs?status=failed&limit=8');

    await page.selectOption('#ai-backend-jobs-filter', 'failed');
    await waitForText(page, '#ai-backend-jobs-pagination', `Jobs page: 1 | filter: failed | items: ${failed.items.length}`);
    expect(listRequests.at(-1)).toBe('/jobs?status=failed&limit=8');
    expect(await rowIds(page)).toEqual(failed.items.map((item) => item.jobId));
    expect(new Set(await page.locator(`${LIST_ITEMS} .backend-job-badge`).allTextContents())).toEqual(new Set(['failed']));

    await page.selectOption('#ai-backend-jobs-filter', 'timeout');
    await waitForText(page, '#ai-backend-jobs-pagination', 'Jobs page: 1 | filter: timeout | items: 0');
    expect(await page.locator(LIST_ITEMS).count()).toBe(0);
    expect(await page.textContent('#ai-backend-jobs-list li')).toBe('No backend jobs for the selected filter.');
  });

  test('cancels a running job and the row turns canceled with a Retry action', async () => {
    const jobId = await server.createJob({ task: 'detect-objects', imageBase64: grayPng, debugSleepMs: 60_000 });
    try {
      await server.waitForStatus(jobId, (status) => status === 'running');
      await openMonitor();
      const cancel = row(page, jobId).locator('button.backend-job-action', { hasText: 'Cancel' });
      expect(await cancel.getAttribute('class')).toContain('danger');
      expect(await rowButtons(page, jobId)).toEqual(['Details', 'Cancel']);

      const posted = page.waitForRequest((request) => pathAndQuery(request) === `/jobs/${jobId}/cancel`);
      await cancel.click();
      expect((await posted).method()).toBe('POST');
      await waitForText(page, '#ai-backend-job-status', `Backend job ${jobId}: canceled`);
      const detail = await page.textContent('#ai-backend-jobs-detail');
      expect(detail).toContain('status=canceled');
      expect(detail).toContain('updated=cancel');
      await waitForRowStatus(page, jobId, 'canceled');
      expect(await row(page, jobId).locator('.backend-job-meta').textContent()).toBe('error: job canceled by user');
      expect(await rowButtons(page, jobId)).toEqual(['Details', 'Retry']);
      expect((await api<JobRecord>('GET', `/jobs/${jobId}`)).status).toBe('canceled');
    } finally {
      await server.api('POST', `/jobs/${jobId}/cancel`);
    }
  });

  test('Copy JSON puts the pretty-printed GET /jobs/{id}/result body on the clipboard', async () => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.baseUrl });
    await openMonitor();
    const done = (await api<ListBody>('GET', '/jobs?status=done&limit=1')).items[0];

    await row(page, done.jobId).locator('button.backend-job-action', { hasText: 'Copy JSON' }).click();
    await waitForText(page, '#ai-backend-job-status', `Backend job ${done.jobId}: result JSON copied`);
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    const result = await api<unknown>('GET', `/jobs/${done.jobId}/result`);
    expect(clipboard).toBe(JSON.stringify(result, null, 2));
  });

  test('Open result lists the detected objects and draws them, and Details shows the full job record', async () => {
    await openMonitor();
    const done = (await api<ListBody>('GET', '/jobs?status=done&limit=1')).items[0];
    const result = await api<{ objects: Array<Record<string, number | string>>; modelVersion: string }>(
      'GET',
      `/jobs/${done.jobId}/result`,
    );

    await row(page, done.jobId).locator('button.backend-job-action', { hasText: 'Open result' }).click();
    await waitForText(page, '#ai-backend-job-status', `Backend job ${done.jobId}: result loaded`);
    const detail = (await page.textContent('#ai-backend-jobs-detail')) ?? '';
    expect(detail).toContain(`objects=${result.objects.length} | model=${result.modelVersion} | requestId=`);
    const lines = await page.locator('#ai-backend-result-list li').allTextContents();
    expect(lines).toEqual(
      result.objects.length === 0
        ? ['No objects found.']
        : result.objects.map(
            (o, i) =>
              `Object ${i + 1}: ${o.label} (${Math.round(Number(o.score) * 100)}%), ${o.width}x${o.height} px at (${o.x}, ${o.y})`,
          ),
    );
    expect(await page.isVisible('#ai-backend-result-canvas')).toBe(true);
    expect(await row(page, done.jobId).getAttribute('class')).toContain('is-active');

    await row(page, done.jobId).locator('button.backend-job-action', { hasText: 'Details' }).click();
    await waitForText(page, '#ai-backend-job-status', `Backend job ${done.jobId}: details loaded`);
    expect(await page.textContent('#ai-backend-jobs-detail')).toBe(
      `Job details: ${done.jobId} | status=done | created=${done.createdAt} | started=${done.startedAt} | finished=${done.finishedAt}`,
    );
    const fields = await page.locator('#ai-backend-jobs-detail-fields dt').allTextContents();
    expect(fields).toEqual(expect.arrayContaining(['jobId', 'status', 'task', 'createdAt', 'requestId']));
  });

  test('Retry re-submits a failed job on the server and the new job appears in the list', async () => {
    await openMonitor();
    const failed = (await api<ListBody>('GET', '/jobs?status=failed&limit=1')).items[0];

    const retried = page.waitForResponse((response) => pathAndQuery(response.request()) === `/jobs/${failed.jobId}/retry`);
    await row(page, failed.jobId).locator('button.backend-job-action', { hasText: 'Retry' }).click();
    const accepted = (await (await retried).json()) as { jobId: string };
    expect(accepted.jobId).not.toBe(failed.jobId);
    await waitForText(page, '#ai-backend-job-status', new RegExp(`${accepted.jobId}`));
    await waitForRowStatus(page, accepted.jobId, 'failed');
    expect((await rowIds(page))[0]).toBe(accepted.jobId);
    expect((await api<JobRecord>('GET', `/jobs/${accepted.jobId}`)).retryOf).toBe(failed.jobId);
  });

  test('the form submits an uploaded PNG as a job that appears, finishes and shows its boxes over the image', async () => {
    const png = await rectanglePng(160, 120, [40, 30, 60, 40]);
    await openMonitor();
    await page.setInputFiles('#job-image', { name: 'part.png', mimeType: 'image/png', buffer: png });
    await page.fill('#job-min-score', '0.3');

    const posted = page.waitForRequest((request) => request.method() === 'POST' && pathAndQuery(request) === '/jobs');
    const answered = page.waitForResponse((response) => response.request().method() === 'POST' && pathAndQuery(response.request()) === '/jobs');
    await page.click('#job-submit');
    const body = (await posted).postDataJSON() as Record<string, unknown>;
    expect(body).toEqual({ task: 'detect-objects', imageBase64: `data:image/png;base64,${png.toString('base64')}`, minScore: 0.3 });
    const { jobId } = (await (await answered).json()) as { jobId: string };

    await waitForRowStatus(page, jobId, 'done');
    await waitForText(page, '#ai-backend-job-status', `Backend job ${jobId}: done`);
    expect((await rowIds(page))[0]).toBe(jobId);

    await row(page, jobId).locator('button.backend-job-action', { hasText: 'Open result' }).click();
    await waitForText(page, '#ai-backend-job-status', `Backend job ${jobId}: result loaded`);
    expect(await page.textContent('#ai-backend-result-image-note')).toContain('stored job request (from the job API)');
    const size = await page.$eval('#ai-backend-result-canvas', (canvas) => {
      const scale = Number(canvas.dataset.scale);
      return [canvas.width / scale, canvas.height / scale];
    });
    expect(size).toEqual([160, 120]); // drawn at the uploaded image's size (zoomed by an integer scale)
  });

  test('an inspection (infer) result shows score, decision, the heatmap over the submitted image, and its regions', async () => {
    // The inspection engine needs a fitted model; the job API is faked at the network boundary to render a result.
    const crop = await solidPng(96, 72, [128, 128, 128]);
    const heat = Buffer.alloc(96 * 72, 0);
    for (let y = 30; y < 45; y += 1) heat.fill(255, y * 96 + 40, y * 96 + 60);
    const heatmap = (await sharp(heat, { raw: { width: 96, height: 72, channels: 1 } }).png().toBuffer()).toString('base64');
    const job = { jobId: 'infer-job-1', status: 'done', task: 'infer', createdAt: '2026-01-01T00:00:00.000Z', startedAt: '2026-01-01T00:00:00.010Z', finishedAt: '2026-01-01T00:00:00.900Z', error: null };
    // Score and threshold differ only in the fifth digit: the monitor must not round them to the same 0.2547.
    const result = { score: 0.2547123, threshold: 0.25467, decision: 'ng', token_shape: [32, 32], heatmap_png_base64: heatmap, regions: [{ bbox: [40, 30, 20, 15], area_px: 300, area_mm2: 12, contour: [], x: 40, y: 30, w: 20, h: 15 }], request_id: 'req-1', recipe_id: 'default', jobId: job.jobId };
    let created: Record<string, unknown> | null = null;
    await page.route(
      (url) => url.pathname === '/jobs' || url.pathname.startsWith('/jobs/'),
      (route) => {
        const url = new URL(route.request().url());
        const json = (body: unknown) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
        if (route.request().method() === 'POST') {
          created = route.request().postDataJSON() as Record<string, unknown>;
          return json({ jobId: job.jobId, status: 'pending', acceptedAt: job.createdAt, requestId: 'r' });
        }
        if (url.pathname === '/jobs') return json({ items: created ? [job] : [], nextCursor: null, requestId: 'r' });
        if (url.pathname.endsWith('/result')) return json(result);
        return json({ ...job, requestId: 'r' });
      },
    );
    await openMonitor();
    await page.selectOption('#job-task', 'infer');
    await page.setInputFiles('#job-image', { name: 'crop.png', mimeType: 'image/png', buffer: crop });
    await page.fill('#job-role-id', 'Master');
    await page.fill('#job-roi-id', 'Pattern');
    await page.fill('#job-mm-per-px', '0.2');
    await page.fill('#job-shape', '{"kind":"circle","cx":48,"cy":36,"r":34}');
    await page.click('#job-submit');
    await waitForRowStatus(page, job.jobId, 'done');
    expect(created).toEqual({
      task: 'infer',
      imageBase64: `data:image/png;base64,${crop.toString('base64')}`,
      role_id: 'Master',
      roi_id: 'Pattern',
      mm_per_px: 0.2,
      shape: { kind: 'circle', cx: 48, cy: 36, r: 34 },
      include_heatmap: true,
      heatmap_scale: 'absolute',
    });

    await row(page, job.jobId).locator('button.backend-job-action', { hasText: 'Open result' }).click();
    await waitForText(page, '#ai-backend-job-status', `Backend job ${job.jobId}: result loaded`);
    expect(await page.textContent('#ai-backend-result-decision')).toBe('Decision: NG | score 0.2547123 | threshold 0.25467');
    expect(await page.textContent('#ai-backend-jobs-detail')).toContain('score=0.2547123 | threshold=0.25467 | decision=ng | regions=1 | requestId=req-1');
    expect(await page.locator('#ai-backend-result-list li').allTextContents()).toEqual(['Region 1: 20x15 px at (40, 30) | area 300 px | 12 mm²']);
    expect(await page.textContent('#ai-backend-result-image-note')).toContain('snapshot kept by this page when the job was submitted (PNG, data URL)');
    // This faked result carries no legend (as an older backend's): the scale is said to be unknown, per image.
    expect(await page.textContent('#ai-backend-result-legend-text')).toBe(
      'Heatmap scale: not given by the backend — a per-image stretch; colours do not compare across images.',
    );
    expect(await page.isVisible('#ai-backend-result-legend-mark')).toBe(false);
    await page.locator('#ai-backend-result-canvas-box').screenshot({ path: path.join(SCREENSHOT_DIR, 'bdi-monitor-infer-result.png') });

    // The colour at the centre of image pixel (x, y), whatever the zoom.
    const pixel = (x: number, y: number) =>
      page.$eval(
        '#ai-backend-result-canvas',
        (canvas, [px, py]) => {
          const scale = Number(canvas.dataset.scale);
          const at = (v: number) => Math.floor((v + 0.5) * scale);
          return [...canvas.getContext('2d').getImageData(at(px), at(py), 1, 1).data];
        },
        [x, y],
      );
    const hot = await pixel(50, 37);
    expect(hot[0] - hot[2]).toBeGreaterThan(40); // heat colour (yellow) over the gray crop
    expect(await pixel(2, 2)).toEqual([128, 128, 128, 255]); // outside the mask: the input image itself
    await page.uncheck('#ai-backend-result-show-overlay');
    expect(await pixel(50, 37)).toEqual([128, 128, 128, 255]);
  });

  test('Retry falls back to replaying the page snapshot when the backend has no retry route', async () => {
    await openMonitor();
    await page.setInputFiles('#job-image', { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('hello') });
    await page.fill('#job-idempotency-key', 'bench-7');
    const answered = page.waitForResponse((response) => response.request().method() === 'POST' && pathAndQuery(response.request()) === '/jobs');
    await page.click('#job-submit');
    const original = (await (await answered).json()) as { jobId: string };
    await waitForRowStatus(page, original.jobId, 'failed');

    await page.route(
      (url) => url.pathname.endsWith('/retry'),
      (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"detail":"Not Found"}' }),
    );
    const replayed = page.waitForRequest((request) => request.method() === 'POST' && pathAndQuery(request) === '/jobs');
    await row(page, original.jobId).locator('button.backend-job-action', { hasText: 'Retry' }).click();
    const body = (await replayed).postDataJSON() as Record<string, unknown>;
    expect(body.imageBase64).toBe(`data:image/png;base64,${Buffer.from('hello').toString('base64')}`);
    expect(body.minScore).toBe(0.35);
    expect(body.idempotencyKey).toMatch(/^bench-7\|retry\|\d{13}$/);
    await waitForText(page, '#ai-backend-jobs-detail', /\| retry=scheduled \| source=original-snapshot$/);
  });

  test('a failing backend keeps the rows and the last update time, warns, and recovers on the next poll', async () => {
    await openMonitor();
    const idsBefore = await rowIds(page);
    const updatedBefore = await page.textContent('#ai-backend-jobs-updated');

    await page.route((url) => isListRequest(url), (route) => route.abort('connectionrefused'));
    await page.click('#ai-backend-jobs-refresh');
    const warning = await waitForText(page, '#ai-backend-jobs-warning', /^Warning: list refresh failed \| .+/);
    expect(await page.getAttribute('#ai-backend-jobs-warning', 'class')).not.toContain('is-ok');
    expect(await rowIds(page)).toEqual(idsBefore);
    expect(await page.textContent('#ai-backend-jobs-updated')).toBe(updatedBefore);
    const message = warning.slice('Warning: list refresh failed | '.length);
    expect(await page.textContent('#ai-backend-job-status')).toBe(`Backend jobs: list error (${message})`);

    await page.unrouteAll();
    const pollsBefore = listRequests.length;
    await waitForText(page, '#ai-backend-jobs-warning', 'Warning: none', 7000); // no click: the 5 s poll recovers
    expect(listRequests.length).toBe(pollsBefore + 1);
    expect(await page.getAttribute('#ai-backend-jobs-warning', 'class')).toContain('is-ok');
    expect(await page.textContent('#ai-backend-jobs-updated')).not.toBe(updatedBefore);
  });

  test('error bodies become one readable warning: contract JSON, and non-JSON bodies read once as text', async () => {
    await openMonitor();
    let reply: (route: Route) => Promise<void> = (route) => route.continue();
    await page.route((url) => isListRequest(url), (route) => reply(route));

    reply = (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ code: 'internal', message: 'boom' }) });
    await page.click('#ai-backend-jobs-refresh');
    await waitForText(page, '#ai-backend-jobs-warning', 'Warning: list refresh failed | Backend jobs list 500 [internal]: boom');

    const html = `<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center>${'<hr>'.repeat(40)}</body></html>`;
    reply = (route) => route.fulfill({ status: 502, contentType: 'text/html', body: html });
    await page.click('#ai-backend-jobs-refresh');
    await waitForText(page, '#ai-backend-jobs-warning', `Warning: list refresh failed | Backend jobs list 502: ${html.slice(0, 160)}`);
    expect(await page.locator('#ai-backend-jobs-warning *').count()).toBe(0);

    reply = (route) => route.continue();
    await page.click('#ai-backend-jobs-refresh');
    await waitForText(page, '#ai-backend-jobs-warning', 'Warning: none');
  });

  test('renders HTML in server strings as text and never creates elements from it', async () => {
    const payload = '<img src=x onerror="window.__xss=1">';
    await page.route(
      (url) => isListRequest(url),
      (route) =>
        route.fulfill({
          status: 200,
          contentType: 'application/json',
          body: JSON.stringify({
            items: [
              {
                jobId: 'job-<b>1</b>',
                status: 'failed',
                task: 'detect-objects',
                createdAt: '2026-01-01T00:00:00.000Z',
                startedAt: '2026-01-01T00:00:00.100Z',
                finishedAt: '2026-01-01T00:00:01.350Z',
                error: payload,
              },
            ],
            nextCursor: null,
            requestId: 'r',
          }),
        }),
    );
    await page.route(
      (url) => url.pathname.startsWith('/jobs/'),
      (route) =>
        route.fulfill({
          status: 409,
          contentType: 'application/json',
          body: JSON.stringify({ code: 'job_failed', message: payload, requestId: 'r', details: null }),
        }),
    );
    await openMonitor();

    const meta = page.locator(`${LIST_ITEMS} .backend-job-meta`);
    expect(await meta.textContent()).toBe(`error: ${payload}`);
    expect(await meta.isVisible()).toBe(true);
    expect(await page.textContent(`${LIST_ITEMS} .backend-job-id`)).toBe('job-<b>1</b>');
    expect(await page.textContent(`${LIST_ITEMS} .backend-job-times`)).toContain('duration 1.25 s');

    await page.locator(`${LIST_ITEMS} button.backend-job-action`, { hasText: 'Retry' }).click();
    await waitForText(page, '#ai-backend-job-status', `Backend job job-<b>1</b>: retry error (Backend job retry 409 [job_failed]: ${payload})`);
    expect(await page.locator('body img, body b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  test('never has two list requests in flight, and a hanging list times out into a warning', async () => {
    await page.clock.install();
    let inFlight = 0;
    let maxInFlight = 0;
    const held: Route[] = [];
    await page.route(
      (url) => isListRequest(url),
      (route) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        held.push(route);
      },
    );
    page.on('requestfailed', (request) => {
      if (isListRequest(new URL(request.url()))) inFlight -= 1;
    });
    // The page marks the list busy before its fetch reaches Playwright: wait for the intercepted request itself.
    const heldRequests = async (count: number): Promise<void> => {
      for (const started = Date.now(); held.length < count && Date.now() - started < 8_000; ) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await page.goto(`${server.baseUrl}/monitor/`);
    await page.waitForFunction(() => document.querySelector('#ai-backend-jobs-list')?.getAttribute('aria-busy') === 'true');
    await heldRequests(1);

    await page.clock.runFor(5_500); // one poll tick while the first request hangs: skipped
    expect(listRequests).toHaveLength(1);
    await page.clock.runFor(1_000); // past the 6 s timeout: aborted and reported
    await waitForText(page, '#ai-backend-jobs-warning', 'Warning: list refresh failed | Timed out fetching backend jobs list');
    await page.clock.runFor(4_000); // next tick: a new request
    await page.waitForFunction(() => document.querySelector('#ai-backend-jobs-list')?.getAttribute('aria-busy') === 'true');
    await heldRequests(2);
    expect(listRequests).toHaveLength(2);
    expect(maxInFlight).toBe(1);

    await held.at(-1)?.continue();
    await waitForText(page, '#ai-backend-jobs-warning', 'Warning: none');
    expect(await page.locator(LIST_ITEMS).count()).toBeGreaterThan(0);
  });

  test('backend URL: stored setting beats window.__AI_BACKEND_URL, the input persists it, and the API key is sent', async () => {
    await page.addInitScript((base) => {
      (window as unknown as { __AI_BACKEND_URL: string }).__AI_BACKEND_URL = `${base}/`;
      if (!sessionStorage.getItem('seeded')) {
        localStorage.setItem('aiBackendUrl', 'http://127.0.0.1:9');
        sessionStorage.setItem('seeded', '1');
      }
    }, server.baseUrl);
    await page.goto(`${server.baseUrl}/monitor/`);
    expect(await page.inputValue('#ai-backend-url')).toBe('http://127.0.0.1:9');
    await waitForText(page, '#ai-backend-jobs-warning', /^Warning: list refresh failed \| /);
    await waitForText(page, '#ai-backend-status', /^Backend: offline \| .+/);

    await page.fill('#ai-backend-url', `${server.baseUrl}/`);
    await page.dispatchEvent('#ai-backend-url', 'change');
    await waitForText(page, '#ai-backend-jobs-warning', 'Warning: none');
    await waitForText(page, '#ai-backend-status', 'Backend: online | bdi-backend');
    expect(await page.evaluate(() => localStorage.getItem('aiBackendUrl'))).toBe(server.baseUrl);

    expect(await page.getAttribute('#ai-backend-api-key', 'type')).toBe('password');
    await page.fill('#ai-backend-api-key', 'secret-key');
    const withKey = page.waitForRequest((request) => isListRequest(new URL(request.url())));
    await page.dispatchEvent('#ai-backend-api-key', 'change');
    expect((await withKey).headers()['x-api-key']).toBe('secret-key');
    expect(await page.evaluate(() => localStorage.getItem('aiBackendApiKey'))).toBe('secret-key');

    await page.fill('#ai-backend-url', '');
    await page.dispatchEvent('#ai-backend-url', 'change');
    expect(await page.evaluate(() => localStorage.getItem('aiBackendUrl'))).toBeNull();

    await page.route((url) => url.pathname === '/health', (route) => route.fulfill({ status: 503, body: 'down' }));
    await page.click('#ai-backend-check');
    await waitForText(page, '#ai-backend-status', 'Backend: offline | HTTP 503');
  });

  test('is served at /monitor without a trailing slash, labels every control, and fits 1280×800 and 390×844', async () => {
    const png = await rectanglePng(320, 200, [90, 50, 120, 80]);
    const resultId = await server.createJob({ task: 'detect-objects', imageBase64: await pngDataUrl(png) });
    await server.waitForStatus(resultId, isTerminal);
    const runningId = await server.createJob({ task: 'detect-objects', imageBase64: grayPng, debugSleepMs: 30_000 });
    try {
      await server.waitForStatus(runningId, (status) => status === 'running');
      await openMonitor(page, '/monitor');
      expect(new URL(page.url()).pathname).toBe('/monitor/');

      const unlabeled = await page.$$eval('input, select, textarea, button', (controls) =>
        controls
          .filter((control) => {
            const labelled = (control as { labels?: { length: number } }).labels?.length || control.getAttribute('aria-label');
            const text = control.tagName === 'BUTTON' && control.textContent?.trim();
            return !labelled && !text;
          })
          .map((control) => control.outerHTML),
      );
      expect(unlabeled).toEqual([]);

      await row(page, resultId).locator('button.backend-job-action', { hasText: 'Open result' }).click();
      await waitForText(page, '#ai-backend-job-status', `Backend job ${resultId}: result loaded`);
      fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'bdi-monitor-1280x800.png') });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'bdi-monitor-1280x800-full.png'), fullPage: true });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(wide).toBeLessThanOrEqual(1280);

      await page.setViewportSize({ width: 390, height: 844 });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'bdi-monitor-390x844.png') });
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'bdi-monitor-390x844-full.png'), fullPage: true });
      const narrow = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(narrow).toBeLessThanOrEqual(390);
    } finally {
      await server.api('POST', `/jobs/${runningId}/cancel`);
    }
  });

  describe('with BDI_API_KEY set', () => {
    let secured: MonitorServer;

    beforeAll(async () => {
      secured = await startMonitorServer({ BDI_API_KEY: 'k-123' });
    });

    afterAll(async () => {
      await secured?.close();
    });

    test('the page loads without the key, warns 401, and lists jobs once the key is entered', async () => {
      await page.goto(`${secured.baseUrl}/monitor/`);
      await waitForText(page, '#ai-backend-jobs-warning', /^Warning: list refresh failed \| Backend jobs list 401 \[unauthorized\]: /);
      await waitForText(page, '#ai-backend-status', /^Backend: offline \| HTTP 401/);

      await page.fill('#ai-backend-api-key', 'k-123');
      await page.dispatchEvent('#ai-backend-api-key', 'change');
      await waitForText(page, '#ai-backend-jobs-warning', 'Warning: none');
      await waitForText(page, '#ai-backend-status', 'Backend: online | bdi-backend');
      expect(await page.textContent('#ai-backend-jobs-pagination')).toBe('Jobs page: 1 | filter: all | items: 0');
    });
  });
});
