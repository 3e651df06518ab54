/**
 * Several sweep files as one (for one set of charts and one table): their runs together, re-summarised, the methods
 * and seeds of all of them, the first file's base settings. Runs are told apart by method and grid point, so files
 * whose runs share both (the same method at its defaults in two files) are refused rather than mixed.
 * Usage: npx tsx scripts/merge-sweeps.ts OUT.json A.json B.json ...
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseSweepFile, sweepFile, type GridAxis, type SweepRun } from '../src/core/sweep';
import type { Method } from '../src/core/config/schema';

const [out, ...inputs] = process.argv.slice(2);
if (!out || inputs.length < 2) {
  console.error('usage: npx tsx scripts/merge-sweeps.ts OUT.json A.json B.json ...');
  process.exit(2);
}
const files = inputs.map((f) => ({ name: f, file: parseSweepFile(readFileSync(f, 'utf8')) }));
const runs: SweepRun[] = [];
for (const { name, file } of files) {
  for (const r of file.runs) {
    if (runs.some((q) => q.id === r.id)) {
      console.error(`${name}: run ${r.id} is also in an earlier file; refusing to mix them`);
      process.exit(2);
    }
    runs.push(r);
  }
}
const methods = [...new Set(files.flatMap(({ file }) => file.methods))] as Method[];
const seeds = [...new Set(files.flatMap(({ file }) => file.seeds))].sort((a, b) => a - b);
const grid: GridAxis[] = files.flatMap(({ file }) => file.grid);
writeFileSync(out, JSON.stringify(sweepFile(files[0]!.file.base, methods, grid, seeds, runs)) + '\n');
console.log(`wrote ${out}: ${runs.length} runs of ${methods.join(', ')}`);
