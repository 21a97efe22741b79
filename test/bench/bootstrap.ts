/**
 * Stand-alone runner for the bootstrapping benchmark (same as `hec bench bootstrap`):
 *   npx tsx test/bench/bootstrap.ts [--json] [--presets N16_BOOT_DENSE,TEST_INSECURE_BOOT_N12] [--variants full,real]
 *                                   [--runs N] [--threads T]
 */
import type { BootstrapVariant } from '../../runtime/bootstrap/index.ts';
import { runBootstrapBench } from '../../compiler/commands/bench-bootstrap.ts';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const list = (s: string | undefined) => (s === undefined ? undefined : s.split(','));
await runBootstrapBench({
  json: argv.includes('--json'),
  presets: list(arg('--presets')),
  variants: list(arg('--variants')) as BootstrapVariant[] | undefined,
  runs: arg('--runs') === undefined ? undefined : Number(arg('--runs')),
  threads: arg('--threads') === undefined ? undefined : Number(arg('--threads')),
});
