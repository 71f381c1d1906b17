import { resolve } from 'node:path';
import { UsageError, parseEvalArgs } from './args';

describe('parseEvalArgs', () => {
  it('reads every option and resolves paths', () => {
    const args = parseEvalArgs([
      '--dataset', 'd', '--layout', 'mvtec3d', '--out', 'o', '--backbone', 'dinov2',
      '--train', '50', '--coreset', '0.1', '--seed', '7', '--workers', '2', '--worst', '3', '--image-only',
    ]);
    expect(args).toEqual({
      dataset: resolve('d'), layout: 'mvtec3d', out: resolve('o'), backbone: 'dinov2', manifest: undefined,
      train: 50, coreset: 0.1, seed: 7, workers: 2, worst: 3, imageOnly: true,
    });
  });

  it('defaults the seed to 0 and the report to the 6 worst cases', () => {
    const args = parseEvalArgs(['--dataset', 'd', '--layout', 'mtd', '--out', 'o']);
    expect([args.seed, args.worst, args.train, args.coreset, args.imageOnly]).toEqual([0, 6, undefined, undefined, false]);
  });

  it.each([
    [['--layout', 'mtd', '--out', 'o']],
    [['--dataset', 'd', '--layout', 'kolektor', '--out', 'o']],
    [['--dataset', 'd', '--layout', 'mtd', '--out', 'o', '--train', '0']],
    [['--dataset', 'd', '--layout', 'mtd', '--out', 'o', '--coreset', '1.5']],
    [['--dataset', 'd', '--layout', 'mtd', '--out', 'o', '--bogus', 'x']],
  ])('rejects %j', (argv) => {
    expect(() => parseEvalArgs(argv)).toThrow(UsageError);
  });
});
