// The monitor as an operator uses it on inspection work: the form submits the dataset tasks, rows name the recipe,
// role and ROI, a running long task shows a progress bar, the details panel follows its row, and the header says
// when the backend is unreachable. Real service and engine; Debian's Chromium.
import type { Browser, BrowserContext, Page, Route } from 'playwright-core';
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
        const response = await route.fetch();
        const body = (await response.json()) as { items: Array<Record<string, unknown>> };
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
        await route.fulfill({ response, json: body });
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
