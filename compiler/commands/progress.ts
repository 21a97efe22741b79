/**
 * @fileoverview Progress lines on stderr (never stdout, which carries results and JSON).
 */
export function stderrProgress(quiet: boolean): (stage: string, detail?: string) => void {
  const t0 = Date.now();
  return (stage, detail) => {
    if (quiet) return;
    process.stderr.write(`[hec ${((Date.now() - t0) / 1000).toFixed(1)}s] ${stage}${detail ? `: ${detail}` : ''}\n`);
  };
}
