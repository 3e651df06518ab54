// Learned rewards and data sets, offline: the project's tiny ONNX sentiment classifier (scripts/make-reward-fixture.py)
// served in the Hub's layout from a local server and scored through the real transformers.js pipeline, checked
// against the script's own numpy computation; and a dataset-viewer /rows response served locally, paged and cached.
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformersClassifierLoader } from '../src/core/hub/text-classifier';
import { datasetRows, type ViewerCache } from '../src/core/tasks/custom/dataset-viewer';
import { parseTaskDocument, TaskDocumentError } from '../src/core/tasks/custom/document';
import { checkCustomTask, createCustomTask } from '../src/core/tasks/custom/task';
import { FIXTURES, startHubServer } from './hub-server';

const REFERENCE = JSON.parse(readFileSync(join(FIXTURES, 'sentiment-classifier', 'reference.json'), 'utf8')) as {
  labels: string[]; texts: Array<{ text: string; probs: number[] }>;
};
const log: string[] = [];
let hub: { server: Server; endpoint: string };
beforeAll(async () => {
  hub = await startHubServer(log);
});
afterAll(() => hub.server.close());

const MODEL = 'tiny/sentiment-classifier';

describe('learned reward: a Hub text classifier through transformers.js', () => {
  it('scores texts as the independent numpy computation does (to 1e-6)', { timeout: 60_000 }, async () => {
    const load = transformersClassifierLoader({ endpoint: hub.endpoint, device: 'cpu', cacheDir: mkdtempSync(join(tmpdir(), 'raftlab-tjs-')), batch: 4 });
    const model = await load(MODEL, 'main');
    expect(model.labels).toEqual(['NEGATIVE', 'POSITIVE']);
    const got = await model.classify(REFERENCE.texts.map((t) => t.text));
    REFERENCE.texts.forEach((t, i) => {
      expect(got[i]!.NEGATIVE).toBeCloseTo(t.probs[0]!, 6);
      expect(got[i]!.POSITIVE).toBeCloseTo(t.probs[1]!, 6);
    });
    expect(log).toContain(`/${MODEL}/resolve/main/onnx/model.onnx`);
    expect(await load(MODEL, 'main')).toBe(model); // loaded once
  });

  it('is a reward term: the chosen label\'s probability of prompt + completion; a missing label is refused before the run', { timeout: 60_000 }, async () => {
    const classifier = transformersClassifierLoader({ endpoint: hub.endpoint, device: 'cpu', cacheDir: mkdtempSync(join(tmpdir(), 'raftlab-tjs-')) });
    const doc = parseTaskDocument({ raftlabTask: 1, name: 'positive', prompts: ['This movie was', 'The plot'], reward: { kind: 'classifier', model: MODEL, label: 'POSITIVE' } });
    await checkCustomTask(doc, { classifier });
    const task = createCustomTask(doc, { classifier, heldOutText: () => [] });
    const [r] = await task.rewardMany!([{ prompt: 'This movie was', completion: ' great and the acting was wonderful!' }]);
    expect(r!.reward).toBeCloseTo(REFERENCE.texts[0]!.probs[1]!, 6);
    expect(r!.breakdown).toEqual({ label: 'POSITIVE' });
    const wrong = parseTaskDocument({ ...doc, reward: { kind: 'classifier', model: MODEL, label: 'LABEL_1' } });
    await expect(checkCustomTask(wrong, { classifier })).rejects.toThrow(/has no label "LABEL_1" \(its labels: NEGATIVE, POSITIVE\)/);
    const missing = parseTaskDocument({ ...doc, reward: { kind: 'classifier', model: 'tiny/nothing-here', label: 'POSITIVE' } });
    await expect(checkCustomTask(missing, { classifier })).rejects.toThrow(/reward model tiny\/nothing-here@main did not load/);
  });
});

describe('prompts from the dataset viewer', () => {
  const rows = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'dataset-viewer', 'imdb-plain_text-train.json'), 'utf8')) as {
    features: unknown[]; rows: Array<{ row_idx: number; row: { text: string; label: number } }>;
  };
  let viewer: Server;
  let endpoint = '';
  const requests: string[] = [];
  beforeAll(async () => {
    viewer = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(url.pathname + url.search);
      const q = url.searchParams;
      if (url.pathname !== '/rows' || q.get('dataset') !== 'imdb') return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'The dataset does not exist.' }));
      const offset = Number(q.get('offset'));
      const length = Math.min(100, Number(q.get('length')));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...rows, rows: rows.rows.slice(offset, offset + length), num_rows_per_page: 100 }));
    });
    await new Promise<void>((r) => viewer.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(viewer.address() as AddressInfo).port}`;
  });
  afterAll(() => viewer.close());

  it('pages through /rows, cuts the column to its first words, keeps the other fields, and caches the pages', async () => {
    const store = new Map<string, string>();
    const cache: ViewerCache = { get: async (u) => store.get(u) ?? null, put: async (u, b) => void store.set(u, b) };
    const source = { dataset: 'imdb', config: 'plain_text', split: 'train', column: 'text', offset: 20, length: 120, words: 4 };
    const got = await datasetRows(source, { endpoint, cache });
    expect(got).toHaveLength(120);
    expect(requests).toEqual(['/rows?dataset=imdb&config=plain_text&split=train&offset=20&length=100', '/rows?dataset=imdb&config=plain_text&split=train&offset=120&length=20']);
    expect(got[0]).toEqual({ label: rows.rows[20]!.row.label, prompt: rows.rows[20]!.row.text.split(' ').slice(0, 4).join(' ') });
    const again = await datasetRows(source, { endpoint, cache });
    expect(again).toEqual(got);
    expect(requests).toHaveLength(2); // from the cache
    // past the end: what there is
    expect(await datasetRows({ ...source, offset: 140, length: 50 }, { endpoint })).toHaveLength(10);
  });

  it('says what is wrong: an unknown data set, a missing column, no network', async () => {
    const source = { dataset: 'imdb', config: 'plain_text', split: 'train', column: 'text', offset: 0, length: 5, words: 0 };
    await expect(datasetRows({ ...source, dataset: 'nope' }, { endpoint })).rejects.toThrow(/answered 404: The dataset does not exist/);
    await expect(datasetRows({ ...source, column: 'review' }, { endpoint })).rejects.toThrow(/has no column "review" \(columns: text, label\)/);
    await expect(datasetRows(source, { endpoint: 'http://127.0.0.1:9' })).rejects.toBeInstanceOf(TaskDocumentError);
  });
});
