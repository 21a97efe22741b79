/**
 * @fileoverview The `hec` command line: argv → one command. Help text is generated from each command's options.
 * Expected failures print one coded line (plus a `fix:` line) and exit 1; nothing else prints a stack trace unless
 * HEC_DEBUG=1.
 */
import { HecError, renderDiagnostic } from '../ir/diagnostics.ts';
import { commandHelp, parseArgs, type CommandSpec } from './args.ts';
import { compileCommand } from './commands/compile.ts';
import { evalCommand } from './commands/eval.ts';
import { inspectCommand } from './commands/inspect.ts';
import { keygenCommand } from './commands/keygen.ts';
import { backendsCommand, benchCommand, passesCommand } from './commands/misc.ts';
import { optCommand } from './commands/opt.ts';
import { reportCommand } from './commands/report.ts';
import { runCommand } from './commands/run.ts';
import { serveCommand } from './commands/serve.ts';

const COMMANDS: readonly CommandSpec[] = [compileCommand, runCommand, keygenCommand, serveCommand, inspectCommand, reportCommand, evalCommand, passesCommand, optCommand, backendsCommand, benchCommand];

function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'hec — compile ONNX Llama decoders into CKKS homomorphic-encryption plans and run them privately',
    '',
    'usage: hec <command> [options]      hec <command> --help',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Quick start: hec run --prompt "def fib(n):" --max-new-tokens 8',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${mainHelp()}\n`);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') {
    process.stdout.write('hec 0.1.0\n');
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  try {
    if (cmd === undefined) throw new HecError('HEC0001', `unknown command '${name}'`, { fix: `commands: ${COMMANDS.map((c) => c.name).join(', ')}` });
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${commandHelp(cmd)}\n`);
      return 0;
    }
    return await cmd.run(parseArgs(cmd, rest));
  } catch (e) {
    if (e instanceof HecError) {
      process.stderr.write(`${renderDiagnostic(e.diagnostic)}\n`);
      if (process.env.HEC_DEBUG === '1') process.stderr.write(`${e.stack}\n`);
      return 1;
    }
    const err = e as Error;
    process.stderr.write(`internal error: ${err.message}\n(this is a bug in hec; rerun with HEC_DEBUG=1 for the stack and report it)\n`);
    if (process.env.HEC_DEBUG === '1') process.stderr.write(`${err.stack}\n`);
    return 2;
  }
}
