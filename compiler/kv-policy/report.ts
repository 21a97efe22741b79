/**
 * @fileoverview What `hec eval` prints: the JSON object scripts read, the sweep table, and the sweep's SVG plot.
 */
import type { PolicyResult } from './evaluate.ts';
import { splitBudget } from './mpcache.ts';

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** The JSON contract of `hec eval … --json` for one policy (see README, `hec eval`). */
export function resultJson(r: PolicyResult, full: PolicyResult): SweepRow & Record<string, unknown> {
  const { params, policy } = r.config;
  const out: SweepRow & Record<string, unknown> = {
    policy: policy.name,
    budget: policy.name === 'full' ? 1 : params.budget,
    kept_fraction: (r.text ?? r.passkey)?.keptFraction.map(r4),
  };
  if (r.passkey && full.passkey) {
    const p = r.passkey;
    out.passkey = {
      correct: p.correct,
      total: p.total,
      full_correct: full.passkey.correct,
      bytes_agreeing_with_full: p.bytesAgreeingWithFull,
      bytes_generated: p.bytesGenerated,
      attention_mass_kept: r4(p.attentionMassKept),
      kept_fraction: p.keptFraction.map(r4),
    };
  }
  if (r.text && full.text) {
    const t = r.text;
    Object.assign(out, {
      xent_nats_per_byte: r6(t.xentNatsPerByte),
      full_xent_nats_per_byte: r6(full.text.xentNatsPerByte),
      kl_vs_full: r6(t.klVsFull),
      top1_agreement: r4(t.top1Agreement),
      attention_mass_kept: r4(t.attentionMassKept),
      text: { windows: t.windows, scored_bytes: t.scoredBytes },
    });
  }
  out.params = params;
  if (policy.name === 'mpcache') out.mpcache_split = splitBudget(params);
  return out;
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

/** A fixed-width table, one row per result (full first). */
export function sweepTable(rows: readonly PolicyResult[], full: PolicyResult): string {
  const head = ['policy', 'budget', 'kept', ...(full.passkey ? ['passkey', 'pk mass'] : []), ...(full.text ? ['xent', 'KL', 'top1', 'mass'] : [])];
  const body = [full, ...rows].map((r) => {
    const src = r.text ?? r.passkey;
    const kept = src ? src.keptFraction.reduce((a, b) => a + b, 0) / src.keptFraction.length : 1;
    const cells = [r.config.policy.name, r.config.policy.name === 'full' ? '100%' : pct(r.config.params.budget), pct(kept)];
    if (r.passkey) cells.push(`${r.passkey.correct}/${r.passkey.total}`, r.passkey.attentionMassKept.toFixed(3));
    if (r.text) cells.push(r.text.xentNatsPerByte.toFixed(4), r.text.klVsFull.toFixed(4), r.text.top1Agreement.toFixed(3), r.text.attentionMassKept.toFixed(3));
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

/** One row of `hec eval --json` output, the part the plot reads. */
export interface SweepRow {
  policy: string;
  budget: number;
  passkey?: { correct: number; total: number; [more: string]: unknown };
  top1_agreement?: number;
  attention_mass_kept?: number;
}

interface Panel {
  title: string;
  value: (r: SweepRow) => number | undefined;
}

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];

/**
 * SVG: one panel per metric present, x = budget (log scale), one line per policy, full as a dashed line. It reads the
 * JSON rows (resultJson), so sweeps run separately can be plotted together.
 */
export function sweepSvg(rows: readonly SweepRow[], full: SweepRow, title: string): string {
  const panels: Panel[] = [];
  if (full.passkey) panels.push({ title: 'passkey accuracy', value: (r) => r.passkey && r.passkey.correct / r.passkey.total });
  if (full.top1_agreement !== undefined) {
    panels.push({ title: 'top-1 agreement with full (text)', value: (r) => r.top1_agreement });
    panels.push({ title: 'attention mass kept (text)', value: (r) => r.attention_mass_kept });
  }
  const W = 320;
  const H = 240;
  const m = { l: 44, r: 12, t: 28, b: 36 };
  const budgets = [...new Set(rows.map((r) => r.budget))].sort((a, b) => a - b);
  const lo = Math.log(Math.min(...budgets, 1));
  const hi = Math.log(1);
  const x = (b: number): number => m.l + ((Math.log(b) - lo) / Math.max(1e-9, hi - lo)) * (W - m.l - m.r);
  const y = (v: number): number => m.t + (1 - v) * (H - m.t - m.b);
  const policies = [...new Set(rows.map((r) => r.policy))];
  const parts: string[] = [];
  panels.forEach((p, pi) => {
    const g: string[] = [`<g transform="translate(${pi * W},0)">`, `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${p.title}</text>`];
    g.push(`<line x1="${m.l}" y1="${y(0)}" x2="${W - m.r}" y2="${y(0)}" stroke="#000"/>`, `<line x1="${m.l}" y1="${y(0)}" x2="${m.l}" y2="${y(1)}" stroke="#000"/>`);
    for (const v of [0, 0.25, 0.5, 0.75, 1]) g.push(`<text x="${m.l - 4}" y="${y(v) + 4}" text-anchor="end" font-size="10">${v}</text>`);
    for (const b of [...budgets, 1]) g.push(`<text x="${x(b)}" y="${H - m.b + 14}" text-anchor="middle" font-size="10">${pct(b)}</text>`);
    g.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle" font-size="10">KV budget (log scale)</text>`);
    const fv = p.value(full);
    if (fv !== undefined) g.push(`<line x1="${m.l}" y1="${y(fv)}" x2="${W - m.r}" y2="${y(fv)}" stroke="#555" stroke-dasharray="4 3"/><text x="${W - m.r}" y="${y(fv) - 3}" text-anchor="end" font-size="10">full</text>`);
    policies.forEach((name, i) => {
      const pts = rows.filter((r) => r.policy === name).map((r) => [r.budget, p.value(r)] as const).filter((q): q is readonly [number, number] => q[1] !== undefined).sort((a, b) => a[0] - b[0]);
      const color = COLORS[i % COLORS.length]!;
      g.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${pts.map(([b, v]) => `${x(b).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
      for (const [b, v] of pts) g.push(`<circle cx="${x(b).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${color}"/>`);
      g.push(`<text x="${m.l + 6}" y="${m.t + 12 + 12 * i}" font-size="10" fill="${color}">${name}</text>`);
    });
    g.push('</g>');
    parts.push(g.join('\n'));
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * Math.max(1, panels.length)}" height="${H + 20}" font-family="sans-serif">`,
    `<text x="6" y="${H + 14}" font-size="10">${escapeXml(title)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
