/**
 * Throughput of custom tasks' rewards in Node, printed as figures (not a test):
 * - a Python reward (examples/praise/reward.py, TRL's per-sample form, and the same in the batch form) on the Node
 *   verifiers' Pyodide workers, in batches of the default reward chunk (32);
 * - the learned reward: the project's tiny ONNX sentiment classifier (test/fixtures/hf-tiny/sentiment-classifier)
 *   through transformers.js' text-classification pipeline on its Node runtime (ONNX Runtime's CPU build), served by
 *   a local server in the Hub's layout.
 * Usage: node bin/run-ts.mjs scripts/bench-rewards.ts [samples=16384]
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformersClassifierLoader } from '../src/core/hub/text-classifier';
import { createNodeVerifiers } from '../src/node/verify/index';
import { startHubServer } from '../test/hub-server';

const N = Number(process.argv[2] ?? 16384);
const CHUNK = 32;
const rows = readFileSync('examples/praise/prompts.jsonl', 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { prompt: string; topic: string });
const words = ['the', 'acting', 'was', 'great', 'and', 'the', 'plot', 'dull', 'but', 'the', 'ending', 'superb', '.'];
const completions = Array.from({ length: N }, (_, i) => ` ${Array.from({ length: 8 + (i % 12) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(' ')}`);
const prompts = completions.map((_, i) => rows[i % rows.length]!.prompt);
const fields = completions.map((_, i) => ({ topic: rows[i % rows.length]!.topic }));

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; ${N} samples`);
const verifier = createNodeVerifiers();
const perSample = readFileSync('examples/praise/reward.py', 'utf8');
const batch = `${perSample}\n_one = reward\ndef reward(prompts, completions, topic, **kwargs):\n    return [_one(p, c, t) for p, c, t in zip(prompts, completions, topic)]\n`;
for (const [name, code] of [['per-sample reward(prompt, completion, **row)', perSample], ['batch reward(prompts, completions, **kwargs)', batch]] as const) {
  // warm every worker (Pyodide loads once per worker)
  await Promise.all(Array.from({ length: verifier.python.pool.size }, () => verifier.pythonReward!({ code, mode: 'score', prompts: prompts.slice(0, CHUNK), completions: completions.slice(0, CHUNK), rows: fields.slice(0, CHUNK), timeoutMs: 30_000 })));
  const t0 = performance.now();
  const parts = [];
  for (let i = 0; i < N; i += CHUNK) {
    parts.push(verifier.pythonReward!({ code, mode: 'score', prompts: prompts.slice(i, i + CHUNK), completions: completions.slice(i, i + CHUNK), rows: fields.slice(i, i + CHUNK), timeoutMs: 30_000 }));
  }
  const out = await Promise.all(parts);
  const s = (performance.now() - t0) / 1000;
  const errors = out.reduce((n, o) => n + (o.error ? CHUNK : o.items.filter((x) => 'error' in x).length), 0);
  console.log(`python ${name}: ${(N / s).toFixed(0)} samples/s (${s.toFixed(2)} s, ${verifier.python.pool.size} Pyodide workers, chunks of ${CHUNK}, ${errors} errors)`);
}
await verifier.dispose();

const { server, endpoint } = await startHubServer([]);
const load = transformersClassifierLoader({ endpoint, device: 'cpu', cacheDir: mkdtempSync(join(tmpdir(), 'raftlab-bench-')), batch: CHUNK });
let t0 = performance.now();
const model = await load('tiny/sentiment-classifier', 'main');
console.log(`learned reward: loaded tiny/sentiment-classifier in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
const texts = completions.map((c, i) => prompts[i] + c);
await model.classify(texts.slice(0, CHUNK)); // warm
t0 = performance.now();
await model.classify(texts);
const s = (performance.now() - t0) / 1000;
console.log(`learned reward (transformers.js text-classification, ONNX Runtime Node CPU, batches of ${CHUNK}): ${(N / s).toFixed(0)} samples/s (${s.toFixed(2)} s)`);
await model.dispose();
server.close();
