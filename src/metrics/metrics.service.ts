import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StageTimings } from '../engine/types';

/** Something whose current values are read when Prometheus scrapes (pool, jobs). */
export type GaugeSource = () => Record<string, number>;

/**
 * Prometheus metrics of the process: HTTP latency by route and status, inference stage timings, fit durations,
 * pool and jobs gauges read at scrape time, and Node process metrics.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'bdi_http_request_duration_seconds',
    help: 'HTTP request latency by route template, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    registers: [this.registry],
  });

  private readonly stageDuration = new Histogram({
    name: 'bdi_inference_stage_duration_seconds',
    help: 'Inference time per stage (decode, backbone, knn, post)',
    labelNames: ['stage'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  private readonly fitDuration = new Histogram({
    name: 'bdi_fit_duration_seconds',
    help: 'Duration of PatchCore fits',
    labelNames: ['outcome'] as const,
    buckets: [0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320, 640],
    registers: [this.registry],
  });

  private readonly jobsFinished = new Counter({
    name: 'bdi_jobs_finished_total',
    help: 'Jobs that reached a terminal state, by task and status',
    labelNames: ['task', 'status'] as const,
    registers: [this.registry],
  });

  private readonly nodeJobs = new Counter({
    name: 'bdi_jobs_node_total',
    help: 'Job runs on this node, by node and event: started, and how each run ended (done, failed, timeout, canceled)',
    labelNames: ['node', 'event'] as const,
    registers: [this.registry],
  });

  private queueDepthSource: (() => number | Promise<number>) | null = null;

  constructor() {
    const depth = (): (() => number | Promise<number>) | null => this.queueDepthSource;
    const queueDepth = new Gauge({
      name: 'bdi_jobs_queue_depth',
      help: 'Jobs waiting to start: the in-process queue (SQLite backend) or the BullMQ queue shared by all nodes (Redis)',
      registers: [this.registry],
      async collect() {
        const source = depth();
        if (source) queueDepth.set(await Promise.resolve().then(source).catch(() => Number.NaN));
      },
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'bdi_' });
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  observeStages(timings: StageTimings): void {
    for (const [stage, ms] of Object.entries(timings)) this.stageDuration.observe({ stage }, ms / 1000);
  }

  observeFit(seconds: number, outcome: 'ok' | 'error' | 'aborted'): void {
    this.fitDuration.observe({ outcome }, seconds);
  }

  countJobFinished(task: string, status: string): void {
    this.jobsFinished.inc({ task, status });
  }

  /** One job run on `node` started, or ended as `event`. */
  countNodeJob(node: string, event: 'started' | 'done' | 'failed' | 'timeout' | 'canceled'): void {
    this.nodeJobs.inc({ node, event });
  }

  /** Where bdi_jobs_queue_depth is read at scrape time (the job backend sets it; the last one set wins). */
  setQueueDepthSource(source: () => number | Promise<number>): void {
    this.queueDepthSource = source;
  }

  /** Registers a gauge whose labelled values are read from `source` at every scrape. */
  gauge(name: string, help: string, labelName: string, source: GaugeSource): void {
    const gauge = new Gauge({
      name,
      help,
      labelNames: [labelName],
      registers: [this.registry],
      collect() {
        gauge.reset();
        for (const [label, value] of Object.entries(source())) gauge.set({ [labelName]: label }, value);
      },
    });
  }

  /** A single-valued gauge read at scrape time. */
  value(name: string, help: string, source: () => number): void {
    const gauge = new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        gauge.set(source());
      },
    });
  }
}
