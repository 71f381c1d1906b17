// Compiles the sources once before any suite: pool workers load dist/engine/worker.js.
const { execFileSync } = require('node:child_process');
const path = require('node:path');

module.exports = async () => {
  const root = path.resolve(__dirname, '..');
  execFileSync('bash', [path.join(root, 'scripts/build-if-needed.sh')], { cwd: root, stdio: 'inherit' });
};
