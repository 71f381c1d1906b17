// Three suites: unit specs beside the code, HTTP e2e suites, and browser tests of the monitor.
// Worker threads run the compiled engine (dist/), so the global setup compiles first.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }];
const common = {
  // Shares typed-array constructors with Node's realm: ONNX Runtime's native results fail jest's per-file realm checks otherwise.
  testEnvironment: '<rootDir>/test/native-typed-arrays.environment.js',
  transform: { '^.+\\.ts$': tsJest },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  globalSetup: '<rootDir>/test/global-setup.js',
  projects: [
    { ...common, displayName: 'unit', rootDir: __dirname, testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts', '<rootDir>/scripts/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', rootDir: __dirname, testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
    { ...common, displayName: 'browser', rootDir: __dirname, testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'] },
  ],
  testTimeout: 60000,
  maxWorkers: 2,
};
