/**
 * @fileoverview `hec report`'s page: one self-contained HTML file (inline CSS and SVG, no scripts, no external
 * assets) showing what a plan does in one decoding step. Sections carry ids (`timeline`, `levels`, `modules`,
 * `keys`, `approximations`) so tests and readers can find them.
 */
import type { Op } from '../../ir/module.ts';
import { isAttrDict, type AttrDict } from '../../ir/types.ts';
import type { Plan } from '../../runtime/plan.ts';
import { planSummaryJson } from './inspect.ts';
import { LATENCY_SOURCE, predictStep, type StepCost } from './report-cost.ts';

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const dict = (a: unknown): AttrDict => (isAttrDict(a as never) ? (a as AttrDict) : {});
const fmtMs = (ms: number): string => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
const gib = (b: number): string => (b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(1)} MiB`);

/** Op groups shown per module (and the ops each counts). */
const GROUPS: [string, (op: Op) => number][] = [
  ['pt×ct', (op) => (op.name === 'ckks.mul_plain' ? 1 : 0)],
  ['ct×ct', (op) => (op.name === 'ckks.mul' ? 1 : 0)],
  ['rotations', (op) => (op.name === 'ckks.rotate' || op.name === 'ckks.conjugate' ? 1 : op.name === 'ckks.rotate_hoisted' ? op.results.length : 0)],
  ['rescales', (op) => (op.name === 'ckks.rescale' ? 1 : 0)],
  ['polynomials', (op) => (op.name === 'ckks.poly' ? 1 : 0)],
  ['bootstraps', (op) => (op.name === 'ckks.bootstrap' ? 1 : 0)],
  ['plaintexts', (op) => (op.name === 'ckks.encode' ? 1 : 0)],
];

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#e15759'];

function colourOf(module: string): string {
  if (module === 'embedding') return '#8c8c8c';
  if (module === 'LM head' || module === 'final norm') return '#6b6ecf';
  const m = / (attention norm|attention|MLP norm|MLP)$/.exec(module);
  return PALETTE[['attention norm', 'attention', 'MLP norm', 'MLP'].indexOf(m?.[1] ?? '') + 1] ?? PALETTE[0]!;
}

function timeline(plan: Plan, cost: StepCost, bootAt: number[]): string {
  const W = 1000, left = 170, rowH = 18, top = 24;
  const rows = cost.modules;
  const H = top + rows.length * rowH + 30;
  // Room on the right for the last module's label.
  const x = (ms: number): number => left + ((W - left - 150) * ms) / Math.max(cost.ms, 1e-9);
  const parts: string[] = [];
  rows.forEach((m, i) => {
    const y = top + i * rowH;
    const boots = bootAt.filter((t) => t >= m.start_ms && t < m.start_ms + m.ms).length;
    parts.push(
      `<text x="${left - 6}" y="${y + 13}" text-anchor="end" class="lbl">${esc(m.module)}</text>`,
      `<rect x="${x(m.start_ms).toFixed(1)}" y="${y + 2}" width="${Math.max(1, x(m.start_ms + m.ms) - x(m.start_ms)).toFixed(1)}" height="${rowH - 4}" fill="${colourOf(m.module)}"><title>${esc(m.module)}: ${fmtMs(m.ms)}, ${boots} bootstraps</title></rect>`,
      `<text x="${(x(m.start_ms + m.ms) + 4).toFixed(1)}" y="${y + 13}" class="val">${fmtMs(m.ms)}${boots > 0 ? ` · ${boots} bootstrap${boots > 1 ? 's' : ''}` : ''}</text>`,
    );
  });
  for (const t of bootAt) parts.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top - 6}" y2="${top - 1}" class="boot"/>`);
  const axisY = top + rows.length * rowH + 4;
  parts.push(`<line x1="${left}" x2="${x(cost.ms)}" y1="${axisY}" y2="${axisY}" class="axis"/>`);
  for (let k = 0; k <= 5; k++) {
    const ms = (cost.ms * k) / 5;
    parts.push(`<text x="${x(ms).toFixed(1)}" y="${axisY + 16}" text-anchor="middle" class="val">${fmtMs(ms)}</text>`);
  }
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="modules of one token on a time axis">${parts.join('')}</svg>`;
}

function levelChart(plan: Plan, cost: StepCost, bootAt: number[]): string {
  const W = 1000, left = 50, top = 10, H = 260, bottom = 30;
  const maxLevel = plan.params.levels;
  const x = (ms: number): number => left + ((W - left - 10) * ms) / Math.max(cost.ms, 1e-9);
  const y = (level: number): number => top + ((H - top - bottom) * (maxLevel - level)) / Math.max(maxLevel, 1);
  // Per pixel column: the range of levels of every ciphertext produced there, and the last one (the value at hand).
  const cols = new Map<number, { lo: number; hi: number; last: number }>();
  plan.func.ops.forEach((op, i) => {
    const r = op.results[0];
    if (r === undefined || r.type.kind !== 'ct' || r.type.level === undefined || r.type.level === null) return;
    const c = Math.round(x(cost.opStartMs[i]!));
    const e = cols.get(c);
    const l = r.type.level;
    if (e === undefined) cols.set(c, { lo: l, hi: l, last: l });
    else {
      e.lo = Math.min(e.lo, l);
      e.hi = Math.max(e.hi, l);
      e.last = l;
    }
  });
  const sorted = [...cols.entries()].sort((a, b) => a[0] - b[0]);
  const band = sorted.map(([c, e]) => `<line x1="${c}" x2="${c}" y1="${y(e.hi).toFixed(1)}" y2="${y(e.lo).toFixed(1)}" class="band"/>`).join('');
  const line = sorted.map(([c, e]) => `${c},${y(e.last).toFixed(1)}`).join(' ');
  const parts = [band, `<polyline points="${line}" class="main"/>`];
  for (const t of bootAt) parts.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top}" y2="${H - bottom}" class="bootline"><title>bootstrap at ${fmtMs(t)}</title></line>`);
  for (let l = 0; l <= maxLevel; l += Math.max(1, Math.ceil(maxLevel / 6))) {
    parts.push(`<text x="${left - 6}" y="${(y(l) + 4).toFixed(1)}" text-anchor="end" class="val">${l}</text>`, `<line x1="${left}" x2="${W - 10}" y1="${y(l).toFixed(1)}" y2="${y(l).toFixed(1)}" class="grid"/>`);
  }
  parts.push(`<text x="${left}" y="${H - 8}" class="val">0</text><text x="${W - 10}" y="${H - 8}" text-anchor="end" class="val">${fmtMs(cost.ms)} (predicted)</text>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="ciphertext level over the step">${parts.join('')}</svg>`;
}

function table(head: string[], rows: (string | number)[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${typeof c === 'number' ? c.toLocaleString('en-US') : esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderReport(plan: Plan, planPath: string, planSha256: string): string {
  const m = plan.module;
  const s = planSummaryJson(m);
  const model = dict(s.model);
  const cfg = dict(model.config);
  const keys = dict(s.keys);
  const p = plan.params;
  const cost = predictStep(plan.func, p);
  const bootAt = plan.func.ops.flatMap((op, i) => (op.name === 'ckks.bootstrap' ? [cost.opStartMs[i]!] : []));
  const counts = dict(m.attrs.op_counts);

  // Per-module op counts.
  const groupCounts = (first: number, count: number): number[] =>
    GROUPS.map(([, f]) => plan.func.ops.slice(first, first + count).reduce((a, op) => a + f(op), 0));
  const moduleRows = cost.modules.map((mod) => [mod.module, fmtMs(mod.ms), `${((100 * mod.ms) / cost.ms).toFixed(1)}%`, ...groupCounts(mod.first, mod.count)]);
  const totals = groupCounts(0, plan.func.ops.length);

  // Memory: one ciphertext at the top level and at each state's level (2 polynomials × N × limbs × 8 bytes).
  const ctBytes = (level: number): number => 2 * 2 ** p.logN * (level + 1) * 8;
  const states = plan.func.args.filter((a) => a.attrs.role === 'state');
  const cacheBytes = states.reduce((a, st) => a + ctBytes(st.value.type.level ?? 0), 0);
  const rotations = (dict(m.attrs.keys).rotations as number[] | undefined) ?? [];

  const approx = ((m.attrs.approximations as AttrDict[] | undefined) ?? []).map((a) => [
    String(a.fn), String(a.value), `[${(a.domain as number[]).map((v) => v.toPrecision(4)).join(', ')}]`, Number(a.degree), Number(a.depth), Number(a.newtonSteps ?? 0),
    `${Number(a.maxError).toExponential(2)} (${String(a.errorKind)})`,
  ]);

  const title = `hec plan report: ${String(model.path ?? planPath).split('/').pop()} on ${p.name}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1040px;color:#222}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 6px;border-bottom:1px solid #ddd}
.note{color:#555;font-size:12.5px}.warn{color:#b00020;font-weight:600}
table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}
th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
dl{display:grid;grid-template-columns:170px 1fr;gap:2px 12px;margin:8px 0}dt{color:#555}dd{margin:0}
svg text.lbl{font-size:11.5px;fill:#222}svg text.val{font-size:11px;fill:#444}
svg .axis{stroke:#888}svg .grid{stroke:#eee}svg .boot{stroke:#d62728;stroke-width:1}
svg .bootline{stroke:#d62728;stroke-width:1;stroke-opacity:.35}svg .band{stroke:#c6dbef;stroke-width:1}svg .main{fill:none;stroke:#08519c;stroke-width:1.2}
</style></head><body>
<h1>${esc(title)}</h1>
<p class="note">${esc(planPath)} · plan sha256 ${esc(planSha256.slice(0, 16))}… · ${esc(String(m.attrs.compiler ?? 'hec'))}</p>
<section id="summary"><h2>Summary</h2><dl>
<dt>model</dt><dd>hidden ${esc(cfg.hidden_size)}, ${esc(cfg.num_layers)} layers, heads ${esc(cfg.num_heads)}/${esc(cfg.num_kv_heads)} KV, head dim ${esc(cfg.head_dim)}, FFN ${esc(cfg.intermediate_size)}, vocabulary ${esc(cfg.vocab_size)}${s.layers !== undefined && dict(s.layers).truncated ? ` <span class="warn">(TRUNCATED: ${esc(dict(s.layers).kept)} of ${esc(dict(s.layers).of)} layers)</span>` : ''}</dd>
<dt>parameters</dt><dd>${esc(p.name)}: N = 2^${p.logN} (${p.slots} slots), ${p.levels + 1} Q primes, log2 QP ${p.logQP.toFixed(0)}, ${p.insecure ? '<span class="warn">INSECURE (tests only)</span>' : '128-bit secure (HE standard)'}</dd>
<dt>context</dt><dd>${esc(s.max_context)} positions in the encrypted KV cache</dd>
<dt>one token</dt><dd><b id="predicted-ms">${fmtMs(cost.ms)}</b> predicted, <b id="bootstrap-count">${bootAt.length}</b> bootstraps, ${plan.func.ops.length.toLocaleString('en-US')} ops</dd>
</dl></section>
<section id="timeline"><h2>Modules of one token, predicted time</h2>${timeline(plan, cost, bootAt)}
<p class="note">Red ticks: bootstraps. Predicted from a per-op latency table (${esc(LATENCY_SOURCE)}). A prediction, not a measurement of this plan.</p></section>
<section id="levels"><h2>Ciphertext level over the step</h2>${levelChart(plan, cost, bootAt)}
<p class="note">Dark line: the level of the value each op produces (the last one in each pixel column); light band: the range of levels produced there; red lines: bootstraps (back to level ${p.bootstrapOutputLevel}). Same time axis as above.</p></section>
<section id="modules"><h2>Op counts per module</h2>${table(['module', 'predicted', 'share', ...GROUPS.map((g) => g[0])], [...moduleRows, ['total', fmtMs(cost.ms), '100%', ...totals]])}
<p class="note">Header op counts of the plan: ${esc(Object.entries(counts).map(([k, v]) => `${k.replace('ckks.', '')} ${v}`).join(', '))}.</p></section>
<section id="keys"><h2>Keys and memory</h2><dl>
<dt>switching keys</dt><dd>${esc(keys.switching_keys)}: relinearisation ${keys.relinearize ? 'yes' : 'no'}, conjugation ${keys.conjugate ? 'yes' : 'no'}, bootstrapping ${keys.bootstrap ? 'yes' : 'no'}, ${rotations.length} rotations</dd>
<dt>rotation amounts</dt><dd>${esc(rotations.join(', '))}</dd>
<dt>keys on the server</dt><dd>≈ ${gib(Number(keys.estimated_switching_key_bytes))} loaded, ≈ ${gib(Number(keys.estimated_transfer_bytes))} uploaded (seed-compressed, ${Number(keys.switching_keys) + 1} parts)</dd>
<dt>one ciphertext</dt><dd>${gib(ctBytes(p.levels))} at the top level</dd>
<dt>encrypted KV cache</dt><dd>${states.length} ciphertexts, ${gib(cacheBytes)} (written to disk after every step by hec serve)</dd>
</dl></section>
<section id="approximations"><h2>Approximations</h2>${table(['function', 'value', 'domain', 'degree', 'depth', 'Newton steps', 'max error'], approx)}
<p class="note">Domains come from calibration (${esc(String(dict(m.attrs.calibration).provenance ?? 'see the plan header'))}); errors are measured on the domain by the poly-approx pass.</p></section>
</body></html>
`;
}
