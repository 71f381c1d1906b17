import pino from 'pino';
import type { AppConfig } from '../../config/app-config';
import { formatPrettyLine, isPrettyLogFormat, prettyDestination } from './pretty-destination';
import { createRootLogger } from './root-logger';

describe('human-readable log lines', () => {
  it('LOG_FORMAT: auto is pretty on a terminal only; pretty and json are what they say', () => {
    expect([isPrettyLogFormat('auto', true), isPrettyLogFormat('auto', false)]).toEqual([true, false]);
    expect([isPrettyLogFormat('pretty', false), isPrettyLogFormat('json', true)]).toEqual([true, false]);
  });

  it('reads time, level and message first, then the other fields; pid, service and request internals stay out', () => {
    const line = JSON.stringify({
      level: 40,
      time: '2026-12-02T01:02:03.456Z',
      pid: 7,
      service: 'bdi-backend',
      req: { method: 'POST', url: '/infer' },
      res: { statusCode: 422 },
      responseTime: 3,
      errorCode: 'validation_error',
      requestId: 'req-1',
      msg: 'POST /infer 422 3 ms validation_error',
    });
    expect(formatPrettyLine(line, { colors: false })).toBe('01:02:03.456 WARN  POST /infer 422 3 ms validation_error  errorCode=validation_error requestId=req-1\n');
  });

  it('quotes values with spaces, writes objects as JSON, and indents an error stack below the line', () => {
    const line = JSON.stringify({
      level: 50,
      time: '2026-12-02T01:02:03.456Z',
      msg: 'job failed unexpectedly',
      jobId: 'j 1',
      labels: { roleId: 'A' },
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at f (x.ts:1:1)', code: 'E_X' },
    });
    expect(formatPrettyLine(line, { colors: false })).toBe(
      '01:02:03.456 ERROR job failed unexpectedly  jobId="j 1" labels={"roleId":"A"}\n' +
        '    Error: boom\n' +
        '        at f (x.ts:1:1)\n' +
        '    code=E_X\n',
    );
  });

  it('colours the level on a terminal and passes a line that is not JSON unchanged', () => {
    expect(formatPrettyLine(JSON.stringify({ level: 30, time: '2026-12-02T01:02:03.456Z', msg: 'hi' }), { colors: true })).toBe(
      '\x1b[90m01:02:03.456\x1b[0m \x1b[32mINFO \x1b[0m hi\n',
    );
    expect(formatPrettyLine('plain text', { colors: true })).toBe('plain text\n');
  });

  it('is a pino destination: a logger writes readable lines through it', () => {
    const lines: string[] = [];
    const logger = pino({ base: undefined, timestamp: () => ',"time":"2026-12-02T01:02:03.456Z"' }, prettyDestination({ colors: false }, { write: (chunk: string) => lines.push(chunk) }));
    logger.info({ jobId: 'j1', task: 'fit-ok', durationMs: 1200 }, 'job done');
    expect(lines).toEqual(['01:02:03.456 INFO  job done  jobId=j1 task=fit-ok durationMs=1200\n']);
  });

  it('the root logger writes pretty lines to stdout when LOG_FORMAT=pretty', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const logger = createRootLogger({ logLevel: 'info', logFormat: 'pretty' } as AppConfig, false);
      logger.warn({ errorCode: 'not_found' }, 'GET /x 404 1 ms not_found');
      const written = write.mock.calls.map((call) => String(call[0]));
      expect(written).toHaveLength(1);
      expect(written[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN {2}GET \/x 404 1 ms not_found {2}errorCode=not_found\n$/);
    } finally {
      write.mockRestore();
    }
  });
});
