/**
 * Stand-alone runner for the CKKS engine benchmark (same as `hec bench ckks`):
 *   npx tsx test/bench/ckks.ts [--json] [--logN 14,15,16] [--no-seal] [--threads 1,2] [--runs N] [--presets N16_BOOT_DENSE]
 */
import { runCkksBench } from '../../compiler/commands/bench-ckks.ts';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const list = (s: string | undefined) => (s === undefined ? undefined : s === 'none' ? [] : s.split(',').map(Number));
await runCkksBench({
  json: argv.includes('--json'),
  logNs: list(arg('--logN')),
  seal: !argv.includes('--no-seal'),
  threads: list(arg('--threads')),
  runs: arg('--runs') === undefined ? undefined : Number(arg('--runs')),
  presets: arg('--presets')?.split(','),
});
