#!/usr/bin/env node
// The hec command: TypeScript sources run through tsx's loader (no separate build step to go stale).
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const { main } = await import(fileURLToPath(new URL('../compiler/cli.ts', import.meta.url)));
process.exitCode = await main(process.argv.slice(2));
