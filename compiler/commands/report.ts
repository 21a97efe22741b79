/**
 * @fileoverview `hec report PLAN -o plan.html`: one self-contained HTML page of what a plan does per token (timeline
 * of modules with predicted cost, level over the step with bootstraps, op counts, keys and memory, approximations).
 */
import { writeFileSync } from 'node:fs';
import { HecError } from '../../ir/diagnostics.ts';
import { readPlan } from '../../runtime/plan.ts';
import { planDigest } from '../../runtime/server/protocol.ts';
import type { CommandSpec } from '../args.ts';
import { renderReport } from './report-page.ts';

export const reportCommand: CommandSpec = {
  name: 'report',
  summary: 'write one self-contained HTML page about a plan: modules on a time axis, levels, bootstraps, keys, approximations',
  usage: 'hec report PLAN -o plan.html',
  options: [{ name: 'output', alias: 'o', type: 'string', arg: 'FILE', help: 'the HTML file to write' }],
  maxPositional: 1,
  async run({ positional, opts }) {
    const planPath = positional[0];
    if (planPath === undefined) throw new HecError('HEC0001', 'hec report needs a plan file', { fix: 'hec report PLAN -o plan.html' });
    if (typeof opts.output !== 'string') throw new HecError('HEC0001', 'hec report needs -o FILE', { fix: 'hec report PLAN -o plan.html' });
    const plan = readPlan(planPath);
    const html = renderReport(plan, planPath, planDigest(planPath));
    writeFileSync(opts.output, html);
    process.stdout.write(`wrote ${opts.output} (${(html.length / 1024).toFixed(0)} KiB)\n`);
    return 0;
  },
};
