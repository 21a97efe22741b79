import { describe, expect, it } from 'vitest';
import { HecError } from '../../../ir/diagnostics.ts';
import { parseModule } from '../../../ir/text/index.ts';
import { assertValid, verifyModule, type VerifyOptions } from '../../../ir/verify.ts';

const CTX: VerifyOptions = { bootstrapOutputLevel: 6 };
const ct = (level: number | '?', scale = 1, layout = '#junk') => `!ct<level=${level}, scale=${scale}, layout=${layout}>`;

/** Codes the verifier reports for a function body with arguments %a (level 3) and %b (level 2). */
function codes(body: string, args = `%a: ${ct(3)} {role = "input"}, %b: ${ct(2)} {role = "input"}`, opts = CTX): string[] {
  const text = `hec.module version = 1 {\n  func @f(${args}) {\n${body
    .trim()
    .split('\n')
    .map((l) => `    ${l.trim()}`)
    .join('\n')}\n  }\n}\n`;
  return verifyModule(parseModule(text).module, opts).map((d) => d.code);
}

describe('verifier', () => {
  it('accepts a well-typed function', () => {
    expect(codes(`%0 = ckks.add %a, %a : ${ct(3)}\nckks.return %0 {names = ["y"]}`)).toEqual([]);
  });
  it('rejects an add of operands at different levels (HEC3001)', () => {
    // A rejected op still defines its results as declared, so one bad op is one error (no HEC3006 cascade).
    expect(codes(`%0 = ckks.add %a, %b : ${ct(3)}\nckks.return %0 {names = ["y"]}`)).toEqual(['HEC3001']);
  });
  it('rejects an add of operands at different scales (HEC3001)', () => {
    const body = `%p = ckks.mul_const %a {value = 2} : ${ct(3, 2)}\n%0 = ckks.add %a, %p : ${ct(3)}\nckks.return %0 {names = ["y"]}`;
    expect(codes(body)).toEqual(['HEC3001']);
  });
  it('rejects a rescale at level 0 (HEC3001)', () => {
    const body = `%p = ckks.mul_const %a {value = 2} : ${ct(0, 2)}\n%0 = ckks.rescale %p : ${ct(-1)}\nckks.return %0 {names = ["y"]}`;
    expect(codes(body, `%a: ${ct(0)} {role = "input"}`)[0]).toBe('HEC3001');
  });
  it('rejects a result type that lies about its level, scale or layout (HEC3007)', () => {
    expect(codes(`%0 = ckks.add %a, %a : ${ct(2)}\nckks.return %0 {names = ["y"]}`)).toEqual(['HEC3007']);
    expect(codes(`%0 = ckks.mul_const %a {value = 1} : ${ct(3, 1)}\nckks.return %0 {names = ["y"]}`)).toEqual(['HEC3007']);
    expect(codes(`%0 = ckks.rescale %a : ${ct(2)}\nckks.return %0 {names = ["y"]}`)).toEqual(['HEC3001']);
  });
  it('rejects an unknown op (HEC3002) and a wrong operand count (HEC3005)', () => {
    expect(codes(`%0 = ckks.frobnicate %a : ${ct(3)}\nckks.return {names = []}`)).toEqual(['HEC3002']);
    expect(codes(`%0 = ckks.add %a : ${ct(3)}\nckks.return {names = []}`)).toEqual(['HEC3005']);
  });
  it('wants ckks.return last (HEC3010) and arguments with a role (HEC3004)', () => {
    expect(codes(`%0 = ckks.add %a, %a : ${ct(3)}`)).toEqual(['HEC3010']);
    expect(codes('ckks.return {names = []}', `%a: ${ct(3)}`)).toEqual(['HEC3004']);
  });
  it('requires levels in plans (HEC3008)', () => {
    expect(codes(`%0 = ckks.add %a, %a : ${ct('?')}\nckks.return %0 {names = ["y"]}`, `%a: ${ct('?')} {role = "input"}`, { ...CTX, requireLevels: true })[0]).toBe('HEC3008');
  });
  it('rejects a state argument that is never returned (HEC3011)', () => {
    const args = `%k: ${ct(3)} {role = "state", state = "k_cache"}`;
    expect(codes(`%0 = ckks.negate %k : ${ct(3)}\nckks.return %0 {names = ["y"]}`, args)).toEqual(['HEC3011']);
  });
  it('rejects a state returned at another level (HEC3011)', () => {
    const args = `%k: ${ct(3)} {role = "state", state = "k_cache"}`;
    const body = `%0 = ckks.level_drop %k {level = 2} : ${ct(2)}\nckks.return %0 {names = ["k_cache"]}`;
    expect(codes(body, args)).toEqual(['HEC3011']);
    expect(codes(`ckks.return %k {names = ["k_cache"]}`, args)).toEqual([]);
  });
  it('assertValid throws one HecError: the first problem, its fix, and how many more there are', () => {
    const { module } = parseModule(`hec.module version = 1 {\n  func @f(%a: ${ct(3)}) {\n    %0 = ckks.add %a, %a : ${ct(1)}\n  }\n}\n`);
    try {
      assertValid(module, CTX);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(HecError);
      const d = (e as HecError).diagnostic;
      expect(d.code).toBe('HEC3004');
      expect(d.message).toMatch(/^IR verification failed: argument %a of @f needs role .* \(and 2 more problems\)$/);
      expect(d.message).not.toContain('\n');
      expect(d.fix).toMatch(/role = "input"/);
    }
  });
  it('one bad op in a long chain is one error, not a cascade over its users', () => {
    const chain = Array.from({ length: 200 }, (_, i) => `%${i + 1} = ckks.add %${i}, %${i} : ${ct(2)}`).join('\n');
    const body = `%0 = ckks.add %a, %a : ${ct(2)}\n${chain}\nckks.return %200 {names = ["y"]}`;
    expect(codes(body)).toEqual(['HEC3007']);
  });
});
