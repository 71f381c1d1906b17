// Before/after tables (markdown) of `bench -- http|stages --baseline FILE`: the previous run's JSON against this one.
import * as fs from 'node:fs';
import type { HttpBenchResult } from './http.bench';
import type { StagesBenchResult } from './stages.bench';

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

function row(label: string, before: number | undefined, after: number | undefined, unit: string): string {
  const f = (v: number | undefined) => (v === undefined ? '–' : `${Math.round(v * 100) / 100}${unit}`);
  const change = before !== undefined && after !== undefined && before !== 0 ? `${after >= before ? '+' : ''}${Math.round(((after - before) / before) * 100)} %` : '';
  return `| ${label} | ${f(before)} | ${f(after)} | ${change} |`;
}

const HEAD = ['| | before | after | change |', '|---|---|---|---|'];

export function httpComparisonTable(before: HttpBenchResult, after: HttpBenchResult): string {
  const rps = (r: HttpBenchResult, clients: number) => r.concurrency.find((c) => c.clients === clients)?.requestsPerSecond;
  const p50 = (r: HttpBenchResult, clients: number) => r.concurrency.find((c) => c.clients === clients)?.latency.p50Ms;
  const cpu = (r: HttpBenchResult, clients: number) => r.concurrency.find((c) => c.clients === clients)?.serverCpu;
  const lines = [
    ...HEAD,
    row('first request', before.firstRequestMs, after.firstRequestMs, ' ms'),
    row('sequential p50', before.sequential.p50Ms, after.sequential.p50Ms, ' ms'),
    row('sequential p99', before.sequential.p99Ms, after.sequential.p99Ms, ' ms'),
    row('sequential p50, body encoded once', before.sequentialPrebuilt?.p50Ms, after.sequentialPrebuilt?.p50Ms, ' ms'),
    ...[1, 2, 4, 8].map((c) => row(`req/s, ${c} client${c > 1 ? 's' : ''}`, rps(before, c), rps(after, c), '')),
    ...[1, 8].map((c) => row(`p50, ${c} client${c > 1 ? 's' : ''}`, p50(before, c), p50(after, c), ' ms')),
    row('scaling (8 ÷ 1 clients)', before.scaling, after.scaling, '×'),
    ...[1, 8].map((c) => row(`server main-thread CPU per request, ${c} client${c > 1 ? 's' : ''}`, cpu(before, c)?.mainThreadMsPerRequest, cpu(after, c)?.mainThreadMsPerRequest, ' ms')),
    ...[1, 8].map((c) => row(`server process CPU per request, ${c} client${c > 1 ? 's' : ''}`, cpu(before, c)?.processMsPerRequest, cpu(after, c)?.processMsPerRequest, ' ms')),
    `load average before ${before.loadAverage.join(' / ')}, after ${after.loadAverage.join(' / ')}; heatmap requested before ${before.heatmap ?? false}, after ${after.heatmap ?? false}; env after ${JSON.stringify(after.env)}`,
  ];
  return lines.join('\n');
}

export function stagesComparisonTable(before: StagesBenchResult, after: StagesBenchResult): string {
  const lines = [...HEAD];
  for (const b of after.backbones) {
    const a = before.backbones.find((x) => x.backbone === b.backbone);
    for (const key of ['decodeMs', 'backboneMs', 'knnMs', 'postMs', 'totalMs'] as const) {
      lines.push(row(`${b.backbone} ${key.replace('Ms', '')}`, a?.stages[key], b.stages[key], ' ms'));
    }
    lines.push(row(`${b.backbone} HTTP sequential p50`, a?.http.sequential.p50Ms, b.http.sequential.p50Ms, ' ms'));
    lines.push(row(`${b.backbone} HTTP req/s saturated`, a?.http.saturated.requestsPerSecond, b.http.saturated.requestsPerSecond, ''));
  }
  lines.push(`load average before ${before.loadAverage.join(' / ')}, after ${after.loadAverage.join(' / ')}`);
  return lines.join('\n');
}
