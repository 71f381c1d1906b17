// The monitor as an operator uses it on inspection work: the form submits the dataset tasks, rows name the recipe,
// role and ROI, a running long task shows a progress bar, the details panel follows its row, and the header says
// when the backend is unreachable; an inspection result shows its input image (plain base64 as the GUI sends it)
// under the heatmap with the colour scale's legend, or says there is no stored request. Real service and engine;
// Debian's Chromium.
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
import sharp from 'sharp';
import { discPng } from '../e2e/support/inspection-fixtures';
import { describeWithBrowser, launchBrowser } from './support/browser';
import { isTerminal, MonitorServer, pngDataUrl, solidPng, startMonitorServer } from './support/monitor-server';

declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any

jest.setTimeout(60_000);

const ROLE = 'Inspection';
const ROI = 'roi-monitor';

async function waitForText(page: Page, selector: string, expected: RegExp, timeout = 10_000): Promise<string> {
  try {
    await page.waitForFunction(
      ({ sel, source }) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ''),
      { sel: selector, source: expected.source },
      { timeout },
    );
  } catch (error) {
    const actual = await page.locator(selector).first().textContent().catch(() => null);
    throw new Error(`${selector}: expected ${String(expected)}, got ${JSON.stringify(actual)} (${String(error)})`);
  }
  return (await page.locator(selector).first().textContent()) ?? '';
}

function row(page: Page, jobId: string) {
  return page.locator('#ai-backend-jobs-list li.backend-job-item').filter({ has: page.locator('.backend-job-id', { hasText: jobId }) });
}

describeWithBrowser('jobs monitor for inspection work', () => {
  let server: MonitorServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  async function openMonitor(): Promise<void> {
    await page.goto(`${server.baseUrl}/monitor/`);
    await waitForText(page, '#ai-backend-jobs-updated', /^Last update: (?!—).+/);
  }

  /** Submits the form for a dataset task and returns the new job's id. */
  async function submitDatasetTask(task: string): Promise<string> {
    await page.selectOption('#job-task', task);
    await page.fill('#job-role-id', ROLE);
    await page.fill('#job-roi-id', ROI);
    await page.fill('#job-mm-per-px', '0.2');
    if (task === 'calibrate-dataset') await page.uncheck('#job-require-ng');
    await page.click('#job-submit');
    const status = await waitForText(page, '#job-form-status', /^(Submitted: job |Not submitted)/);
    expect(status).toMatch(/^Submitted: job /);
    return status.slice('Submitted: job '.length);
  }

  beforeAll(async () => {
    [server, browser] = await Promise.all([startMonitorServer({ BDI_MIN_OK_SAMPLES: '10' }), launchBrowser()]);
    for (let i = 0; i < 10; i++) {
      const form = new FormData();
      form.append('role_id', ROLE);
      form.append('roi_id', ROI);
      form.append('metas', JSON.stringify({ mm_per_px: 0.2 }));
      form.append('images', new Blob([await discPng({ seed: 900 + i, size: 64 })], { type: 'image/png' }), `ok${i}.png`);
      const res = await fetch(`${server.baseUrl}/datasets/ok/upload`, { method: 'POST', body: form });
      expect(res.status).toBe(200);
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });

  afterEach(async () => {
    // A route handler still running (the monitor polls) must not outlive its page: its late error would fail
    // whichever test runs next.
    await context?.unrouteAll({ behavior: 'ignoreErrors' });
    await page?.unrouteAll({ behavior: 'ignoreErrors' });
    await context?.close();
  });

  test('the form submits fit-ok, calibrate-dataset and infer-dataset without an image; rows name recipe, role and ROI', async () => {
    await openMonitor();
    for (const task of ['fit-ok', 'calibrate-dataset', 'infer-dataset']) {
      const jobId = await submitDatasetTask(task);
      const record = await server.waitForStatus(jobId, isTerminal, 30_000);
      expect({ task, status: record.status, error: record.error }).toEqual({ task, status: 'done', error: null });
      await page.click('#ai-backend-jobs-refresh');
      await waitForText(page, `#ai-backend-jobs-list li.backend-job-item:first-child .backend-job-labels`, /^recipe default · role Inspection · roi roi-monitor$/);
      expect(await row(page, jobId).locator('.backend-job-meta').textContent()).toBe(`task: ${task}`);
    }
  });

  test('a running long task shows a progress bar with its phase and done/total', async () => {
    // The list as the service answers it, with the progress a running fit reports (the worker's timing is not
    // something a browser test can hold still); the rendering is what is under test here.
    await page.route(
      (url) => url.pathname === '/jobs',
      async (route: Route) => {
        let response;
        let body: { items: Array<Record<string, unknown>> };
        try {
          response = await route.fetch();
          body = (await response.json()) as { items: Array<Record<string, unknown>> };
        } catch {
          return; // the page closed while a poll was in flight
        }
        body.items.unshift({
          ...(body.items[0] ?? {}),
          jobId: 'running-fit',
          task: 'fit-ok',
          status: 'running',
          error: null,
          errorCode: null,
          finishedAt: null,
          startedAt: new Date().toISOString(),
          recipeId: 'default',
          roleId: ROLE,
          roiId: ROI,
          progress: { phase: 'features', done: 37, total: 156 },
        });
        await route.fulfill({ response, json: body }).catch(() => undefined);
      },
    );
    await openMonitor();
    const bar = row(page, 'running-fit').locator('progress.backend-job-progress__bar');
    expect(await bar.getAttribute('max')).toBe('156');
    expect(await bar.evaluate((node: { value: number }) => node.value)).toBe(37);
    expect(await row(page, 'running-fit').locator('.backend-job-progress__text').textContent()).toBe('features 37/156');
    await page.click('#ai-backend-jobs-list li.backend-job-item:first-child button[data-action="details"]');
    await waitForText(page, '#ai-backend-jobs-detail', /progress=features 37\/156/);
  });

  test('the details panel follows its row: a job canceled elsewhere reads canceled in both', async () => {
    const grayPng = await pngDataUrl(solidPng(32, 32, [200, 200, 200]));
    const jobId = await server.createJob({ task: 'detect-objects', imageBase64: grayPng, debugSleepMs: 30_000 });
    await server.waitForStatus(jobId, (s) => s === 'running');
    await openMonitor();
    await row(page, jobId).locator('button[data-action="details"]').click();
    await waitForText(page, '#ai-backend-jobs-detail', /status=running/);
    await server.api('POST', `/jobs/${jobId}/cancel`);
    await page.click('#ai-backend-jobs-refresh');
    await waitForText(page, '#ai-backend-jobs-detail', /status=canceled/);
    expect(await row(page, jobId).locator('.backend-job-badge').textContent()).toBe('canceled');
  });

  /** A fitted and calibrated model for ROLE/ROI (fitted by the jobs of the first test when it ran). */
  async function ensureModel(): Promise<void> {
    const state = await server.api<{ memory_fitted: boolean; calib_present: boolean }>('GET', `/state?role_id=${ROLE}&roi_id=${ROI}`);
    if (state.body.memory_fitted && state.body.calib_present) return;
    for (const body of [
      { task: 'fit-ok', role_id: ROLE, roi_id: ROI, mm_per_px: 0.2, use_dataset: true },
      { task: 'calibrate-dataset', role_id: ROLE, roi_id: ROI, default_mm_per_px: 0.2, require_ng: false },
    ]) {
      const record = await server.waitForStatus(await server.createJob(body), isTerminal, 30_000);
      expect({ task: body.task, status: record.status }).toEqual({ task: body.task, status: 'done' });
    }
  }

  type Legend = { mode: string; min: number; max: number; threshold: number; threshold_level: number | null };

  /** An `infer` job sent as the GUI sends it: the crop as plain base64 (no data: prefix). */
  async function inferJob(scale: 'absolute' | 'image' = 'absolute'): Promise<{ jobId: string; threshold: number; legend: Legend }> {
    await ensureModel();
    const png = await discPng({ seed: 950, size: 64, scratch: true });
    const jobId = await server.createJob({
      task: 'infer',
      role_id: ROLE,
      roi_id: ROI,
      mm_per_px: 0.2,
      imageBase64: png.toString('base64'),
      shape: { kind: 'circle', cx: 32, cy: 32, r: 32 },
      include_heatmap: true,
      heatmap_scale: scale,
    });
    const record = await server.waitForStatus(jobId, isTerminal, 30_000);
    expect({ status: record.status, error: record.error }).toEqual({ status: 'done', error: null });
    const result = await server.api<{ threshold: number; heatmap_scale: Legend }>('GET', `/jobs/${jobId}/result`);
    const { threshold, heatmap_scale: legend } = result.body;
    if (scale === 'absolute') expect(legend).toEqual({ mode: 'absolute', min: 0, max: 2 * threshold, threshold, threshold_level: 0.5 });
    else expect(legend).toMatchObject({ mode: 'image', threshold, threshold_level: (threshold - legend.min) / (legend.max - legend.min) });
    return { jobId, threshold, legend };
  }

  /** The colour at the centre of image pixel (x, y) of the result canvas, whatever the zoom. */
  function canvasPixel(x: number, y: number): Promise<number[]> {
    return page.$eval(
      '#ai-backend-result-canvas',
      (canvas: any, [px, py]: number[]) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        const scale = Number(canvas.dataset.scale);
        const at = (v: number) => Math.floor((v + 0.5) * scale);
        return [...canvas.getContext('2d').getImageData(at(px), at(py), 1, 1).data] as number[];
      },
      [x, y],
    );
  }

  /**
   * A crop corner outside the ROI circle where nothing but the input (or the background) is drawn: not crossed by a
   * region box's outline and clear of the box label drawn at the box's top. (A region may span the whole crop.)
   */
  async function quietCorner(jobId: string): Promise<[number, number]> {
    const { body } = await server.api<{ regions?: Array<{ bbox: [number, number, number, number] }> }>('GET', `/jobs/${jobId}/result`);
    const boxes = body.regions ?? [];
    const corners: Array<[number, number]> = [[0, 63], [63, 63], [0, 0], [63, 0]];
    const free = corners.find(([x, y]) =>
      boxes.every(({ bbox: [bx, by, bw, bh] }) => {
        // Boxes are outlines a fraction of a pixel wide at this zoom, drawn just inside the box; canvasPixel reads a
        // pixel's centre, which an edge only covers when it lies strictly within half a pixel of it.
        const crossesEdge = (px: number, edge: number): boolean => Math.abs(edge - (px + 0.5)) < 0.5;
        const withinX = x >= bx - 1 && x <= bx + bw;
        const withinY = y >= by - 1 && y <= by + bh;
        const onEdge = (withinY && (crossesEdge(x, bx) || crossesEdge(x, bx + bw))) || (withinX && (crossesEdge(y, by) || crossesEdge(y, by + bh)));
        const inLabel = y >= by - 8 && y <= by + 8;
        return !onEdge && !inLabel;
      }),
    );
    if (!free) throw new Error(`no crop corner clear of the region boxes ${JSON.stringify(boxes)}`);
    return free;
  }

  async function openResult(jobId: string): Promise<void> {
    await openMonitor();
    await row(page, jobId).locator('button.backend-job-action', { hasText: 'Open result' }).click();
    await waitForText(page, '#ai-backend-job-status', new RegExp(`^Backend job ${jobId}: result loaded$`));
  }

  test('an infer job sent as plain base64 shows its input image under the absolute-scale heatmap, with the legend', async () => {
    const { jobId, threshold } = await inferJob();
    await openResult(jobId);
    expect(await page.textContent('#ai-backend-result-image-note')).toBe('Input image: stored job request (from the job API) (PNG, plain base64).');
    // Outside the ROI circle the heatmap is transparent: the input image itself (the disc fixture's background, 20).
    const [cx, cy] = await quietCorner(jobId);
    expect(await canvasPixel(cx, cy)).toEqual([20, 20, 20, 255]);
    // The scratch crosses the centre (250 in the crop): heat-coloured under the overlay, the crop itself without it.
    const overlaid = await canvasPixel(32, 32);
    await page.uncheck('#ai-backend-result-show-overlay');
    expect(await canvasPixel(32, 32)).toEqual([250, 250, 250, 255]);
    expect(overlaid).not.toEqual([250, 250, 250, 255]);
    await page.check('#ai-backend-result-show-overlay');

    const short = (value: number) => String(Number(value.toPrecision(4)));
    expect(await page.textContent('#ai-backend-result-legend-min')).toBe('0');
    expect(await page.textContent('#ai-backend-result-legend-max')).toBe(short(2 * threshold));
    expect(await page.textContent('#ai-backend-result-legend-text')).toBe(
      `Heatmap scale: absolute, 0 … ${short(2 * threshold)}, the same for every image of this model; threshold ${short(threshold)} at 50 % of the bar.`,
    );
    expect(await page.isVisible('#ai-backend-result-legend-mark')).toBe(true);
    expect(await page.$eval('#ai-backend-result-legend-mark', (mark: any) => mark.style.left)).toBe('50%'); // eslint-disable-line @typescript-eslint/no-explicit-any
    // The bar is the overlay's colour ramp: dark at 0, pale yellow at the top.
    const barEnds = await page.$eval('#ai-backend-result-legend-bar', (bar: any) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const context = bar.getContext('2d');
      return [[...context.getImageData(0, 6, 1, 1).data], [...context.getImageData(bar.width - 1, 6, 1, 1).data]];
    });
    expect(barEnds).toEqual([[0, 0, 4, 255], [252, 255, 164, 255]]);
    await page
      .locator('section[aria-labelledby="result-title"]')
      .screenshot({ path: path.join(process.env.BDI_SCREENSHOT_DIR ?? os.tmpdir(), 'bdi-monitor-absolute-heatmap.png') });
  });

  test('an inspection result without a stored request says so, and draws the heatmap alone', async () => {
    const { jobId, legend } = await inferJob('image');
    await page.route(
      (url) => url.pathname === `/jobs/${jobId}/request`,
      (route: Route) => route.fulfill({ status: 404, contentType: 'application/json', body: JSON.stringify({ code: 'job_not_found', message: 'Job not found', requestId: 'r', details: null }) }),
    );
    await openResult(jobId);
    const note = (await page.textContent('#ai-backend-result-image-note')) ?? '';
    expect(note).toMatch(new RegExp(`^No stored request for this job \\(GET /jobs/${jobId}/request: .*404.*\\) — overlay drawn without the input image\\.$`));
    const [cx, cy] = await quietCorner(jobId);
    expect(await canvasPixel(cx, cy)).toEqual([11, 18, 32, 255]); // the canvas background, not the input image
    // A per-image map (the GUI's default scale) is drawn converted to the absolute scale, and the legend says so.
    const short = (value: number) => String(Number(value.toPrecision(4)));
    expect(await page.textContent('#ai-backend-result-legend-text')).toBe(
      `Heatmap scale: absolute, 0 … ${short(2 * legend.threshold)}, the same for every image of this model ` +
        `(converted here from this map's own range ${short(legend.min)} … ${short(legend.max)}; values beyond it clipped); ` +
        `threshold ${short(legend.threshold)} at 50 % of the bar.`,
    );
  });

  test("a per-image heatmap is drawn in the absolute scale's colours: the same as the absolute map of the same crop", async () => {
    const absolute = await inferJob('absolute');
    const perImage = await inferJob('image');
    const gray = async (jobId: string) => {
      const { body } = await server.api<{ heatmap_png_base64: string }>('GET', `/jobs/${jobId}/result`);
      return sharp(Buffer.from(body.heatmap_png_base64, 'base64')).extractChannel(0).raw().toBuffer();
    };
    const [absGray, imageGray] = await Promise.all([gray(absolute.jobId), gray(perImage.jobId)]);
    // Pixels the per-image map holds inside its range (not clipped at either end).
    const probes: Array<[number, number]> = [];
    for (let i = 0; i < imageGray.length && probes.length < 6; i += 97) {
      if (imageGray[i] >= 20 && imageGray[i] <= 235 && absGray[i] > 0) probes.push([i % 64, Math.floor(i / 64)]);
    }
    expect(probes.length).toBeGreaterThanOrEqual(3);
    const colours = async (jobId: string) => {
      await openResult(jobId);
      const out: number[][] = [];
      for (const [x, y] of probes) out.push(await canvasPixel(x, y));
      return out;
    };
    const drawnAbs = await colours(absolute.jobId);
    const drawnImage = await colours(perImage.jobId);
    drawnAbs.forEach((rgba, k) => {
      const diff = Math.max(...rgba.map((v, c) => Math.abs(v - drawnImage[k][c])));
      expect({ probe: probes[k], diff: diff <= 6 }).toEqual({ probe: probes[k], diff: true });
    });
  });

  test('a stored request whose image the browser cannot show is named as such', async () => {
    const { jobId } = await inferJob();
    const tiff = Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]).toString('base64');
    await page.route(
      (url) => url.pathname === `/jobs/${jobId}/request`,
      (route: Route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ jobId, task: 'infer', request: { task: 'infer', imageBase64: tiff }, requestId: 'r' }) }),
    );
    await openResult(jobId);
    expect(await page.textContent('#ai-backend-result-image-note')).toBe(
      'Input image not shown: a TIFF image, which browsers cannot show (stored job request (from the job API)) — overlay drawn without it.',
    );
  });

  test('the header says offline while the backend is unreachable and online again when it answers', async () => {
    await openMonitor();
    await waitForText(page, '#ai-backend-status', /^Backend: online \| bdi-backend$/);
    await page.route(
      (url) => url.pathname === '/jobs' || url.pathname === '/health',
      (route: Route) => route.abort('connectionrefused'),
    );
    await page.click('#ai-backend-jobs-refresh');
    await waitForText(page, '#ai-backend-status', /^Backend: offline \| /);
    await page.unrouteAll();
    await page.click('#ai-backend-jobs-refresh');
    await waitForText(page, '#ai-backend-status', /^Backend: online \| bdi-backend$/);
  });
});
