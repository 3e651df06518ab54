/**
 * The fingerprint of a Hub model's files (config.json and the weights, in order): `sha256-<16 hex>-<bytes>`, with
 * Web Crypto (in browsers, workers and Node alike). Checkpoints and run directories name their base model with it,
 * so a run never resumes on other weights under the same name.
 */
export async function hubFingerprint(files: ReadonlyArray<{ name: string; bytes: Uint8Array }>): Promise<string> {
  let total = 0;
  for (const f of files) total += f.name.length + 1 + f.bytes.length;
  const all = new Uint8Array(total);
  let at = 0;
  const enc = new TextEncoder();
  for (const f of files) {
    all.set(enc.encode(`${f.name}\n`), at);
    at += f.name.length + 1;
    all.set(f.bytes, at);
    at += f.bytes.length;
  }
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', all));
  const hex = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `sha256-${hex}-${files.reduce((n, f) => n + f.bytes.length, 0)}`;
}
