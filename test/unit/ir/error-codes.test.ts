/**
 * The error-code catalogue (ir/error-codes.ts): every code the sources raise is listed with a meaning and a fix, so
 * every coded error prints a `fix:` line even where its raise site gives none.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HecError, renderDiagnostic } from '../../../ir/diagnostics.ts';
import { ERROR_CODES } from '../../../ir/error-codes.ts';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'build' ? [] : sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('error-code catalogue', () => {
  it('lists every HECnnnn code the sources use, each with a meaning and a fix', () => {
    const used = new Map<string, string>();
    for (const dir of ['compiler', 'ir', 'passes', 'runtime']) {
      for (const file of sources(dir)) {
        for (const m of readFileSync(file, 'utf8').matchAll(/['"`](HEC\d{4})['"`]/g)) used.set(m[1]!, file);
      }
    }
    expect(used.size).toBeGreaterThan(80);
    const missing = [...used].filter(([code]) => ERROR_CODES[code] === undefined).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^HEC\d{4}$/);
      expect(info.meaning.length, code).toBeGreaterThan(5);
      expect(info.fix.length, code).toBeGreaterThan(5);
    }
  });

  it('an error raised without a fix prints the catalogue\'s; a specific fix wins', () => {
    expect(new HecError('HEC3006', 'ckks.add uses %x before its definition').render()).toBe(
      `error HEC3006: ckks.add uses %x before its definition\nfix: ${ERROR_CODES.HEC3006!.fix}`,
    );
    expect(new HecError('HEC3006', 'm', { fix: 'do this' }).render()).toBe('error HEC3006: m\nfix: do this');
    // A plain Diagnostic (not raised) renders as given.
    expect(renderDiagnostic({ code: 'HEC9999', message: 'm' })).toBe('error HEC9999: m');
  });
});
