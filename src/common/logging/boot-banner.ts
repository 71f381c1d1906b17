import type { Logger } from 'pino';
import { AppConfig } from '../../config/app-config';
import { isPrettyLogFormat } from './pretty-destination';

export interface BootFacts {
  backbone: string;
  device: string;
  workers: number;
  diagnosticsFile: string;
}

/** Where to point a browser: a wildcard listen address is reached through the loopback. */
export function baseUrl(config: AppConfig, port: number): string {
  const host = ['0.0.0.0', '::', ''].includes(config.server.host) ? '127.0.0.1' : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The lines a person reads at boot: what runs, and the URLs of the API, its docs and the monitor. */
export function bootBannerLines(config: AppConfig, port: number, facts: BootFacts): string[] {
  const url = baseUrl(config, port);
  return [
    `BDI backend ${config.version} ready: backbone ${facts.backbone} on ${facts.device}, ${facts.workers} worker(s)`,
    `  API      ${url}`,
    `  Docs     ${url}/docs`,
    `  Monitor  ${url}/monitor`,
    `  Metrics  ${url}/metrics`,
    `  Models   ${config.storage.modelsDir}`,
    `  Diagnostics ${facts.diagnosticsFile}`,
  ];
}

/** Plain text beside human-readable logs (LOG_FORMAT, a terminal by default); one JSON log line otherwise. */
export function printBootBanner(config: AppConfig, port: number, facts: BootFacts, logger: Logger, tty = Boolean(process.stdout.isTTY)): void {
  const url = baseUrl(config, port);
  if (isPrettyLogFormat(config.logFormat, tty)) {
    process.stdout.write(`\n${bootBannerLines(config, port, facts).join('\n')}\n\n`);
    return;
  }
  logger.info(
    { api: url, docs: `${url}/docs`, monitor: `${url}/monitor`, modelsDir: config.storage.modelsDir, ...facts },
    `listening on ${url} (docs ${url}/docs, monitor ${url}/monitor)`,
  );
}
