/**
 * `hec report`: the page for the tiny-mha plan is self-contained (no scripts, no external assets) and its numbers
 * agree with the plan (bootstraps, per-module op counts summing to the header's op counts, every approximation);
 * rendered in headless Chromium where it is installed (Debian's `chromium`), the DOM it builds carries the titles and
 * counts, and a screenshot is taken. Without Chromium that part is skipped with the reason printed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderReport } from '../../compiler/commands/report-page.ts';
import { predictStep } from '../../compiler/commands/report-cost.ts';
import { tinyPlan, type TinyPlan } from './server-fixture.ts';

let t: TinyPlan;
let html: string;
beforeAll(async () => {
  t = await tinyPlan(16);
  html = renderReport(t.plan, t.planPath, t.planSha256);
});

const count = (name: string): number => t.plan.func.ops.filter((o) => o.name === name).length;

function chromium(): string | undefined {
  for (const c of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (existsSync(c)) return c;
  return undefined;
}

describe('hec report', () => {
  it('is one self-contained page whose numbers agree with the plan', () => {
    expect(html).not.toMatch(/<script|<link|<img|\ssrc=|\shref=|@import|url\(/i);
    for (const id of ['summary', 'timeline', 'levels', 'modules', 'keys', 'approximations']) expect(html).toContain(`<section id="${id}">`);
    const boots = count('ckks.bootstrap');
    expect(boots).toBeGreaterThan(0);
    expect(html).toContain(`<b id="bootstrap-count">${boots}</b>`);
    // One red marker per bootstrap in each chart.
    expect(html.match(/class="boot(line)?"/g)?.length).toBe(2 * boots);
    // The per-module table's totals are the plan header's own op counts.
    const header = t.plan.module.attrs.op_counts as Record<string, number>;
    const totalRow = /<tr><td>total<\/td>(.*?)<\/tr>/.exec(html)?.[1] ?? '';
    const cells = [...totalRow.matchAll(/<td>([^<]*)<\/td>/g)].map((m) => m[1]!.replace(/,/g, ''));
    expect(cells.slice(2, 4).map(Number)).toEqual([header['ckks.mul_plain'] ?? 0, header['ckks.mul'] ?? 0]);
    expect(Number(cells[7])).toBe(header['ckks.bootstrap']);
    // Every approximation appears with its function and degree.
    const approx = t.plan.module.attrs.approximations as { fn: string; value: string; degree: number }[];
    const section = html.slice(html.indexOf('<section id="approximations">'));
    expect(section.match(/<tr><td>/g)?.length).toBe(approx.length);
    for (const a of approx) expect(section).toContain(`<td>${a.fn}</td><td>${a.value}</td>`);
    // Modules partition the step: their times add up to the total, and they cover every op once.
    const cost = predictStep(t.plan.func, t.plan.params);
    expect(cost.modules.reduce((s, m) => s + m.count, 0)).toBe(t.plan.func.ops.length);
    expect(cost.modules.reduce((s, m) => s + m.ms, 0)).toBeCloseTo(cost.ms, 6);
    expect(cost.modules.map((m) => m.module)).toEqual(['embedding', 'layer 0 attention norm', 'layer 0 attention', 'layer 0 MLP norm', 'layer 0 MLP', 'final norm', 'LM head']);
  });

  it('renders in headless Chromium with its titles and counts (skipped where Chromium is absent)', (ctx) => {
    const bin = chromium();
    if (bin === undefined) {
      console.log('skipped: no chromium binary (/usr/bin/chromium); install Debian\'s chromium package to run this check');
      ctx.skip();
      return;
    }
    const file = path.join(t.dir, 'report.html');
    writeFileSync(file, html);
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--allow-file-access-from-files'];
    const dom = execFileSync(bin, [...flags, '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'ignore'] });
    expect(dom).toContain('<title>hec plan report: tiny-mha.decode.onnx on TEST_INSECURE_N13_DEEP</title>');
    for (const h of ['Modules of one token, predicted time', 'Ciphertext level over the step', 'Op counts per module', 'Keys and memory', 'Approximations']) expect(dom).toContain(h);
    expect(dom).toContain(`<b id="bootstrap-count">${count('ckks.bootstrap')}</b>`);
    expect((dom.match(/<svg /g) ?? []).length).toBe(2);
    const png = path.join(t.dir, 'report.png');
    execFileSync(bin, [...flags, `--screenshot=${png}`, '--window-size=1100,1800', `file://${file}`], { timeout: 120_000, stdio: 'ignore' });
    expect(statSync(png).size).toBeGreaterThan(10_000);
    console.log(`report screenshot: ${png}`);
  });
});
