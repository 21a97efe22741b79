/**
 * @fileoverview `hec keygen PLAN -o DIR`: the client's keys for a plan, made once on the key holder's machine.
 * DIR/secret.key (mode 0600) stays there; DIR/keys/ holds the evaluation keys `hec run --server --keys DIR` uploads.
 */
import { existsSync } from 'node:fs';
import { HecError } from '../../ir/diagnostics.ts';
import { insecureBanner } from '../../ir/params.ts';
import { writeKeyDir } from '../../runtime/client/key-dir.ts';
import { readPlan } from '../../runtime/plan.ts';
import { resolveBackend } from '../../runtime/registry.ts';
import { planDigest } from '../../runtime/server/protocol.ts';
import type { CommandSpec } from '../args.ts';
import { stderrProgress } from './progress.ts';
import { refuseInsecurePlan } from './run.ts';

export const keygenCommand: CommandSpec = {
  name: 'keygen',
  summary: 'generate a secret key (stays here, mode 0600) and the evaluation keys a server needs for a plan',
  usage: 'hec keygen PLAN -o DIR [--backend NAME]',
  description:
    'Writes DIR/secret.key (never sent anywhere), DIR/keys/part-NNNNNN.hek (the evaluation keys as checksummed,\n' +
    'seed-compressed parts, one switching key each) and DIR/keyset.json. The backend must be the one `hec serve`\n' +
    'runs (default: the best encrypting backend that loads here).',
  options: [
    { name: 'output', alias: 'o', type: 'string', arg: 'DIR', help: 'a new or empty directory for the keys' },
    { name: 'backend', type: 'string', default: 'auto', arg: 'NAME', help: 'cpu | seal | sim | auto' },
    { name: 'allow-insecure', type: 'boolean', help: 'accept a plan with insecure (test) parameters' },
    { name: 'quiet', alias: 'q', type: 'boolean', help: 'no progress on stderr' },
  ],
  maxPositional: 1,
  async run({ positional, opts }) {
    const progress = stderrProgress(opts.quiet === true);
    const planPath = positional[0];
    if (planPath === undefined || !existsSync(planPath)) throw new HecError('HEC0004', `hec keygen needs a plan file${planPath === undefined ? '' : `; no such file: ${planPath}`}`, { fix: 'hec keygen PLAN -o DIR' });
    if (typeof opts.output !== 'string') throw new HecError('HEC0001', 'hec keygen needs -o DIR', { fix: 'hec keygen PLAN -o DIR' });
    const plan = readPlan(planPath);
    refuseInsecurePlan(plan, planPath, opts);
    const backend = await resolveBackend([String(opts.backend)]);
    if (plan.params.insecure) process.stderr.write(`${insecureBanner(plan.params)}\n`);
    const t0 = Date.now();
    let bytes = 0;
    const info = await writeKeyDir(opts.output, plan, planDigest(planPath), backend, (i, count, b) => {
      bytes += b;
      if (i + 1 === count || backend.name !== 'sim') progress('keys', `${i + 1}/${count} parts, ${(bytes / 2 ** 20).toFixed(1)} MiB, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
    process.stdout.write(`wrote ${opts.output}: secret.key (mode 0600, keep it here), ${info.key_parts} evaluation-key parts (${(info.key_bytes / 2 ** 20).toFixed(1)} MiB) for ${info.backend}, ${info.params}\n`);
    return 0;
  },
};
