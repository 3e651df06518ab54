// raftlab run --model org/name: a LoRA RAFT run on a Hub model from a local Hub-layout server, its link, run
// directory (resume, refusal of another base), PEFT export, and scoring the adapter from the cache with the server stopped.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readSafetensors, writeSafetensors } from '../src/core/hub/safetensors';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMIT, FIXTURES, raftlab, startHubServer } from './hub-server';

const cli = raftlab;

describe('raftlab run on a Hub model', () => {
  const log: string[] = [];
  let server: Server;
  let endpoint = '';
  const root = mkdtempSync(join(tmpdir(), 'raftlab-hubrun-'));
  const env = { RAFTLAB_CACHE: join(root, 'cache') };
  const tiny = ['--task', 'sentiment', '--prompts-per-cycle', '3', '--samples-per-prompt', '2', '--eval-prompts', '2', '--eval-texts', '4', '--max-new-tokens', '8', '--lora', '4'];

  beforeAll(async () => ({ server, endpoint } = await startHubServer(log)));
  afterAll(() => new Promise<void>((r) => (server.listening ? server.close(() => r()) : r())));

  it('trains LoRA on q_proj,v_proj, links the pinned commit, resumes its run directory and saves a PEFT adapter', { timeout: 300_000 }, async () => {
    const runDir = join(root, 'run');
    const first = await cli(['run', ...tiny, '--model', 'tiny/llama', '--lora-targets', 'q_proj,v_proj', '--cycles', '1', '--hf-endpoint', endpoint, '--run-dir', runDir], env);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain(`model tiny/llama@${COMMIT.slice(0, 12)} (llama, `);
    expect(first.out).toContain(`model=${encodeURIComponent(`tiny/llama@${COMMIT}`)}`);
    // the link's configuration names the Hub id and commit, never the endpoint
    expect(first.out).not.toContain(endpoint.replace('http://', ''));
    const saved = join(root, 'adapter');
    const resumed = await cli(['run', '--resume', runDir], { ...env, HF_ENDPOINT: endpoint });
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toMatch(/resum/i);
    const run = await cli(['run', ...tiny, '--model', 'tiny/llama', '--lora-targets', 'q_proj,v_proj', '--cycles', '1', '--hf-endpoint', endpoint, '--save', saved], env);
    expect(run.code, run.err).toBe(0);
    const config = JSON.parse(readFileSync(join(saved, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ peft_type: 'LORA', base_model_name_or_path: 'tiny/llama', revision: COMMIT, r: 4, fan_in_fan_out: false });
    expect([...(config.target_modules as string[])].sort()).toEqual(['q_proj', 'v_proj']);

    await new Promise<void>((r) => server.close(() => r()));
    const text = ['--text', 'the movie was wonderful and the acting'];
    const base = await cli(['score', '--model', 'tiny/llama', '--hf-endpoint', endpoint, ...text], env);
    const tuned = await cli(['score', '--model', 'tiny/llama', '--hf-endpoint', endpoint, '--adapter', saved, ...text], env);
    expect(base.code, base.err).toBe(0);
    expect(tuned.code, tuned.err).toBe(0);
    const lp = (r: { out: string }) => (JSON.parse(r.out) as { logprobs: number[] }).logprobs;
    expect(Math.max(...lp(base).map((v, i) => Math.abs(v - lp(tuned)[i]!)))).toBeGreaterThan(1e-5);
  });

  it('a run on a local folder does not resume once the folder holds other weights', { timeout: 200_000 }, async () => {
    const folder = join(root, 'gpt2-copy');
    cpSync(join(FIXTURES, 'gpt2'), folder, { recursive: true });
    const runDir = join(root, 'run-local');
    const first = await cli(['run', ...tiny, '--model', folder, '--cycles', '1', '--run-dir', runDir], env);
    expect(first.code, first.err).toBe(0);
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(join(folder, 'model.safetensors'))));
    tensors.get('ln_f.bias')!.values[0]! += 0.5;
    writeFileSync(join(folder, 'model.safetensors'), writeSafetensors(tensors));
    const again = await cli(['run', '--resume', runDir], env);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/base model/i);
  });

  it('a target the architecture lacks and an unsupported model type get a message and exit 2', { timeout: 120_000 }, async () => {
    const gate = await cli(['run', ...tiny, '--model', join(FIXTURES, 'gpt2'), '--lora-targets', 'gate', '--cycles', '0'], env);
    expect(gate.code).toBe(2);
    expect(gate.err).toContain('LoRA target "gate" is not a layer of a gpt2 model; it has q, k, v, o, up, down, c_attn, c_proj, c_fc');
    const image = await cli(['run', '--task', 'shapes', '--model', 'tiny/gpt2'], env);
    expect(image.code).toBe(2);
    expect(image.err).toMatch(/model/);
  });
});
