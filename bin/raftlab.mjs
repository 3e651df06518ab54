#!/usr/bin/env node
// `npx raftlab ...`: the RAFT Lab CLI (TypeScript sources run through tsx, no build step).
import { register } from 'tsx/esm/api';

register();
await import('./register-raw.mjs');
await import('../src/cli/entry.ts');
