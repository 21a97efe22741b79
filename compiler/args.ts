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
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  description?: string;
  options: OptionSpec[];
  run(args: ParsedArgs): Promise<number>;
}

export interface ParsedArgs {
  positional: string[];
  opts: Record<string, string | number | boolean | undefined>;
}

export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const byName = new Map<string, OptionSpec>();
  for (const o of spec.options) {
    byName.set(o.name, o);
    if (o.alias) byName.set(o.alias, o);
  }
  const opts: ParsedArgs['opts'] = {};
  for (const o of spec.options) if (o.default !== undefined) opts[o.name] = o.default;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    const neg = key.startsWith('no-') && byName.get(key.slice(3))?.type === 'boolean';
    const o = byName.get(neg ? key.slice(3) : key);
    if (o === undefined) {
      throw new HecError('HEC0002', `unknown option '${a}' for 'hec ${spec.name}'`, { fix: `see 'hec ${spec.name} --help'` });
    }
    if (o.type === 'boolean') {
      opts[o.name] = !neg;
      continue;
    }
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new HecError('HEC0003', `option --${o.name} needs a value`, { fix: `see 'hec ${spec.name} --help'` });
    if (o.type === 'number') {
      const n = Number(value);
      if (!Number.isFinite(n)) throw new HecError('HEC0003', `option --${o.name} expects a number, got '${value}'`);
      opts[o.name] = n;
    } else opts[o.name] = value;
  }
  return { positional, opts };
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
