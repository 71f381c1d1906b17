// A throwaway redis-server (Debian's, installed by scripts/setup.sh) on a free loopback port, without persistence.
import { ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import Redis from 'ioredis';
import { JOBS_HEALTH, JobsHealthSource } from '../../../src/common/health/health-sources';



export interface TestRedis {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts redis-server and waits until it answers PING. `port` lets a test restart it on the same port. */
export async function startRedis(port?: number): Promise<TestRedis> {
  const chosen = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  // A jest worker that exits without afterAll (forced exit) must not leave the server behind.
  const killOnExit = (): void => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  const url = `redis://127.0.0.1:${chosen}/0`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      if ((await probe.ping()) === 'PONG') {
        probe.disconnect();
        break;
      }
    } catch {
      probe.disconnect();
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      killOnExit();
      throw new Error(`redis-server did not start on port ${chosen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    port: chosen,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Runs the suites `load` registers against Redis: sets BDI_TEST_REDIS_URL for startTestApp while they run. */
export function withRedisBackend(load: () => void): void {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
    process.env.BDI_TEST_REDIS_URL = redis.url;
  });
  it('runs these suites on the Redis backend', async () => {
    // Lazy import: test-app pulls in the whole application.
    const { startTestApp } = await import('./test-app');
    const t = await startTestApp();
    try {
      expect((await t.app.get<JobsHealthSource>(JOBS_HEALTH).jobsHealth()).backend).toBe('redis');
    } finally {
      await t.close();
    }
  });
  afterAll(async () => {
    delete process.env.BDI_TEST_REDIS_URL;
    await redis?.stop();
  });
  load();
}
