import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../../compiler/cli.ts';
import { ortGreedy } from '../../helpers/ort.ts';

/** Run `hec …` in-process; returns exit code, stdout and stderr. */
async function hec(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

const TEXT = 'test/fixtures/text/held-out.py';

describe('hec eval', () => {
  it('--json prints one object with the contract fields', async () => {
    const r = await hec('eval', 'models/llama-py.decode.onnx', '--kv-policy', 'mpcache', '--budget', '0.3', '--text', TEXT, '--context', '128', '--windows', '2', '--json', '--quiet');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(r.out);
    expect(j.policy).toBe('mpcache');
    expect(j.budget).toBe(0.3);
    expect(j.kept_fraction).toHaveLength(4);
    for (const f of j.kept_fraction) expect(f).toBeGreaterThan(0.2), expect(f).toBeLessThan(0.45);
    expect(j.text).toEqual({ windows: 2, scored_bytes: 2 * 31 });
    expect(j.xent_nats_per_byte).toBeGreaterThan(0);
    expect(j.kl_vs_full).toBeGreaterThan(0);
    expect(j.attention_mass_kept).toBeGreaterThan(0);
    expect(j.attention_mass_kept).toBeLessThan(1);
    expect(j.top1_agreement).toBeGreaterThan(0);
    expect(j.mpcache_split).toEqual({ staticRatio: 1, dynamicRatio: 0.3 });
  });

  it('--sweep prints a table and writes an SVG with one line per policy', async () => {
    const plot = join(mkdtempSync(join(tmpdir(), 'hec-eval-')), 'sweep.svg');
    const r = await hec('eval', 'models/llama-py.decode.onnx', '--sweep', '--budgets', '0.1,0.3', '--policies', 'streaming,mpcache', '--text', TEXT, '--context', '64', '--windows', '1', '--plot', plot, '--quiet');
    expect(r.code).toBe(0);
    const rows = r.out.trim().split('\n');
    expect(rows[0]).toMatch(/^policy\s+budget\s+kept\s+xent\s+KL\s+top1\s+mass$/);
    expect(rows.slice(1, 6).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['full 100%', 'streaming 10%', 'streaming 30%', 'mpcache 10%', 'mpcache 30%']);
    expect(existsSync(plot)).toBe(true);
    const svg = readFileSync(plot, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(2 * 2); // two panels (top-1, mass) × two policies
  });

  it('refuses bad input with a coded error before loading the model', async () => {
    const cases: [string[], RegExp][] = [
      [['--kv-policy', 'h2o', '--text', TEXT], /error HEC0120: unknown KV-cache policy 'h2o'\nfix: use one of: full, streaming, mpcache-static, mpcache/],
      [['--budget', '1.5', '--text', TEXT], /error HEC0121: --budget: expected a number in \(0, 1\], got 1.5\nfix:/],
      [['--cluster-size', '4', '--cluster-size-level-one', '6', '--text', TEXT], /error HEC0121: --cluster-size-level-one: 6 is not a multiple of the level-2 size 4/],
      [['--kv-policy', 'mpcache'], /error HEC0123: hec eval has nothing to measure\nfix: pass --passkey FILE and\/or --text FILE/],
      [['--passkey', TEXT], /error HEC0122: passkey file .* is not JSON/],
      [['--text', TEXT, '--context', '4096'], /error HEC0123: text file .* has 2018 bytes, less than one window of --context 4096/],
    ];
    for (const [args, want] of cases) {
      const r = await hec('eval', 'does-not-exist.onnx', ...args);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(want);
    }
  });
});

// llama-recall is bundled into models/ by the long-context work; without it there is nothing to run here.
const RECALL = 'models/llama-recall.decode.onnx';
const PASSKEY = 'models/llama-recall.passkey.json';
describe.skipIf(!existsSync(RECALL) || !existsSync(PASSKEY))('hec eval --passkey (needs models/llama-recall.*)', () => {
  it('full counts a document correct exactly when onnxruntime\'s greedy bytes spell its key (first document; the fast tier keeps it short)', async () => {
    const r = await hec('eval', RECALL, '--kv-policy', 'full', '--passkey', PASSKEY, '--documents', '1', '--json', '--quiet');
    const j = JSON.parse(r.out);
    const docs = (JSON.parse(readFileSync(PASSKEY, 'utf8')) as { documents: { prompt_bytes: number[]; key: string }[] }).documents.slice(0, 1);
    let want = 0;
    for (const d of docs) if (Buffer.from(await ortGreedy(RECALL, d.prompt_bytes, d.key.length)).toString('latin1') === d.key) want++;
    expect(j.passkey).toMatchObject({ correct: want, total: 1, full_correct: want });
  });
});
