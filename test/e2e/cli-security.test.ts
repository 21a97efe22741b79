/**
 * `hec run` and security: an insecure plan needs --allow-insecure at run time too (not only when it was compiled),
 * and `--json` says whether anything was encrypted and which rule the security claim rests on.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { presetParams } from '../../ir/presets.ts';
import { securityClaim } from '../../compiler/commands/run.ts';

const tmp = mkdtempSync(join(tmpdir(), 'hec-cli-security-'));

function hec(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [resolve('bin/hec.mjs'), ...args], { encoding: 'utf8', timeout: 300_000 }, (err, stdout, stderr) => {
      done({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

describe('hec run and insecure parameters', () => {
  it('refuses an insecure plan without --allow-insecure (HEC6004 naming the rule); with it, --json says sim encrypts nothing', async () => {
    const plan = join(tmp, 'mha.plan');
    const c = await hec('compile', 'test/fixtures/models/tiny-mha.decode.onnx', '-o', plan, '--preset', 'TEST_INSECURE_N13_DEEP', '--allow-insecure', '--max-context', '8', '--calibration-tokens', '2', '-q');
    expect(c.code, c.stderr).toBe(0);

    const refused = await hec('run', plan, '--tokens', '1', '--max-new-tokens', '0', '-q');
    expect(refused.code).not.toBe(0);
    const lines = refused.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines[0]).toMatch(/^error HEC6004: .*mha\.plan uses insecure CKKS parameters 'TEST_INSECURE_N13_DEEP': flagged insecure \(tests only\)/);
    expect(lines[1]).toMatch(/^fix: pass --allow-insecure/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);

    const r = await hec('run', plan, '--tokens', '1', '--max-new-tokens', '0', '--json', '--allow-insecure', '-q');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { backend: string; encrypted: boolean; security_bits_claimed: { bits: number; rule: string } };
    expect(out.backend).toBe('sim');
    expect(out.encrypted).toBe(false);
    expect(out.security_bits_claimed.bits).toBe(0);
    expect(out.security_bits_claimed.rule).toMatch(/^no encryption on this backend \(parameters: flagged insecure/);
  });

  it('the claim: 128 bits with the table rule only for secure parameters on an encrypting backend', () => {
    const secure = presetParams('N16_BOOT_DENSE');
    expect(securityClaim(secure, true)).toEqual({ bits: 128, rule: secure.securityRule });
    expect(securityClaim(secure, true).rule).toMatch(/^HE-standard dense ternary, N=2\^16, logQP 1681 ≤ 1747/);
    expect(securityClaim(secure, false).bits).toBe(0);
    const weak = presetParams('N16_BOOT_H192_INSECURE', { allowInsecure: true });
    expect(securityClaim(weak, true)).toEqual({ bits: 0, rule: weak.securityRule });
  });
});
