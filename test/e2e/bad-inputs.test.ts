/**
 * Bad and careless inputs, one class at a time, as a new user would type them (issue #12): each gives exactly one
 * `error HECnnnn:` line and a `fix:` line, exits ≠ 0, never prints a stack trace, and is caught before expensive
 * work (no compile, no key generation) where it can be known up front; the plan cache and plan files are never left
 * half-written or silently reused for other bytes.
 *
 * The CLI runs in-process (`main`, stdout/stderr captured) so that the many cheap refusals cost no process start;
 * one small model (tiny-mha, its weights moved to an external .data file) is compiled once and shared.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../compiler/cli.ts';
import type { CompileOptions } from '../../compiler/driver.ts';
import { loadLlamaSync } from '../../compiler/onnx/frontend.ts';
import { cachedPlanForModel, planCacheFile, planCacheKey } from '../../compiler/plan-cache.ts';
import { HecError } from '../../ir/diagnostics.ts';
import { assertPlanModel, readPlan, writePlan, type Plan } from '../../runtime/plan.ts';

const { onnx } = onnxProto;
const TINY = 'test/fixtures/models/tiny-mha.decode.onnx';
const SMALL = ['--preset', 'TEST_INSECURE_N13_DEEP', '--allow-insecure', '--max-context', '8', '--calibration-tokens', '1', '-q'];
const SMALL_OPTS: CompileOptions = { preset: 'TEST_INSECURE_N13_DEEP', allowInsecure: true, maxContext: 8, bootstrapCalibrationTokens: 1 };

const tmp = mkdtempSync(join(tmpdir(), 'hec-bad-inputs-'));

/** Run the CLI in this process; stdout and stderr are captured, nothing reaches the terminal. */
async function hec(...args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => ((stdout += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  const t0 = Date.now();
  try {
    const code = await main(args);
    return { code, stdout, stderr, ms: Date.now() - t0 };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

/** Exactly one `error HECnnnn:` line and one `fix:` line (banners and warnings aside), never a stack trace. */
function expectOneError(r: { code: number; stderr: string }, code: string, mention: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('[hec') && !l.startsWith('***') && !l.startsWith('warning:'));
  expect(lines, r.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(new RegExp(`^error ${code}: `));
  expect(lines[0]).toMatch(mention);
  expect(lines[1]).toMatch(/^fix: \S/);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

/**
 * The same ONNX model with every initializer larger than 64 bytes moved to an external data file at `location`
 * (relative to the model), as torch.onnx writes large models. `scale` multiplies the float weights (another model
 * with the same graph); `tamper` edits the protobuf before it is written.
 */
function externalize(src: string, dir: string, name: string, opts: { location?: string; scale?: number; dataPath?: string; tamper?: (m: InstanceType<typeof onnx.ModelProto>) => void } = {}): string {
  const model = onnx.ModelProto.decode(readFileSync(src));
  const location = opts.location ?? `${name}.data`;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of model.graph!.initializer as InstanceType<typeof onnx.TensorProto>[]) {
    if (!(t.rawData && t.rawData.length > 64)) continue;
    let raw = Uint8Array.from(t.rawData);
    if (opts.scale !== undefined && t.dataType === 1) {
      const f = new Float32Array(raw.buffer.slice(0));
      for (let i = 0; i < f.length; i++) f[i] = f[i]! * opts.scale;
      raw = new Uint8Array(f.buffer);
    }
    chunks.push(raw);
    t.rawData = new Uint8Array(0);
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [
      onnx.StringStringEntryProto.create({ key: 'location', value: location }),
      onnx.StringStringEntryProto.create({ key: 'offset', value: String(offset) }),
      onnx.StringStringEntryProto.create({ key: 'length', value: String(raw.length) }),
    ];
    offset += raw.length;
  }
  opts.tamper?.(model);
  const path = join(dir, name);
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
  writeFileSync(opts.dataPath ?? join(dir, location), Buffer.concat(chunks));
  return path;
}

function hecErrorOf(f: () => unknown): HecError {
  try {
    f();
  } catch (e) {
    if (e instanceof HecError) return e;
    throw e;
  }
  throw new Error('expected a HecError');
}

// One compiled plan of the externalized tiny model, shared by the checks below.
const modelDir = join(tmp, 'model');
let model = '';
let planPath = '';
let plan: Plan;

beforeAll(async () => {
  mkdirSync(modelDir);
  model = externalize(TINY, modelDir, 'tiny.onnx');
  planPath = join(tmp, 'tiny.plan');
  const c = await hec('compile', model, '-o', planPath, ...SMALL);
  expect(c.code, c.stderr).toBe(0);
  plan = readPlan(planPath);
});

describe('command-line values are parsed strictly, before any work', () => {
  it('token ids: decimal integers only (no hex, exponents, signs, empty fields); ids outside the vocabulary before key generation', async () => {
    for (const bad of ['0x41,1e2', '1e2', '-1', '1,,2', '1.5', '', 'abc', '1;2']) {
      expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens', bad, '-q'), 'HEC0003', /--tokens expects comma-separated non-negative decimal integers/);
    }
    const oov = await hec('run', planPath, '--allow-insecure', '--tokens', '1,48', '-q');
    expectOneError(oov, 'HEC0005', /token id 48 is outside the vocabulary 0\.\.47/);
    expect(oov.stderr).not.toMatch(/keys/); // refused before key generation (progress would say "keys")
  });

  it('--tokens abc next to an .onnx model is refused before the model is compiled', async () => {
    const r = await hec('run', resolve(TINY), '--allow-insecure', '--tokens', 'abc', ...SMALL);
    expectOneError(r, 'HEC0003', /'abc' is not one/);
    expect(r.ms).toBeLessThan(2_000); // a compile takes seconds
    expect(existsSync(planCacheFile(TINY, SMALL_OPTS))).toBe(false);
  });

  it('--prompt with --tokens, an empty prompt, a prompt that is not UTF-8, no prompt at all', async () => {
    expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens', '1', '--prompt', 'hi', '-q'), 'HEC0003', /--prompt and --tokens are both given/);
    expectOneError(await hec('run', planPath, '--allow-insecure', '--prompt', '', '-q'), 'HEC0003', /the prompt is empty/);
    // What Node makes of argv bytes that are not UTF-8 (0xff): U+FFFD, which would run as EF BF BD.
    expectOneError(await hec('run', 'models/llama-mqa.decode.onnx', '--allow-insecure', '--prompt', Buffer.from([0x61, 0xff, 0x62]).toString('utf8'), '-q'), 'HEC0003', /not valid UTF-8/);
    expectOneError(await hec('run', planPath, '--allow-insecure', '-q'), 'HEC0001', /needs --prompt TEXT or --tokens IDS/);
  });

  it('extra positional arguments are refused: an unquoted prompt says to quote it', async () => {
    const r = await hec('run', planPath, '--allow-insecure', '--tokens', '1', 'fib(n):', '-q');
    expectOneError(r, 'HEC0007', /unexpected argument 'fib\(n\):'/);
    expect(r.stderr).toMatch(/fix: .*quote/);
    const unquoted = await hec('run', '--prompt', 'def', 'fib(n):', '-q');
    expectOneError(unquoted, 'HEC0004', /no such file: fib\(n\):/);
    expect(unquoted.stderr).toContain("fix: if 'fib(n):' is part of the prompt, quote the whole prompt: --prompt 'def fib(n):'");
    expectOneError(await hec('compile', TINY, 'extra.onnx', ...SMALL), 'HEC0007', /unexpected argument 'extra\.onnx'/);
    expectOneError(await hec('inspect', planPath, planPath), 'HEC0007', /unexpected argument/);
    expectOneError(await hec('passes', 'all'), 'HEC0007', /it takes none/);
  });

  it('numbers: no hex, exponents, empty values, negatives, fractions where integers are meant; --calibration-tokens 0 is refused', async () => {
    const cases: [string[], RegExp][] = [
      [['--max-new-tokens', '0x10'], /--max-new-tokens expects a number, got '0x10'/],
      [['--max-new-tokens', '1e2'], /--max-new-tokens expects a number, got '1e2'/],
      [['--max-new-tokens='], /--max-new-tokens expects a number, got ''/],
      [['--max-new-tokens', '-1'], /--max-new-tokens must be at least 0, got -1/],
      [['--max-new-tokens', '2.5'], /--max-new-tokens expects a non-negative integer, got '2\.5'/],
      [['--max-new-tokens', 'Infinity'], /expects a number/],
    ];
    for (const [opt, msg] of cases) expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens', '1', ...opt, '-q'), 'HEC0003', msg);
    expectOneError(await hec('compile', TINY, '--calibration-tokens', '0'), 'HEC0003', /--calibration-tokens must be at least 1, got 0/);
    expectOneError(await hec('compile', TINY, '--max-context', '0'), 'HEC0003', /--max-context must be at least 1/);
    expectOneError(await hec('compile', TINY, '--max-context', '99999999999'), 'HEC0003', /--max-context must be at most 65536/);
    expectOneError(await hec('compile', TINY, ...SMALL, '--max-context', '64'), 'HEC0003', /--max-context is given twice/);
    expectOneError(await hec('bench', 'ckks', '--threads', '0'), 'HEC0003', /--threads must be at least 1/);
    expectOneError(await hec('bench', 'ckks', '--log-n', '15,abc'), 'HEC0003', /--log-n expects comma-separated ring degrees/);
    expectOneError(await hec('bench', 'bootstrap', '--preset', 'N16_BOOT_DENSE,N16_BOOTT'), 'HEC6002', /unknown parameter preset 'N16_BOOTT'/);
    expectOneError(await hec('bench', 'bootstrap', '--preset', 'N15_SHALLOW'), 'HEC0003', /preset 'N15_SHALLOW' cannot bootstrap/);
  });

  it('an option without its value, given twice, or a value on a switch', async () => {
    expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens', '--json'), 'HEC0003', /--tokens needs a value, got the option '--json'/);
    expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens'), 'HEC0003', /--tokens needs a value$/m);
    expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens', '1', '--tokens', '2'), 'HEC0003', /--tokens is given twice/);
    expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens', '1', '--json=false'), 'HEC0003', /--json takes no value/);
    expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens', '1', '--backend', 'gpu'), 'HEC5202', /unknown backend 'gpu'/);
    expectOneError(await hec('compile', TINY, '--preset', 'n16_boot'), 'HEC6002', /unknown parameter preset 'n16_boot'/);
  });

  it('compile options beside a compiled plan are refused, --calibration included', async () => {
    for (const opt of [['--preset', 'N16_BOOT_DENSE'], ['--max-context', '64'], ['--calibration', TINY], ['--calibration-tokens', '4']]) {
      expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens', '1', ...opt, '-q'), 'HEC0006', new RegExp(`${opt[0]} is a compile option and .* is a plan that is already compiled`));
    }
    expectOneError(await hec('run', model, '--allow-insecure', '--tokens', '1', '--model', model, ...SMALL), 'HEC0006', /--model names the model of a plan/);
    expectOneError(await hec('run', planPath, '--allow-insecure', '--tokens', '1', '--logits'), 'HEC0006', /--logits adds logits to the --json output/);
  });

  it('prompt + new tokens past the plan\'s context are refused before any position runs', async () => {
    const r = await hec('run', planPath, '--allow-insecure', '--tokens', '1,2,3', '--max-new-tokens', '7');
    expectOneError(r, 'HEC0008', /the prompt \(3 tokens\) and --max-new-tokens 7 need 9 positions, but the plan .* holds 8/);
    expect(r.stderr).toMatch(/fix: lower --max-new-tokens to at most 6, or compile with --max-context 9/);
    expect(r.stderr).not.toMatch(/position 1\/|keys/);
    // Next to an .onnx model the context is known from --max-context: refused before the compile.
    const early = await hec('run', resolve(TINY), '--allow-insecure', '--tokens', '1,2,3,4,5,6,7,8,9', '--max-new-tokens', '0', ...SMALL);
    expectOneError(early, 'HEC0008', /need 9 positions, but the plan compiled with --max-context 8 holds 8/);
    expect(early.ms).toBeLessThan(2_000);
    const fits = await hec('run', planPath, '--allow-insecure', '--tokens', '1,2,3', '--max-new-tokens', '6', '--json', '-q');
    expect(fits.code, fits.stderr).toBe(0);
    expect(JSON.parse(fits.stdout).positions).toHaveLength(8);
  });

  it('a missing file, a directory (even one named x.onnx) or a plan that is a directory', async () => {
    const dirOnnx = join(tmp, 'x.onnx');
    mkdirSync(dirOnnx);
    expectOneError(await hec('run', dirOnnx, '--allow-insecure', '--tokens', '1', '-q'), 'HEC0004', /x\.onnx is a directory/);
    expectOneError(await hec('compile', dirOnnx, '-q'), 'HEC1001', /x\.onnx is a directory/);
    expectOneError(await hec('inspect', tmp), 'HEC5005', /it is a directory/);
    expectOneError(await hec('run', join(tmp, 'nope.plan'), '--allow-insecure', '--tokens', '1'), 'HEC0004', /no such file/);
    expectOneError(await hec('compile', TINY, ...SMALL, '--calibration', join(tmp, 'nope.txt')), 'HEC0004', /--calibration: no such file/);
    const empty = join(tmp, 'empty.txt');
    writeFileSync(empty, '');
    expectOneError(await hec('compile', TINY, '-o', join(tmp, 'cal.plan'), ...SMALL, '--calibration', empty), 'HEC1040', /calibration file .*empty\.txt is empty/);
    const hex = join(tmp, 'hex.txt');
    writeFileSync(hex, '1 2 3\n4 0x5 6\n');
    expectOneError(await hec('compile', TINY, '-o', join(tmp, 'cal.plan'), ...SMALL, '--calibration', hex), 'HEC1040', /line 2: '0x5' is not a token id/);
  });
});

describe('compile -o is checked before the compile starts', () => {
  it('refuses the input model, its weight file, a directory, a missing or non-folder parent', async () => {
    const before = readFileSync(model);
    const same = await hec('compile', model, '-o', model, ...SMALL);
    expectOneError(same, 'HEC0009', /that is the input .*tiny\.onnx, which would be overwritten/);
    expect(readFileSync(model).equals(before)).toBe(true);
    expectOneError(await hec('compile', model, '-o', `${model}.data`, ...SMALL), 'HEC0009', /tiny\.onnx\.data, which would be overwritten/);
    expectOneError(await hec('compile', model, '-o', tmp, ...SMALL), 'HEC0009', /it is a directory/);
    expectOneError(await hec('compile', model, '-o', join(tmp, 'no', 'such', 'x.plan'), ...SMALL), 'HEC0009', /the folder .*no\/such does not exist/);
    expectOneError(await hec('compile', model, '-o', join(planPath, 'x.plan'), ...SMALL), 'HEC0009', /tiny\.plan is not a folder/);
    const cal = join(tmp, 'cal.txt');
    writeFileSync(cal, 'def f(x):\n  return x\n');
    expectOneError(await hec('compile', model, '-o', cal, '--calibration', cal, ...SMALL), 'HEC0009', /cal\.txt, which would be overwritten/);
  });

  it('plans are written atomically (no temporary file is left beside them)', () => {
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const target = join(tmp, 'atomic.plan');
    writePlan(target, plan.module);
    writePlan(target, plan.module);
    expect(readPlan(target).module.attrs.max_context).toBe(8);
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});

describe('plans bind the model and each of its weight files', () => {
  it('the plan header records the sha256 of the .data file; a replaced .data is HEC5034 naming the file', async () => {
    const header = plan.module.attrs.model as { weight_files?: { location: string; sha256: string }[] };
    expect(header.weight_files).toHaveLength(1);
    expect(header.weight_files![0]!.location).toBe('tiny.onnx.data');
    const dir = join(tmp, 'swapped');
    mkdirSync(dir);
    const swapped = externalize(TINY, dir, 'tiny.onnx', { scale: 1.01 });
    expect(readFileSync(swapped).equals(readFileSync(model))).toBe(true); // same graph bytes, other weights
    const e = hecErrorOf(() => assertPlanModel(plan, loadLlamaSync(swapped).source));
    expect(e.code).toBe('HEC5034');
    expect(e.render()).toMatch(/weight file tiny\.onnx\.data of .* is not the one this plan was compiled with/);
    expectOneError(await hec('run', planPath, '--allow-insecure', '--model', swapped, '--tokens', '1', '--max-new-tokens', '1', '-q'), 'HEC5034', /tiny\.onnx\.data/);
    // The original weights still run.
    expect(() => assertPlanModel(plan, loadLlamaSync(model).source)).not.toThrow();
  });
});

describe('ONNX files that point outside themselves or lie about shapes', () => {
  it('external data at an absolute path or climbing out with .. is refused (HEC1006)', async () => {
    const dir = join(tmp, 'escape', 'inner');
    mkdirSync(dir, { recursive: true });
    const up = externalize(TINY, dir, 'up.onnx', { location: '../up.data' });
    expectOneError(await hec('compile', up, ...SMALL), 'HEC1006', /names external data at '\.\.\/up\.data', outside the model's folder/);
    const absData = join(tmp, 'abs.data');
    const abs = externalize(TINY, dir, 'abs.onnx', { location: absData, dataPath: absData });
    expectOneError(await hec('compile', abs, ...SMALL), 'HEC1006', /outside the model's folder/);
    expectOneError(await hec('run', up, '--allow-insecure', '--tokens', '1', '--max-new-tokens', '1', ...SMALL), 'HEC1006', /outside the model's folder/);
  });

  it('negative tensor dimensions are HEC1007, not an internal error', async () => {
    const neg = externalize(TINY, tmp, 'neg.onnx', {
      tamper: (m) => {
        const t = m.graph?.initializer?.[0];
        if (t) t.dims = [-4, 8];
      },
    });
    expectOneError(await hec('compile', neg, ...SMALL), 'HEC1007', /dimensions \[-4,8\]/);
  });
});

describe('the plan cache of hec run MODEL.onnx', () => {
  it('is keyed by the weights as well as the graph: other weights, a missing weight file and every option change the key', () => {
    const dir = join(tmp, 'keys');
    mkdirSync(dir);
    const other = externalize(TINY, dir, 'tiny.onnx', { scale: 2 });
    const base = planCacheKey(model, SMALL_OPTS);
    expect(planCacheKey(other, SMALL_OPTS)).not.toBe(base);
    for (const change of [{ preset: 'TEST_INSECURE_BOOT_N12' }, { maxContext: 9 }, { bootstrapCalibrationTokens: 2 }, { layers: 1 }, { calibrationFile: TINY }]) {
      expect(planCacheKey(model, { ...SMALL_OPTS, ...change })).not.toBe(base);
    }
    // Graph-only (the weight file absent) is another key, so that plan is never reused once the weights return.
    const data = join(dir, 'tiny.onnx.data');
    renameSync(data, `${data}.away`);
    const graphOnly = planCacheKey(other, SMALL_OPTS);
    renameSync(`${data}.away`, data);
    expect(graphOnly).not.toBe(planCacheKey(other, SMALL_OPTS));
    // Paths are not part of the key: the same bytes in a renamed folder hit the same entry.
    const moved = join(tmp, 'keys-renamed');
    renameSync(dir, moved);
    expect(planCacheKey(join(moved, 'tiny.onnx'), SMALL_OPTS)).toBe(planCacheKey(other.replace(dir, moved), SMALL_OPTS));
  });

  it('reuses an intact entry, recompiles a torn one, and compiles without caching where the folder cannot be made', async () => {
    const root = join(tmp, 'cache-root');
    const warnings: string[] = [];
    const stages: string[] = [];
    const io = { cacheRoot: root, progress: (s: string, d?: string) => void stages.push(`${s}: ${d}`), warn: (l: string) => void warnings.push(l) };
    // Seed the entry with the plan compiled above (same bytes and options, so the same key): a hit compiles nothing.
    const entry = planCacheFile(model, SMALL_OPTS, root);
    mkdirSync(join(root, '.hec-cache'), { recursive: true });
    copyFileSync(planPath, entry);
    const hit = await cachedPlanForModel(model, SMALL_OPTS, io);
    expect(hit.path).toBe(entry);
    expect(stages).toEqual([`plan: reusing ${entry}`]);

    const text = readFileSync(entry, 'utf8');
    writeFileSync(entry, text.slice(0, text.length >> 1)); // a torn write from an older hec, or a full disk
    const rebuilt = await cachedPlanForModel(model, SMALL_OPTS, io);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: the cached plan .* is damaged \(HEC5002: .*\); recompiling it$/);
    expect(rebuilt.path).toBe(entry);
    expect(readPlan(entry).module.attrs.max_context).toBe(8);
    expect(stages.at(-1)).toBe(`plan: compiled to ${entry}`);
    expect(readdirSync(join(root, '.hec-cache')).filter((f) => f.includes('.tmp-'))).toEqual([]);

    const blocked = join(tmp, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, '.hec-cache'), 'a file where the cache folder should be');
    const uncached = await cachedPlanForModel(model, SMALL_OPTS, { ...io, cacheRoot: blocked });
    expect(uncached.path).toMatch(/^<not cached/);
    expect(uncached.plan.module.attrs.max_context).toBe(8);
    expect(warnings[1]).toMatch(/exists and is not a folder; running without a plan cache/);
  });

  it('a project folder (model + cache) that is moved still runs from its cache, and runs the model it was given', async () => {
    const root = join(tmp, 'project');
    mkdirSync(join(root, '.hec-cache'), { recursive: true });
    const copy = join(root, 'tiny.onnx');
    copyFileSync(model, copy);
    copyFileSync(`${model}.data`, `${copy}.data`);
    copyFileSync(planPath, planCacheFile(copy, SMALL_OPTS, root));
    const moved = join(tmp, 'project-moved');
    renameSync(root, moved);
    const io = { cacheRoot: moved, progress: () => {}, warn: (l: string) => expect.fail(l) };
    const after = await cachedPlanForModel(join(moved, 'tiny.onnx'), SMALL_OPTS, io);
    expect(after.path.startsWith(join(moved, '.hec-cache'))).toBe(true);
    expect(() => assertPlanModel(after.plan, loadLlamaSync(join(moved, 'tiny.onnx')).source)).not.toThrow();
  });
});

describe('errors name the real cause', () => {
  it('parameters too small for the softmax range: HEC4102 says which degree is needed and which the levels allow', async () => {
    const r = await hec('compile', TINY, '-o', join(tmp, 'n12.plan'), '--preset', 'TEST_INSECURE_N12', '--allow-insecure', '--max-context', '1024', '--calibration-tokens', '1', '-q');
    expectOneError(r, 'HEC4102', /inv on %\S+: reaching 0\.5 relative error on \[[\d.e-]+, 1024\] .* needs a degree-\d+ polynomial, but the levels between bootstraps of these parameters allow degree \d+/);
    expect(r.stderr).toMatch(/fix: use parameters with more levels between bootstraps, or a smaller --max-context/);
    expect(r.stderr).not.toMatch(/calibrat/);
  });

  it('a preset that cannot bootstrap for a model deeper than its chain: HEC4203 says so', async () => {
    const r = await hec('compile', TINY, '-o', join(tmp, 'shallow.plan'), '--preset', 'TEST_INSECURE_N12', '--allow-insecure', '--max-context', '32', '--calibration-tokens', '1', '-q');
    expectOneError(r, 'HEC4203', /parameters 'TEST_INSECURE_N12' is used up and they cannot bootstrap/);
    expect(r.stderr).toMatch(/fix: use a bootstrapping preset such as N16_BOOT_DENSE/);
  });

  it('an edited plan whose checksum was recomputed: one verifier error and a count, not a cascade', async () => {
    const { createHash } = await import('node:crypto');
    const text = readFileSync(planPath, 'utf8');
    const body = text.slice(0, text.lastIndexOf('// sha256: '));
    const m = /(%\w+ = ckks\.mul %\S+, %\S+ : !ct<level=)(\d+)/.exec(body);
    if (m === null) throw new Error('no ckks.mul in the plan');
    const edited = body.replace(m[0], `${m[1]}${Number(m[2]) - 1}`);
    const path = join(tmp, 'edited.plan');
    writeFileSync(path, `${edited}// sha256: ${createHash('sha256').update(edited).digest('hex')}\n`);
    const r = await hec('inspect', path);
    expectOneError(r, 'HEC3007', /IR verification failed: ckks\.mul result .* declared .* but its operands give .*\(func @decode_step, op #\d+\)( \(and \d+ more problems?\))? --> .*edited\.plan/);
    expect(r.stderr.split('\n').length).toBeLessThanOrEqual(3);
  });
});
