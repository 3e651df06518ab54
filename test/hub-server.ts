// A local server in the Hugging Face Hub's layout for tests: /tiny/{gpt2,llama,qwen2,qwen3,sentiment-classifier}/resolve/
// {main|COMMIT}/{file} (and onnx/{file}) from test/fixtures/hf-tiny, /tiny/tiny-ddpm{,-class}/... (with unet/ and
// scheduler/) from test/fixtures/diffusers-tiny; broken models: /tiny/broken drops the connection in the middle of its weights, /tiny/pastend
// serves half its weights file (whole, as far as HTTP knows: the header points past the end), /tiny/html serves a
// web page as its weights, /tiny/mamba an unsupported model_type. CORS is open (the lab's
// page fetches from another origin), and the resolved commit is in x-repo-commit as the Hub sends it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, 'fixtures', 'hf-tiny');
const DIFFUSERS = join(import.meta.dirname, 'fixtures', 'diffusers-tiny');
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

/** `folders`: more models by name (`/tiny/<name>/...` served from the folder), e.g. a test's F16 variants. */
export function hubServer(log: string[], folders: Record<string, string> = {}): Server {
  return createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'x-repo-commit, content-length',
      'cross-origin-resource-policy': 'cross-origin',
    };
    const m = /^\/tiny\/([\w-]+)\/resolve\/([\w.-]+)\/((?:(?:onnx|unet|scheduler)\/)?[\w.-]+)$/.exec(req.url ?? '');
    log.push(req.url ?? '');
    if (!m || (m[2] !== 'main' && m[2] !== COMMIT)) return void res.writeHead(404, cors).end('Entry not found');
    const [, name, , file] = m;
    const path = join(folders[name!] ?? (name!.startsWith('tiny-ddpm') ? join(DIFFUSERS, name!) : join(FIXTURES, ['broken', 'pastend', 'html', 'mamba'].includes(name!) ? 'gpt2' : name!)), file!);
    if (!existsSync(path)) return void res.writeHead(404, cors).end('Entry not found');
    let body = readFileSync(path);
    if (name === 'pastend' && file === 'model.safetensors') body = body.subarray(0, body.length >> 1);
    if (name === 'html' && file === 'model.safetensors') body = Buffer.from('<!doctype html><title>Hub</title><p>Sign in to download this file</p>');
    if (name === 'mamba' && file === 'config.json') body = Buffer.from(JSON.stringify({ model_type: 'mamba', vocab_size: 512 }));
    res.writeHead(200, { ...cors, 'content-length': body.length, 'x-repo-commit': COMMIT });
    if (name === 'broken' && file === 'model.safetensors') {
      res.write(body.subarray(0, 1000));
      res.socket?.destroy(); // the connection drops mid-file
      return;
    }
    res.end(body);
  });
}

/** Start a server on a free port of 127.0.0.1; returns it and its endpoint URL. */
export async function startHubServer(log: string[], port = 0, folders: Record<string, string> = {}): Promise<{ server: Server; endpoint: string }> {
  const server = hubServer(log, folders);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** `raftlab ARGS` in a child process (asynchronous, so a server in this process keeps answering), with extra env. */
export function raftlab(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/raftlab.mjs', ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}
