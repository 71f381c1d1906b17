// `npm run bench` entry. Without a name: the standard set (engine, stages, fit, jobs-api) as ONE JSON object.
// `npm run bench -- <name> [args]`: one benchmark (engine | stages | http | fit | jobs-api | jobs-cluster | soak), its JSON on stdout.
// Progress goes to stderr, so stdout stays parseable.
import { runEngineBench } from './engine.bench';
import { runHttpBench } from './http.bench';
import { runJobsApiBench } from './jobs-api.bench';
import { runJobsClusterBench } from './jobs-cluster.bench';
import { numberArg, progress } from './bench-support';
import { httpComparisonTable, readJson, stagesComparisonTable } from './compare';
import { runSoakBench } from './soak.bench';
import { runFitBench, runStagesBench } from './stages.bench';

type Runner = (args: string[]) => Promise<unknown>;

const BENCHES: Record<string, { describe: string; run: Runner }> = {
  engine: {
    describe: 'coreset selection vs N and batched kNN [--quick]',
    run: async (args) => runEngineBench({ quick: args.includes('--quick') }),
  },
  stages: {
    describe: 'per-stage latency of a 448×448 ROI (built-in and random ViT-S/14), HTTP /infer, memory per worker [--workers N] [--quick] [--baseline FILE]',
    run: async (args) => {
      const result = await runStagesBench({
        workers: args.includes('--workers') ? numberArg(args, 'workers', 1) : undefined,
        builtinOnly: args.includes('--quick'),
        httpSeconds: numberArg(args, 'http-seconds', 10),
      });
      if (args.includes('--baseline')) process.stderr.write(`${stagesComparisonTable(readJson(args[args.indexOf('--baseline') + 1]), result)}\n`);
      return result;
    },
  },
  http: {
    describe:
      'HTTP /infer against the real server process: first request, sequential p50/p99 (FormData per request, and the body encoded once), req/s with 1/2/4/8 clients, server CPU per request [--workers N] [--no-heatmap] [--seconds S] [--cpu-prof DIR] [--baseline FILE: a previous run\'s JSON, printed as a before/after table on stderr] (BDI_BATCH_* from the environment reach the server)',
    run: async (args) => {
      const result = await runHttpBench({
        workers: args.includes('--workers') ? numberArg(args, 'workers', 1) : undefined,
        seconds: numberArg(args, 'seconds', 8),
        cpuProfDir: args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined,
        heatmap: !args.includes('--no-heatmap'),
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BDI_BATCH_')) as Array<[string, string]>),
      });
      if (args.includes('--baseline')) process.stderr.write(`${httpComparisonTable(readJson(args[args.indexOf('--baseline') + 1]), result)}\n`);
      return result;
    },
  },
  fit: {
    describe: 'fit time of 100 ROIs at 10 % coreset, built-in backbone, self-tuning included [--rois N] [--repeats N] [--no-tune]',
    run: (args) => runFitBench({ rois: numberArg(args, 'rois', 100), repeats: numberArg(args, 'repeats', 3), tune: !args.includes('--no-tune') }),
  },
  'jobs-api': {
    describe: 'jobs API create + poll and list throughput [--duration S] [--clients N]',
    run: (args) => runJobsApiBench({ durationSeconds: numberArg(args, 'duration', 20), clients: numberArg(args, 'clients', 16) }),
  },
  'jobs-cluster': {
    describe: 'jobs/s and create-to-done latency: SQLite, then Redis with 1, 2 node processes [--duration S] [--clients N] [--nodes 1,2,3]',
    run: (args) =>
      runJobsClusterBench({
        durationSeconds: numberArg(args, 'duration', 15),
        clients: numberArg(args, 'clients', 8),
        nodeCounts: args.includes('--nodes') ? args[args.indexOf('--nodes') + 1].split(',').map(Number) : [1, 2],
      }),
  },
  soak: {
    describe: 'mixed /infer + jobs load, latency and RSS growth [--minutes N] [--clients N]',
    run: (args) => runSoakBench({ minutes: numberArg(args, 'minutes', 10), clients: numberArg(args, 'clients', 16) }),
  },
};

/** The default set: everything but the soak (10 minutes; run it by name). */
const STANDARD = ['engine', 'stages', 'fit', 'jobs-api'];

/** The JSON to print (null for --help). */
async function main(argv: string[]): Promise<unknown> {
  const [name, ...args] = argv;
  if (name === '--help' || name === 'help') {
    for (const [key, bench] of Object.entries(BENCHES)) process.stderr.write(`${key.padEnd(9)} ${bench.describe}\n`);
    return null;
  }
  if (name !== undefined && !name.startsWith('--')) {
    const bench = BENCHES[name];
    if (!bench) throw new Error(`unknown benchmark '${name}'; one of: ${Object.keys(BENCHES).join(', ')}`);
    return bench.run(args);
  }
  const results: Record<string, unknown> = {};
  for (const key of STANDARD) {
    progress(`running ${key}`);
    results[key] = await BENCHES[key].run(argv);
  }
  return results;
}

main(process.argv.slice(2)).then(
  // Worker pools and sockets are closed by each bench; exit explicitly (once stdout is flushed) in case a library
  // keeps a handle open.
  (result) => {
    if (result === null) process.exit(0);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`, () => process.exit(0));
  },
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
