import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import { createDeviceSession, type SessionFactory } from './execution-device';
import { buildDefaultBackbone } from './default-backbone';

const fakeSession = {} as InferenceSession;

/** Records the options of each attempt; fails any attempt that lists the CUDA provider when `cudaWorks` is false. */
function factory(cudaWorks: boolean): { create: SessionFactory; attempts: InferenceSession.SessionOptions[] } {
  const attempts: InferenceSession.SessionOptions[] = [];
  const create: SessionFactory = async (_model, options) => {
    attempts.push(options);
    if (!cudaWorks && options.executionProviders?.includes('cuda')) {
      throw new Error('libonnxruntime_providers_cuda.so: cannot open shared object file\nmore detail');
    }
    return fakeSession;
  };
  return { create, attempts };
}

describe('createDeviceSession', () => {
  it('uses only the CPU provider with the requested intra-op threads and one inter-op thread', async () => {
    const { create, attempts } = factory(true);
    const result = await createDeviceSession('m.onnx', { device: 'cpu', intraOpThreads: 3 }, create);
    expect(result).toMatchObject({ device: 'cpu', deviceReason: 'cpu_requested' });
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ executionProviders: ['cpu'], intraOpNumThreads: 3, interOpNumThreads: 1 });
  });

  it('falls back to CPU with the first line of the CUDA failure as reason', async () => {
    const { create, attempts } = factory(false);
    const result = await createDeviceSession('m.onnx', { device: 'auto', intraOpThreads: 2 }, create);
    expect(result.device).toBe('cpu');
    expect(result.deviceReason).toBe('cuda_not_available: libonnxruntime_providers_cuda.so: cannot open shared object file');
    expect(attempts.map((a) => a.executionProviders)).toEqual([['cuda', 'cpu'], ['cpu']]);
  });

  it('reports cuda when the CUDA provider loads', async () => {
    const { create } = factory(true);
    const result = await createDeviceSession('m.onnx', { device: 'cuda', intraOpThreads: 2 }, create);
    expect(result).toEqual({ session: fakeSession, device: 'cuda' });
  });

  it('throws cuda_required instead of falling back when CUDA is required', async () => {
    const { create, attempts } = factory(false);
    await expect(createDeviceSession('m.onnx', { device: 'auto', intraOpThreads: 2, requireCuda: true }, create)).rejects.toMatchObject({
      code: 'cuda_required',
    });
    expect(attempts).toHaveLength(1);
  });

  it('throws cuda_required when CUDA is required but the device is cpu', async () => {
    const { create } = factory(true);
    await expect(createDeviceSession('m.onnx', { device: 'cpu', intraOpThreads: 1, requireCuda: true }, create)).rejects.toMatchObject({
      code: 'cuda_required',
    });
  });

  it('maps a model that cannot load on CPU to backbone_load_failed', async () => {
    await expect(createDeviceSession(new Uint8Array([1, 2, 3]), { device: 'cpu', intraOpThreads: 1 })).rejects.toMatchObject({
      code: 'backbone_load_failed',
    });
  });

  // The real onnxruntime-node: without its CUDA provider library installed, 'auto' must end up on CPU.
  const binDir = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin');
  const hasCudaProvider = existsSync(binDir) && JSON.stringify(readdirRecursive(binDir)).includes('providers_cuda');
  (hasCudaProvider ? it.skip : it)('falls back to CPU with the real runtime when no CUDA provider is installed', async () => {
    const result = await createDeviceSession(buildDefaultBackbone().model, { device: 'auto', intraOpThreads: 1 });
    expect(result.device).toBe('cpu');
    expect(result.deviceReason).toMatch(/^cuda_not_available: /);
    await result.session.release();
  });
});

function readdirRecursive(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? readdirRecursive(join(dir, e.name)) : [e.name],
  );
}
