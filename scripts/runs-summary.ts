/**
 * Several `raftlab run --out` files of one configuration (seeds) as a per-cycle table: the mean over the files and
 * its 95% interval (Student's t, core/sweep.ts) of chosen stats. Image runs: evalFidelity, evalReward, heldOutLoss,
 * evalDiversity by default.
 * Usage: npx tsx scripts/runs-summary.ts [--stats a,b,c] RUN.json RUN.json ...
 */
import { readFileSync } from 'node:fs';
import { interval } from '../src/core/sweep';

const args = process.argv.slice(2);
let stats = ['evalFidelity', 'evalReward', 'heldOutLoss', 'evalDiversity'];
if (args[0] === '--stats') {
  stats = args[1]!.split(',');
  args.splice(0, 2);
}
if (args.length === 0) {
  console.error('usage: npx tsx scripts/runs-summary.ts [--stats a,b,c] RUN.json ...');
  process.exit(2);
}
const runs = args.map((f) => JSON.parse(readFileSync(f, 'utf8')) as { cycles: Array<Record<string, unknown>> });
const cycles = Math.min(...runs.map((r) => r.cycles.length));
console.log(`| cycle | ${stats.join(' | ')} |`);
console.log(`|---|${stats.map(() => '---').join('|')}|`);
for (let c = 0; c < cycles; c++) {
  const cells = stats.map((k) => {
    const xs = runs.map((r) => r.cycles[c]![k]).filter((v): v is number => typeof v === 'number');
    if (xs.length !== runs.length) return '-';
    const i = interval(xs);
    return xs.length > 1 ? `${i.mean.toFixed(3)} [${i.low.toFixed(3)}, ${i.high.toFixed(3)}]` : i.mean.toFixed(3);
  });
  console.log(`| ${c} | ${cells.join(' | ')} |`);
}
