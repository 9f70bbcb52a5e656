#!/usr/bin/env node
// The `dsenv` command: runs the TypeScript CLI (./main.ts) through tsx, so a clone needs no build step.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('./main.ts');
process.exitCode = await run(process.argv);
