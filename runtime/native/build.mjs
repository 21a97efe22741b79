// Install-time build of hec's native CKKS engines (package.json "install" script).
//
// - cpu: the C++17 N-API addon in this folder, built with node-gyp (no downloads: node's own headers are used when
//   they ship next to the node binary, as they do for distribution and official builds).
// - cuda: built only when `nvcc` is on PATH and runtime/native/cuda/binding.gyp exists.
// A failed build does not fail a user's `npm install`: it prints why, and the `cpu` backend then reports "not built"
// (HEC5201). With HEC_REQUIRE_NATIVE=1 (set by .ci/run) a cpu engine that is not built exits 1 instead, so CI cannot go
// green with every real-encryption test skipped. Set HEC_SKIP_NATIVE=1 to skip (refused when the engine is required).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function log(msg) {
  process.stdout.write(`[hec native] ${msg}\n`);
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function nodeGyp() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return null;
  }
}

function nodedirArgs() {
  // Headers next to the running node (e.g. /usr/include/node for /usr/bin/node) avoid a network download.
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return [`--nodedir=${prefix}`];
  return [];
}

function build(dir, label) {
  const gyp = nodeGyp();
  if (gyp === null) {
    log(`${label}: node-gyp is not installed; skipping (the ${label} backend will report "not built")`);
    return false;
  }
  const jobs = ['-j', 'max'];
  const args = [gyp, 'rebuild', ...jobs, ...nodedirArgs(), `--directory=${dir}`];
  log(`${label}: building (${path.relative(process.cwd(), dir) || '.'}) ...`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: process.env });
  if (r.status !== 0) {
    log(`${label}: BUILD FAILED (exit ${r.status ?? r.signal}). The ${label} backend will report "not built".`);
    log(`${label}: needs a C++17 compiler (g++ >= 9 or clang >= 10), make and python3; rerun with \`node runtime/native/build.mjs\`.`);
    return false;
  }
  log(`${label}: built`);
  return true;
}

/** Builds what can be built; returns why the cpu engine is not built, or null when it is. */
function main() {
  if (process.env.HEC_SKIP_NATIVE === '1') {
    log('HEC_SKIP_NATIVE=1: skipping native builds');
    return 'HEC_SKIP_NATIVE=1 skipped the build';
  }
  let cpuMissing = null;
  const cxx = process.env.CXX ?? which('g++') ?? which('clang++') ?? which('c++');
  if (cxx === null) {
    log('no C++ compiler found (g++/clang++); skipping the cpu engine. The cpu backend will report "not built".');
    cpuMissing = 'no C++ compiler (g++/clang++) found';
  } else if (!which('make')) {
    log('`make` not found; skipping the cpu engine. The cpu backend will report "not built".');
    cpuMissing = '`make` not found';
  } else if (!build(here, 'cpu')) {
    cpuMissing = 'the C++ build failed (its compiler output is above)';
  }
  const cudaDir = path.join(here, 'cuda');
  if (which('nvcc') && existsSync(path.join(cudaDir, 'binding.gyp'))) build(cudaDir, 'cuda');
  else log('cuda: skipped (needs nvcc on PATH and runtime/native/cuda/binding.gyp)');
  return cpuMissing;
}

let cpuMissing;
try {
  cpuMissing = main();
} catch (e) {
  cpuMissing = `unexpected error: ${e instanceof Error ? e.message : String(e)}`;
  log(`${cpuMissing}; native engines not built`);
}
if (cpuMissing !== null && process.env.HEC_REQUIRE_NATIVE === '1') {
  log(`FAILED: HEC_REQUIRE_NATIVE=1 and the cpu engine is not built: ${cpuMissing}.`);
  process.exitCode = 1;
} else {
  process.exitCode = 0;
}
