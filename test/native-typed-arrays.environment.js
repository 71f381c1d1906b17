// Jest environment for specs that run ONNX Runtime in-process. Jest gives each test file its own realm, but the
// native addon returns typed arrays of Node's main realm, which onnxruntime-common's `instanceof` checks then
// reject ("A float32 tensor's data must be type of Float32Array"). Sharing the constructors fixes that.
const { TestEnvironment } = require('jest-environment-node');

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
