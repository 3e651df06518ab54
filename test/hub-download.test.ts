import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelFileUrl, parseModelSource } from '../src/core/hub/source';

import { COMMIT, FIXTURES, hubServer, raftlab } from './hub-server';

const score = (args: string[], env: Record<string, string>) => raftlab(['score', ...args], env);

describe('Hub model sources', () => {
  it('parses ids, revisions and URLs, and builds resolve URLs; refuses paths that leave the model', () => {
    expect(parseModelSource('HuggingFaceTB/SmolLM2-135M@main')).toEqual({ kind: 'hub', id: 'HuggingFaceTB/SmolLM2-135M', revision: 'main' });
    expect(parseModelSource('distilgpt2')).toEqual({ kind: 'hub', id: 'distilgpt2', revision: 'main' });
    expect(modelFileUrl(parseModelSource('org/m@refs/pr/1')!, 'config.json', 'http://127.0.0.1:9/')).toBe('http://127.0.0.1:9/org/m/resolve/refs%2Fpr%2F1/config.json');
    expect(parseModelSource('https://example.org/models/tiny')).toEqual({ kind: 'url', base: 'https://example.org/models/tiny/' });
    for (const bad of ['../etc', 'a/b/c', 'org/m@..', '', '<script>']) expect(parseModelSource(bad)).toBeNull();
  });
});

describe('raftlab score --model org/name (a local Hub-layout server)', () => {
  const log: string[] = [];
  let server: Server;
  let endpoint = '';
  const cache = mkdtempSync(join(tmpdir(), 'raftlab-cache-'));

  beforeAll(async () => {
    server = hubServer(log);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((r) => (server.listening ? server.close(() => r()) : r())));

  it('downloads once, records the resolved commit, scores like the folder; then works from the cache with the server stopped', { timeout: 120_000 }, async () => {
    const golden = JSON.parse(readFileSync(join(FIXTURES, 'llama', 'golden.json'), 'utf8')) as { cases: Array<{ ids: number[]; logprobs: number[] }> };
    const ids = golden.cases[0]!.ids.join(',');
    const first = await score(['--model', 'tiny/llama', '--hf-endpoint', endpoint, '--ids', ids], { RAFTLAB_CACHE: cache });
    expect(first.code, first.err).toBe(0);
    const out = JSON.parse(first.out) as { revision: string; modelType: string; logprobs: number[] };
    expect(out.revision).toBe(COMMIT);
    expect(out.modelType).toBe('llama');
    out.logprobs.forEach((v, i) => expect(Math.abs(v - golden.cases[0]!.logprobs[i]!)).toBeLessThan(1e-4));
    expect(log.filter((u) => u.includes('/tiny/llama/'))).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors'].map((f) => `/tiny/llama/resolve/main/${f}`));
    await new Promise<void>((r) => server.close(() => r()));
    const again = await score(['--model', 'tiny/llama', '--hf-endpoint', endpoint, '--ids', ids], { RAFTLAB_CACHE: cache });
    expect(again.code, again.err).toBe(0);
    expect((JSON.parse(again.out) as { logprobs: number[] }).logprobs).toEqual(out.logprobs);
    // a model that is not cached needs the (stopped) server: a clear message
    const offline = await score(['--model', 'tiny/gpt2', '--hf-endpoint', endpoint, '--text', 'a b'], { RAFTLAB_CACHE: cache });
    expect(offline.code).toBe(2);
    expect(offline.err).toMatch(/fetching .*tiny\/gpt2\/resolve\/main\/config\.json failed/);
  });

  it('a revision that does not exist and a download that breaks off are named, and nothing broken is cached', { timeout: 120_000 }, async () => {
    server = hubServer(log);
    await new Promise<void>((r) => server.listen(Number(new URL(endpoint).port), '127.0.0.1', r));
    const missing = await score(['--model', 'tiny/gpt2@nope', '--hf-endpoint', endpoint, '--text', 'a b'], { RAFTLAB_CACHE: cache });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('tiny/gpt2@nope has no config.json (does the model, and its revision, exist?)');
    const broken = await score(['--model', 'tiny/broken', '--hf-endpoint', endpoint, '--text', 'a b'], { RAFTLAB_CACHE: cache });
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/(fetching .*model\.safetensors failed|download of .*model\.safetensors (broke off|is truncated)).*nothing was cached/);
    expect(existsSync(join(cache, 'hub', 'tiny', 'broken', 'main', 'model.safetensors'))).toBe(false);
  });
});
