// Creates the ONNX Runtime session on the requested device. onnxruntime-node rejects session creation when
// the CUDA provider is not installed (no silent fallback), so the fallback to CPU is ours, with a reason.
import { InferenceSession } from 'onnxruntime-node';
import { BackboneError } from './backbone-error';

export type DeviceRequest = 'auto' | 'cpu' | 'cuda';

export interface DeviceOptions {
  device: DeviceRequest;
  intraOpThreads: number;
  requireCuda?: boolean;
}

export interface DeviceSession {
  session: InferenceSession;
  device: 'cpu' | 'cuda';
  deviceReason?: string;
}

/** Seam for tests: how a session is created for a list of execution providers. */
export type SessionFactory = (model: string | Uint8Array, options: InferenceSession.SessionOptions) => Promise<InferenceSession>;

const defaultFactory: SessionFactory = (model, options) =>
  typeof model === 'string' ? InferenceSession.create(model, options) : InferenceSession.create(model, options);

export async function createDeviceSession(
  model: string | Uint8Array,
  options: DeviceOptions,
  factory: SessionFactory = defaultFactory,
): Promise<DeviceSession> {
  const threads = Math.max(1, Math.floor(options.intraOpThreads));
  const base: InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  if (options.device === 'cpu') {
    if (options.requireCuda) {
      throw new BackboneError('cuda_required', 'CUDA is required but the device is set to cpu');
    }
    return { session: await createOnCpu(model, base, factory), device: 'cpu', deviceReason: 'cpu_requested' };
  }

  let cudaFailure: string;
  try {
    const session = await factory(model, { ...base, executionProviders: ['cuda', 'cpu'] });
    return { session, device: 'cuda' };
  } catch (err) {
    cudaFailure = firstLine(err);
  }
  if (options.requireCuda) {
    throw new BackboneError('cuda_required', `CUDA is required but not available: ${cudaFailure}`, {
      reason: cudaFailure,
    });
  }
  const session = await createOnCpu(model, base, factory);
  return { session, device: 'cpu', deviceReason: `cuda_not_available: ${cudaFailure}` };
}

async function createOnCpu(
  model: string | Uint8Array,
  base: InferenceSession.SessionOptions,
  factory: SessionFactory,
): Promise<InferenceSession> {
  try {
    return await factory(model, { ...base, executionProviders: ['cpu'] });
  } catch (err) {
    throw new BackboneError('backbone_load_failed', `ONNX model could not be loaded: ${firstLine(err)}`);
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0].slice(0, 300);
}
