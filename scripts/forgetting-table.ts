/**
 * The forgetting table over seeds: reads `raftlab compare ... --general ... --out F` files (one per seed, the same
 * methods) and prints, per method at the chosen cycle (default: each run's last), the mean ± sample standard
 * deviation of the domain accuracy, its change, and each general task's change in reward, pass rate and perplexity,
 * as a markdown table.   Run: npx tsx scripts/forgetting-table.ts docs/forgetting/seed-*.json [--cycle N] [--all]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { summariseSeeds, summaryMarkdown, type ForgettingRow } from '../src/core/forgetting';

const { values, positionals } = parseArgs({ options: { cycle: { type: 'string' }, all: { type: 'boolean', default: false } }, allowPositionals: true });
if (positionals.length === 0) {
  console.error('usage: npx tsx scripts/forgetting-table.ts FILE.json ... [--cycle N] [--all]');
  process.exit(2);
}
const rows: ForgettingRow[] = [];
const seeds = new Set<number>();
for (const file of positionals) {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { runs: Array<{ config: { seed: number } }>; forgetting?: ForgettingRow[] };
  if (!data.forgetting) {
    console.error(`${file}: no forgetting rows (was compare run with --general?)`);
    process.exit(2);
  }
  for (const r of data.runs) seeds.add(r.config.seed);
  rows.push(...data.forgetting);
}
const last = Math.max(...rows.map((r) => r.cycle));
const cycle = values.cycle !== undefined ? Number(values.cycle) : last;
const chosen = values.all ? rows : rows.filter((r) => r.cycle === cycle);
console.log(`${positionals.length} files, seeds ${[...seeds].sort((a, b) => a - b).join(', ')}; ${values.all ? 'every cycle' : `cycle ${cycle}`}; mean ± sd over seeds; changes from the base model (cycle 0)\n`);
for (const line of summaryMarkdown(summariseSeeds(chosen))) console.log(line);
