/**
 * @fileoverview A small declarative argument parser: commands declare their options once, and both parsing and
 * `--help` come from that declaration, so the help can never disagree with what is accepted.
 */
import { HecError } from '../ir/diagnostics.ts';

export interface OptionSpec {
  name: string;
  type: 'string' | 'number' | 'boolean';
  help: string;
  default?: string | number | boolean;
  alias?: string;
  /** Placeholder shown in help, e.g. FILE. */
  arg?: string;
  /** Numbers only: the value must be an integer (decimal digits, no exponent or hex). */
  integer?: boolean;
  /** Numbers only: the smallest value accepted. */
  min?: number;
  /** Numbers only: the largest value accepted, and why (printed as the fix). */
  max?: { value: number; why: string };
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  description?: string;
  options: OptionSpec[];
  /** How many positional arguments the command takes (more is HEC0007). */
  maxPositional: number;
  /** Shown with HEC0007 (e.g. "quote the prompt"). */
  positionalHint?: string;
  run(args: ParsedArgs): Promise<number>;
}

export interface ParsedArgs {
  positional: string[];
  opts: Record<string, string | number | boolean | undefined>;
  /** The options the user gave (not filled in from defaults), by name; parseArgs always fills it in. */
  given?: ReadonlySet<string>;
}

/** Plain decimal numbers only: `0x41`, `1e2`, `Infinity`, `''` are what Number() accepts but no user means. */
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** Parse a number option's value by its spec (HEC0003 naming the option when it is not one). */
export function parseNumberOption(o: OptionSpec, value: string, command: string): number {
  const what = o.integer ? (o.min === 1 ? 'a positive integer' : o.min === 0 ? 'a non-negative integer' : o.min !== undefined ? `an integer ≥ ${o.min}` : 'an integer') : 'a number';
  const fix = `write --${o.name} ${o.arg ?? 'N'} with ${what} in decimal digits (see 'hec ${command} --help')`;
  if (!DECIMAL.test(value.trim())) throw new HecError('HEC0003', `option --${o.name} expects a number, got '${value}'`, { fix });
  const n = Number(value);
  if (o.integer === true && !Number.isSafeInteger(n)) throw new HecError('HEC0003', `option --${o.name} expects ${what}, got '${value}'`, { fix });
  if (o.min !== undefined && n < o.min) throw new HecError('HEC0003', `option --${o.name} must be at least ${o.min}, got ${value}`, { fix });
  if (o.max !== undefined && n > o.max.value) throw new HecError('HEC0003', `option --${o.name} must be at most ${o.max.value}, got ${value}`, { fix: o.max.why });
  return n;
}

export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const byName = new Map<string, OptionSpec>();
  for (const o of spec.options) {
    byName.set(o.name, o);
    if (o.alias) byName.set(o.alias, o);
  }
  const help = `see 'hec ${spec.name} --help'`;
  const opts: ParsedArgs['opts'] = {};
  for (const o of spec.options) if (o.default !== undefined) opts[o.name] = o.default;
  const given = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (!a.startsWith('-') || a === '-' || /^-\d/.test(a)) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    const neg = key.startsWith('no-') && byName.get(key.slice(3))?.type === 'boolean';
    const o = byName.get(neg ? key.slice(3) : key);
    if (o === undefined) {
      throw new HecError('HEC0002', `unknown option '${a}' for 'hec ${spec.name}'`, { fix: help });
    }
    if (given.has(o.name) && o.type !== 'boolean') {
      throw new HecError('HEC0003', `option --${o.name} is given twice`, { fix: `give --${o.name} once (quote a value that contains spaces)` });
    }
    given.add(o.name);
    if (o.type === 'boolean') {
      if (eq >= 0) throw new HecError('HEC0003', `option --${o.name} takes no value, got '${a}'`, { fix: `write --${o.name} (or --no-${o.name})` });
      opts[o.name] = !neg;
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    // `--tokens --json` is a forgotten value, not the tokens "--json"; a value that starts with "--" needs "=".
    if (value === undefined || (eq < 0 && value.startsWith('--'))) {
      throw new HecError('HEC0003', `option --${o.name} needs a value${value === undefined ? '' : `, got the option '${value}'`}`, {
        fix: `write --${o.name} ${o.arg ?? o.type.toUpperCase()} (or --${o.name}=VALUE for a value that starts with '--'); ${help}`,
      });
    }
    opts[o.name] = o.type === 'number' ? parseNumberOption(o, value, spec.name) : value;
  }
  if (positional.length > spec.maxPositional) {
    const extra = positional.slice(spec.maxPositional);
    throw new HecError('HEC0007', `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((x) => `'${x}'`).join(' ')} for 'hec ${spec.name}' (it takes ${spec.maxPositional === 0 ? 'none' : `at most ${spec.maxPositional}`})`, {
      fix: spec.positionalHint ?? help,
    });
  }
  return { positional, opts, given };
}

export function commandHelp(spec: CommandSpec): string {
  const lines = [`hec ${spec.name} — ${spec.summary}`, '', `usage: ${spec.usage}`];
  if (spec.description) lines.push('', spec.description);
  if (spec.options.length > 0) {
    lines.push('', 'options:');
    const rows = spec.options.map((o) => {
      const flag = `--${o.name}${o.type === 'boolean' ? '' : ` ${o.arg ?? o.type.toUpperCase()}`}${o.alias ? `, -${o.alias}` : ''}`;
      const def = o.default !== undefined && o.type !== 'boolean' ? ` (default: ${o.default})` : '';
      return [flag, `${o.help}${def}`] as const;
    });
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [f, h] of rows) lines.push(`  ${f.padEnd(w)}  ${h}`);
  }
  return lines.join('\n');
}
