import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { pngBytes, pngDataUrl, rgbImage } from '../../src/engine/detection/testing-images';
import { writeConstantYoloModel } from '../../src/engine/detection/testing-yolo-model';
import { expectContractError, waitForJob } from './support/jobs-client';
import { startTestApp, TestApp } from './support/test-app';

const SQUARES = [
  { x: 10, y: 12, width: 30, height: 30, value: 250 },
  { x: 80, y: 20, width: 24, height: 24, value: 180 },
  { x: 40, y: 90, width: 40, height: 20, value: 110 },
];

describe('POST /detect/objects (built-in classical detector)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ BDI_DEBUG_SLEEP: '1' });
  });
  afterAll(async () => t.close());

  it('finds three squares with boxes that fit them exactly, best contrast first', async () => {
    const res = await request(t.server).post('/detect/objects').send({ imageBase64: await pngDataUrl(rgbImage(160, 128, 20, SQUARES)) });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['latencyMs', 'modelVersion', 'objects', 'requestId']);
    expect(res.body.modelVersion).toBe('bdi-classical-foreground-1');
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
    expect(res.body.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Math.round(res.body.latencyMs * 100) / 100).toBe(res.body.latencyMs);
    expect(res.body.objects.map(({ x, y, width, height, label }: Record<string, unknown>) => ({ x, y, width, height, label }))).toEqual(
      SQUARES.map(({ x, y, width, height }) => ({ x, y, width, height, label: 'foreground' })),
    );
  });

  it('filters by minScore and finds nothing in a uniform image', async () => {
    const image = await pngDataUrl(rgbImage(160, 128, 20, SQUARES));
    const all = (await request(t.server).post('/detect/objects').send({ imageBase64: image, minScore: 0 })).body.objects;
    const some = (await request(t.server).post('/detect/objects').send({ imageBase64: image, minScore: all[1].score })).body.objects;
    expect(some).toEqual(all.slice(0, 2));
    const none = await request(t.server).post('/detect/objects').send({ imageBase64: await pngDataUrl(rgbImage(64, 64, 220)) });
    expect(none.body.objects).toEqual([]);
  });

  it('accepts bare base64 as well as a data URL', async () => {
    const bare = (await pngBytes(rgbImage(160, 128, 20, SQUARES))).toString('base64');
    const res = await request(t.server).post('/detect/objects').send({ imageBase64: bare });
    expect(res.body.objects).toHaveLength(3);
  });

  it('honours debugSleepMs when BDI_DEBUG_SLEEP=1: latency includes the sleep', async () => {
    const res = await request(t.server).post('/detect/objects').send({ imageBase64: await pngDataUrl(rgbImage(32, 32, 0)), debugSleepMs: 300 });
    expect(res.body.latencyMs).toBeGreaterThanOrEqual(300);
  });

  it('answers 400 invalid_image_payload for text, non-images and empty strings', async () => {
    for (const imageBase64 of ['abc', `data:image/png;base64,${Buffer.from('hello').toString('base64')}`, '', 'data:image/png;base64', '!!!!']) {
      const res = await request(t.server).post('/detect/objects').send({ imageBase64 });
      expectContractError(res, 400, 'invalid_image_payload');
      expect(res.body.message).toMatch(/^invalid image payload: /);
      expect(res.body.details).toEqual({ stage: 'decode_or_open' });
    }
  });

  it('answers 422 for a missing or non-string image, malformed JSON and a non-JSON body', async () => {
    const missing = await request(t.server).post('/detect/objects').send({});
    expectContractError(missing, 422, 'validation_error');
    expect(missing.body.details.errors.map((e: { loc: string[] }) => e.loc)).toContainEqual(['body', 'imageBase64']);
    expectContractError(await request(t.server).post('/detect/objects').send({ imageBase64: 123 }), 422, 'validation_error');
    expectContractError(await request(t.server).post('/detect/objects').send({ imageBase64: 'x', minScore: 'high' }), 422, 'validation_error');
    const malformed = await request(t.server).post('/detect/objects').set('content-type', 'application/json').send('{bad');
    expectContractError(malformed, 422, 'validation_error');
    const text = await request(t.server).post('/detect/objects').set('content-type', 'text/plain').send('hello');
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
  });

  it('accepts a body of about 3 MB', async () => {
    const big = `data:image/png;base64,${Buffer.alloc(2_300_000, 7).toString('base64')}`;
    const res = await request(t.server).post('/detect/objects').send({ imageBase64: big });
    expect(res.status).not.toBe(413);
    expectContractError(res, 400, 'invalid_image_payload');
  });
});

// This app runs without BDI_DEBUG_SLEEP, so it also checks that debugSleepMs is then ignored.
describe('detection with a YOLO ONNX model (BDI_DETECTOR_MODEL), in the worker pool', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bdi-yolo-e2e-'));
    const model = path.join(dir, 'const-yolo.onnx');
    writeConstantYoloModel(model);
    t = await startTestApp({ BDI_DETECTOR_MODEL: model });
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers the NMS-filtered boxes mapped to the original image, labelled from the metadata, sync and as a job', async () => {
    expect((await request(t.server).get('/health')).body.ready).toBe(true); // so detection runs in the pool
    const imageBase64 = await pngDataUrl(rgbImage(1280, 640, 0));
    const expected = [
      { x: 160, y: 20, width: 80, height: 120, label: 'car', score: 0.9 },
      { x: 700, y: 230, width: 200, height: 100, label: 'person', score: 0.7 },
    ];
    const res = await request(t.server).post('/detect/objects').send({ imageBase64 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ modelVersion: 'onnx:const-yolo', objects: expected });
    const job = await request(t.server).post('/jobs').send({ task: 'detect-objects', imageBase64 });
    await waitForJob(t, job.body.jobId);
    expect((await request(t.server).get(`/jobs/${job.body.jobId}/result`)).body.objects).toEqual(expected);
  });

  it('ignores debugSleepMs without BDI_DEBUG_SLEEP', async () => {
    const res = await request(t.server).post('/detect/objects').send({ imageBase64: await pngDataUrl(rgbImage(32, 32, 0)), debugSleepMs: 2000 });
    expect(res.status).toBe(200);
    expect(res.body.latencyMs).toBeLessThan(1000);
  });
});
