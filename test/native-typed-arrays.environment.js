// Jest environment for specs that run ONNX Runtime in-process. Jest gives each test file its own realm, but the
// native addon returns typed arrays of Node's main realm, which onnxruntime-common's `instanceof` checks then
// reject ("A float32 tensor's data must be type of Float32Array"). Sharing the constructors fixes that.
//
// It also loads ONNX Runtime's addon on this process's main thread once, before any spec runs: an addon that only a
// worker thread loaded is unloaded with that thread, and a later in-process load then fails with "Module did not
// self-register" (a pool spec followed by a backbone spec in the same jest worker did exactly that).
const { TestEnvironment } = require('jest-environment-node');
require('onnxruntime-node');

const SHARED = [
  'ArrayBuffer', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class NativeTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = NativeTypedArraysEnvironment;
