/**
 * @fileoverview `hec eval MODEL.onnx --kv-policy P`: a KV-cache policy's accuracy against the full cache, in
 * plaintext on the float64 reference (compiler/kv-policy/). `--sweep` runs every policy at several budgets and
 * writes a table and an SVG plot.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { HecError } from '../../ir/diagnostics.ts';
import type { CommandSpec, ParsedArgs } from '../args.ts';
import { evaluatePolicies, type PasskeyDocument, type PolicyConfig } from '../kv-policy/evaluate.ts';
import { DEFAULT_PARAMS, KV_POLICIES, kvPolicy, type KvPolicyParams } from '../kv-policy/index.ts';
import { resultJson, sweepSvg, sweepTable } from '../kv-policy/report.ts';
import { loadLlamaSync } from '../onnx/frontend.ts';

const D = DEFAULT_PARAMS;

export const evalCommand: CommandSpec = {
  name: 'eval',
  summary: 'measure a KV-cache policy (full, streaming, mpcache-static, mpcache) against the full cache, in plaintext',
  maxPositional: 1,
  usage: 'hec eval MODEL.onnx --kv-policy POLICY [--budget F] [--passkey FILE] [--text FILE] [--context N] [--json] | --sweep [--plot FILE.svg]',
  description: [
    'Runs the model on the float64 reference with the policy\'s attention masks and compares with the full cache.',
    'Each prompt runs with the full cache; then streaming reads a sliding ⌈budget·n⌉ of the n cached positions,',
    'mpcache-static keeps ⌈budget·T⌉ prompt positions once (and every generated token), and mpcache splits the budget',
    'into static × per-step cluster selection. Policies: ' + KV_POLICIES.map((p) => `${p.name} (${p.summary})`).join('; ') + '.',
  ].join('\n'),
  options: [
    { name: 'kv-policy', type: 'string', arg: 'POLICY', default: 'full', help: `one of ${KV_POLICIES.map((p) => p.name).join(', ')}` },
    { name: 'budget', type: 'number', arg: 'F', default: D.budget, help: 'fraction (0, 1] of the cache a step reads (see above)' },
    { name: 'passkey', type: 'string', arg: 'FILE', help: 'passkey documents ({ctx, documents: [{prompt_bytes, key}]}): greedy key bytes after each prompt' },
    { name: 'documents', type: 'number', arg: 'N', help: 'use only the first N passkey documents' },
    { name: 'text', type: 'string', arg: 'FILE', help: 'held-out text, scored in windows of --context bytes (prompt = first 3/4)' },
    { name: 'windows', type: 'number', arg: 'N', help: 'use only the first N text windows' },
    { name: 'context', type: 'number', arg: 'N', default: 256, help: 'text window length in bytes' },
    { name: 'layers', type: 'number', arg: 'K', help: 'evaluate only the first K decoder layers' },
    { name: 'json', type: 'boolean', help: 'print one JSON object (with --sweep: {full, sweep: [...]})' },
    { name: 'quiet', type: 'boolean', help: 'no progress lines on stderr' },
    { name: 'sweep', type: 'boolean', help: 'every policy in --policies at every budget in --budgets: a table and an SVG plot' },
    { name: 'budgets', type: 'string', arg: 'LIST', default: '0.03,0.06,0.12,0.3', help: 'sweep budgets (full is always added)' },
    { name: 'policies', type: 'string', arg: 'LIST', default: 'streaming,mpcache-static,mpcache', help: 'sweep policies' },
    { name: 'plot', type: 'string', arg: 'FILE', default: 'kv-sweep.svg', help: 'sweep: where to write the SVG plot' },
    { name: 'sink-tokens', type: 'number', arg: 'N', default: D.sinkTokens, help: 'streaming: attention-sink positions' },
    { name: 'observation-fraction', type: 'number', arg: 'F', default: D.observationFraction, help: 'mpcache*: last fraction of the prompt whose attention decides eviction' },
    { name: 'static-score', type: 'string', arg: 'mean|sum', default: D.staticScore, help: 'mpcache*: window attention averaged over the queries that see a key, or summed' },
    { name: 'static-ratio', type: 'number', arg: 'F', help: 'mpcache: prompt fraction kept by static eviction (default budget / dynamic ratio, at most 1)' },
    { name: 'dynamic-ratio', type: 'number', arg: 'F', default: D.dynamicRatio, help: 'mpcache: fraction of the kept cache attended per step (paper ratio2)' },
    { name: 'level-one-ratio', type: 'number', arg: 'F', default: D.levelOneRatio, help: 'mpcache: fraction of level-1 clusters kept as candidates (paper ratio1)' },
    { name: 'alpha', type: 'number', arg: 'A', default: D.alpha, help: 'mpcache: similarity q·(α·max + (1−α)·min)' },
    { name: 'cluster-size', type: 'number', arg: 'N', help: 'mpcache: level-2 cluster size (default 16, halved until --min-clusters fit the budget)' },
    { name: 'cluster-size-level-one', type: 'number', arg: 'N', help: 'mpcache: level-1 cluster size, a multiple of --cluster-size (default twice it)' },
    { name: 'min-clusters', type: 'number', arg: 'N', default: D.minClusters, help: 'mpcache: level-2 clusters attended at least, for the automatic cluster size' },
    { name: 'layer-share', type: 'boolean', default: D.shareLayers, help: 'mpcache: adjacent middle layers share selections (--no-layer-share to turn off)' },
    { name: 'share-edge-layers', type: 'number', arg: 'N', default: D.shareEdgeLayers, help: 'mpcache: layers at each end that never share' },
  ],
  run: runEval,
};

function bad(option: string, message: string, fix: string): HecError {
  return new HecError('HEC0121', `--${option}: ${message}`, { fix });
}

function fraction(opts: ParsedArgs['opts'], name: string, allowZero = false): number | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(allowZero ? v >= 0 : v > 0) || v > 1) throw bad(name, `expected a number in ${allowZero ? '[0' : '(0'}, 1], got ${v}`, `pass --${name} as a fraction, e.g. 0.3`);
  return v;
}

function count(opts: ParsedArgs['opts'], name: string, min: number): number | undefined {
  const v = opts[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw bad(name, `expected an integer ≥ ${min}, got ${v}`, `pass --${name} N with N ≥ ${min}`);
  return v;
}

/** Policy parameters from the options, every one checked before any model work. */
export function paramsFromOptions(opts: ParsedArgs['opts']): KvPolicyParams {
  const score = opts['static-score'] ?? D.staticScore;
  if (score !== 'mean' && score !== 'sum') throw bad('static-score', `expected mean or sum, got '${String(score)}'`, 'pass --static-score mean or --static-score sum');
  const p: KvPolicyParams = {
    budget: fraction(opts, 'budget') ?? D.budget,
    sinkTokens: count(opts, 'sink-tokens', 0) ?? D.sinkTokens,
    observationFraction: fraction(opts, 'observation-fraction') ?? D.observationFraction,
    staticScore: score,
    staticRatio: fraction(opts, 'static-ratio'),
    dynamicRatio: fraction(opts, 'dynamic-ratio') ?? D.dynamicRatio,
    levelOneRatio: fraction(opts, 'level-one-ratio') ?? D.levelOneRatio,
    alpha: fraction(opts, 'alpha', true) ?? D.alpha,
    clusterSize: count(opts, 'cluster-size', 1),
    clusterSizeLevelOne: count(opts, 'cluster-size-level-one', 1),
    minClusters: count(opts, 'min-clusters', 1) ?? D.minClusters,
    shareLayers: opts['layer-share'] !== false,
    shareEdgeLayers: count(opts, 'share-edge-layers', 0) ?? D.shareEdgeLayers,
  };
  const s2 = p.clusterSize ?? 1;
  if (p.clusterSizeLevelOne !== undefined && p.clusterSizeLevelOne % s2 !== 0) {
    throw bad('cluster-size-level-one', `${p.clusterSizeLevelOne} is not a multiple of the level-2 size ${s2}`, 'level-1 clusters are whole groups of level-2 clusters: pick a multiple');
  }
  if (p.clusterSizeLevelOne !== undefined && p.clusterSize === undefined) {
    throw bad('cluster-size-level-one', 'needs --cluster-size too (the automatic size could not divide it)', 'pass both --cluster-size and --cluster-size-level-one');
  }
  return p;
}

/** Passkey documents: `{documents: [{prompt_bytes: number[], key: string}]}` (llama-recall.passkey.json). */
export function readPasskeyFile(path: string): PasskeyDocument[] {
  const fix = 'pass a JSON file {"documents": [{"prompt_bytes": [...], "key": "..."}]} such as llama-recall.passkey.json';
  if (!existsSync(path)) throw new HecError('HEC0122', `passkey file ${path} does not exist`, { fix });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new HecError('HEC0122', `passkey file ${path} is not JSON: ${(e as Error).message}`, { fix });
  }
  const docs = typeof raw === 'object' && raw !== null && 'documents' in raw ? raw.documents : undefined;
  if (!Array.isArray(docs) || docs.length === 0) throw new HecError('HEC0122', `passkey file ${path} has no "documents" array`, { fix });
  return docs.map((d: unknown, i) => {
    const prompt = typeof d === 'object' && d !== null && 'prompt_bytes' in d ? d.prompt_bytes : undefined;
    const key = typeof d === 'object' && d !== null && 'key' in d ? d.key : undefined;
    if (!Array.isArray(prompt) || prompt.length === 0 || !prompt.every((b) => Number.isInteger(b) && b >= 0 && b < 256) || typeof key !== 'string' || key.length === 0) {
      throw new HecError('HEC0122', `passkey file ${path}: document ${i} needs non-empty prompt_bytes (bytes 0–255) and a key string`, { fix });
    }
    return { prompt: prompt as number[], key };
  });
}

async function runEval({ positional, opts }: ParsedArgs): Promise<number> {
  const modelPath = positional[0];
  if (modelPath === undefined) throw new HecError('HEC0004', 'hec eval needs a model', { fix: 'hec eval MODEL.onnx --kv-policy mpcache --passkey FILE' });
  const params = paramsFromOptions(opts);
  const sweep = opts.sweep === true;
  const policies = sweep ? String(opts.policies).split(',').filter((s) => s !== '').map(kvPolicy) : [kvPolicy(String(opts['kv-policy']))];
  const budgets = sweep ? String(opts.budgets).split(',').filter((s) => s !== '').map(Number) : [params.budget];
  for (const b of budgets) if (!(b > 0 && b <= 1)) throw bad('budgets', `budget ${b} is not in (0, 1]`, 'pass fractions, e.g. --budgets 0.03,0.06,0.12,0.3');
  const passkeyPath = typeof opts.passkey === 'string' ? opts.passkey : undefined;
  const textPath = typeof opts.text === 'string' ? opts.text : undefined;
  if (passkeyPath === undefined && textPath === undefined) throw new HecError('HEC0123', 'hec eval has nothing to measure', { fix: 'pass --passkey FILE and/or --text FILE' });
  const documents = count(opts, 'documents', 1);
  const passkey = passkeyPath === undefined ? undefined : readPasskeyFile(passkeyPath).slice(0, documents);
  const context = count(opts, 'context', 8) ?? 256;
  let text: { bytes: Uint8Array; context: number; windows?: number } | undefined;
  if (textPath !== undefined) {
    if (!existsSync(textPath)) throw new HecError('HEC0123', `text file ${textPath} does not exist`, { fix: 'pass --text with a held-out text file' });
    const bytes = new Uint8Array(readFileSync(textPath));
    if (bytes.length < context) throw new HecError('HEC0123', `text file ${textPath} has ${bytes.length} bytes, less than one window of --context ${context}`, { fix: 'use a longer file or a smaller --context' });
    text = { bytes, context, windows: count(opts, 'windows', 1) };
  }
  const model = loadLlamaSync(modelPath);
  const configs: PolicyConfig[] = policies.filter((p) => p.name !== 'full').flatMap((policy) => budgets.map((budget) => ({ policy, params: { ...params, budget } })));
  const json = opts.json === true;
  const tty = process.stderr.isTTY === true;
  const progress = opts.quiet === true ? undefined : (m: string) => process.stderr.write(tty ? `\r${m}   ` : `${m}\n`);
  const { full, results } = evaluatePolicies(model, configs, { layers: count(opts, 'layers', 1), passkey: passkey && { documents: passkey }, text, progress });
  if (progress && tty) process.stderr.write('\n');
  if (!sweep) {
    const r = results[0] ?? full;
    if (json) process.stdout.write(`${JSON.stringify(resultJson(r, full))}\n`);
    else process.stdout.write(`${sweepTable(results, full)}\n`);
    return 0;
  }
  const plot = String(opts.plot);
  const rows = results.map((r) => resultJson(r, full));
  const fullRow = resultJson(full, full);
  writeFileSync(plot, sweepSvg(rows, fullRow, `${modelPath}${passkeyPath ? `, passkey ${passkeyPath}` : ''}${textPath ? `, text ${textPath} (context ${context})` : ''}`));
  if (json) process.stdout.write(`${JSON.stringify({ full: fullRow, sweep: rows })}\n`);
  else process.stdout.write(`${sweepTable(results, full)}\nplot: ${plot}\n`);
  return 0;
}
