/**
 * The `hec` command as a user meets it: help, bad inputs (each exits non-zero with one coded line naming the
 * problem), graph-only models (compile works and reports op counts; run refuses), and plan corruption.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildLlamaOnnx } from '../helpers/onnx-build.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hec-cli-'));

/** Run the CLI in a child process (asynchronously: a blocking spawn would stall the test worker). */
function hec(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return hecIn(process.cwd(), ...args);
}

/** The CLI run in another working directory (`hec run MODEL.onnx` caches plans under ./.hec-cache). */
function hecIn(cwd: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [resolve('bin/hec.mjs'), ...args], { encoding: 'utf8', timeout: 300_000, cwd }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      done({ code, stdout, stderr });
    });
  });
}

/** Exactly one `error HECnnnn:` line (plus an optional `fix:` line), never a stack trace. */
function expectOneError(r: { code: number; stderr: string }, code: string, mention: RegExp): void {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('[hec') && !l.startsWith('***'));
  expect(lines[0]).toMatch(new RegExp(`^error ${code}: `));
  expect(lines[0]).toMatch(mention);
  expect(lines.slice(1).every((l) => l.startsWith('fix: '))).toBe(true);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const SMALL = ['--preset', 'TEST_INSECURE_N13_DEEP', '--allow-insecure', '--max-context', '16', '--calibration-tokens', '4', '-q'];

describe('hec CLI', () => {
  it('--help lists every command and each command has its own --help', async () => {
    const top = await hec('--help');
    expect(top.code).toBe(0);
    for (const c of ['compile', 'run', 'inspect', 'passes', 'backends', 'bench']) {
      expect(top.stdout).toContain(c);
      const h = await hec(c, '--help');
      expect(h.code).toBe(0);
      expect(h.stdout).toContain(`usage: hec ${c}`);
    }
  });

  it('rejects a file that is not ONNX', async () => {
    const p = join(tmp, 'notes.onnx');
    writeFileSync(p, 'this is not a protobuf\n');
    expectOneError(await hec('compile', p, ...SMALL), 'HEC1\\d{3}', /notes\.onnx/);
  });

  it('rejects a truncated ONNX file', async () => {
    const p = join(tmp, 'cut.onnx');
    writeFileSync(p, readFileSync('models/llama-mqa.decode.onnx').subarray(0, 5000));
    expectOneError(await hec('compile', p, ...SMALL), 'HEC1\\d{3}', /cut\.onnx|truncated/);
  });

  it('rejects an unsupported op and names the node', async () => {
    const p = join(tmp, 'gelu.onnx');
    writeFileSync(p, buildLlamaOnnx({ numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 8, intermediateSize: 24, vocabSize: 32, ropeTheta: 10000, rmsNormEps: 1e-5, tied: false, seed: 3, variant: 'erf-gelu-mlp' }).bytes);
    expectOneError(await hec('compile', p, ...SMALL), 'HEC1\\d{3}', /Erf/);
  });

  it('compiles a graph-only model (weights file absent) and reports op counts; run refuses', async () => {
    const p = join(tmp, 'graph-only.onnx');
    copyFileSync('models/llama-mqa.decode.dynamo.onnx', p); // its .onnx.data is not copied
    const plan = join(tmp, 'graph-only.plan');
    const c = await hec('compile', p, '-o', plan, ...SMALL);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/GRAPH-ONLY/);
    expect(c.stdout).toMatch(/per token \d+ pt-mul, \d+ ct-mul, \d+ key switches, \d+ bootstraps/);
    const ins = await hec('inspect', plan, '--json');
    const summary = JSON.parse(ins.stdout) as { op_counts_per_token: Record<string, number> };
    expect(summary.op_counts_per_token['ckks.mul_plain']).toBeGreaterThan(0);
    expectOneError(await hec('run', plan, '--tokens', '1,2', '--max-new-tokens', '1', '--allow-insecure', '-q'), 'HEC5030', /graph-only|no weights/);
  });

  it('runs a plan, and rejects a corrupted plan and a plan of another version', async () => {
    const plan = join(tmp, 'mha.plan');
    const c = await hec('compile', 'test/fixtures/models/tiny-mha.decode.onnx', '-o', plan, ...SMALL);
    expect(c.code, c.stderr).toBe(0);
    const r = await hec('run', plan, '--tokens', '1,2,3', '--max-new-tokens', '2', '--json', '--allow-insecure', '-q');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { generated: number[]; positions: { input: number; top1: number; ms: number }[]; layers: unknown };
    expect(out.generated).toHaveLength(2);
    expect(out.layers).toEqual({ kept: 1, of: 1, truncated: false });
    expect(r.stderr).not.toMatch(/warning/);
    expect(out.positions.map((p) => p.input)).toEqual([1, 2, 3, out.generated[0]]);

    const text = readFileSync(plan, 'utf8');
    expect(text).toContain('layers = "1 of 1"');
    const corrupted = join(tmp, 'corrupted.plan');
    writeFileSync(corrupted, text.replace('ckks.rotate ', 'ckks.rotata '));
    expectOneError(await hec('run', corrupted, '--tokens', '1', '-q'), 'HEC5002', /corrupted/);
    const truncated = join(tmp, 'truncated.plan');
    writeFileSync(truncated, text.slice(0, text.length / 2));
    expectOneError(await hec('inspect', truncated), 'HEC5002', /truncated|checksum/);
    const future = join(tmp, 'future.plan');
    writeFileSync(future, text.replace('hec.plan version = 1', 'hec.plan version = 2'));
    expectOneError(await hec('inspect', future), 'HEC5004', /version 2/);
    expectOneError(await hec('inspect', 'models/llama-py.decode.onnx'), 'HEC5001', /not a hec plan/);
  });

  it('--layers K: a K the model does not have is refused (HEC0006); a truncated plan says so in compile, inspect and run', async () => {
    const model = 'test/fixtures/models/tiny-gqa.decode.onnx'; // 2 decoder layers
    for (const bad of ['3', '1.5']) {
      const r0 = await hec('compile', model, ...SMALL, '--layers', bad);
      expectOneError(r0, 'HEC0006', new RegExp(`--layers ${bad.replace('.', '\\.')} .*tiny-gqa.*has 2 decoder layers`));
      expect(r0.stderr).toMatch(/fix: pass --layers K with K an integer from 1 to 2/);
    }
    expectOneError(await hec('compile', model, ...SMALL, '--layers', 'two'), 'HEC0003', /--layers expects a number/);
    for (const c of ['compile', 'run']) expect((await hec(c, '--help')).stdout).toMatch(/--layers K +keep only the first K decoder layers/);

    const plan = join(tmp, 'gqa-first-layer.plan');
    const c = await hec('compile', model, '-o', plan, ...SMALL, '--layers', '1');
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/layers 2, .*\n {2}LAYERS {4}TRUNCATED: only the first 1 of 2 decoder layers/);
    expect(readFileSync(plan, 'utf8')).toMatch(/^hec\.plan version = 1 attributes \{.*layers = "1 of 2 \(truncated\)"/);
    expect((await hec('inspect', plan)).stdout).toMatch(/TRUNCATED: only the first 1 of 2 decoder layers/);
    expect(JSON.parse((await hec('inspect', plan, '--json')).stdout).layers).toEqual({ kept: 1, of: 2, truncated: true });
    const r = await hec('run', plan, '--tokens', '1,2', '--max-new-tokens', '0', '--json', '--allow-insecure', '-q');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("warning: this plan keeps only the first 1 of the model's 2 decoder layers (compiled with --layers 1): its logits and tokens are NOT the full model's");
    expect(JSON.parse(r.stdout).layers).toEqual({ kept: 1, of: 2, truncated: true });
    expectOneError(await hec('run', plan, '--tokens', '1', '--layers', '2', '--allow-insecure', '-q'), 'HEC0006', /--layers 2 does not apply to the plan .*1 of 2 decoder layers/);

    // `hec run MODEL.onnx` caches compiled plans: the truncated and the full plan must not share a cache entry.
    const dir = mkdtempSync(join(tmpdir(), 'hec-cli-cache-'));
    const abs = resolve(model);
    const a = await hecIn(dir, 'run', abs, '--tokens', '1', '--max-new-tokens', '0', ...SMALL, '--layers', '1');
    const b = await hecIn(dir, 'run', abs, '--tokens', '1', '--max-new-tokens', '0', ...SMALL);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(a.stderr).toMatch(/warning: this plan keeps only the first 1/);
    expect(a.stdout).toMatch(/first 1 of 2 decoder layers only/);
    expect(b.stderr).not.toMatch(/warning/);
    const cached = readdirSync(join(dir, '.hec-cache'));
    expect(cached).toHaveLength(2);
    expect(cached.filter((f) => f.endsWith('-layers1.plan'))).toHaveLength(1);
  });

  it('reports unknown options and commands clearly', async () => {
    expectOneError(await hec('compile', '--frobnicate'), 'HEC0002', /--frobnicate/);
    expectOneError(await hec('transmogrify'), 'HEC0001', /transmogrify/);
  });
});
