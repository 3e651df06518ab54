/**
 * The DiT design flags that scripts/pretrain-scenes.ts and scripts/bench-denoiser.ts share: another size or design of
 * the same model (dit/config.ts), e.g. `--width 96 --depth 4 --heads 3 --key-pool 2`, `--mix-ffn` or `--self-cond`. A flag that is
 * not given, and `--conv 0` / `--alibi 0`, leave the base config's field as it is, so a model saved with the recipe's
 * config still loads with `--init`.
 */
import type { DiTConfig } from '../core/diffusion/dit/config';

/** parseArgs options of the design flags. */
export const DIT_DESIGN_OPTIONS = {
  width: { type: 'string' }, depth: { type: 'string' }, heads: { type: 'string' }, patch: { type: 'string' }, mlp: { type: 'string' },
  'key-pool': { type: 'string' }, conv: { type: 'string' }, alibi: { type: 'string' }, 'mix-ffn': { type: 'boolean' },
  'self-cond': { type: 'boolean' },
} as const;

type SwitchFlag = 'mix-ffn' | 'self-cond';
export type DiTDesignFlags = Partial<Record<Exclude<keyof typeof DIT_DESIGN_OPTIONS, SwitchFlag>, string>> & Partial<Record<SwitchFlag, boolean>>;

function positiveInteger(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${flag} ${v}: a positive whole number`);
  return n;
}

function nonNegativeInteger(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${flag} ${v}: a whole number >= 0 (0 = none)`);
  return n;
}

function nonNegative(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${flag} ${v}: a number >= 0 (0 = none)`);
  return n;
}

/** `base` with the given flags applied; a malformed value is refused with the flag named. */
export function ditConfigFromFlags(base: DiTConfig, flags: DiTDesignFlags): DiTConfig {
  const c: DiTConfig = { ...base };
  if (flags.width !== undefined) c.width = positiveInteger('width', flags.width);
  if (flags.depth !== undefined) c.depth = positiveInteger('depth', flags.depth);
  if (flags.heads !== undefined) c.heads = positiveInteger('heads', flags.heads);
  if (flags.patch !== undefined) c.patch = positiveInteger('patch', flags.patch);
  if (flags.mlp !== undefined) {
    const r = Number(flags.mlp);
    if (!(r > 0) || !Number.isInteger(r * c.width)) throw new Error(`--mlp ${flags.mlp}: a ratio > 0 whose product with the width (${c.width}) is whole`);
    c.mlpRatio = r;
  }
  if (flags['key-pool'] !== undefined) {
    if (flags['key-pool'] !== '1' && flags['key-pool'] !== '2') throw new Error(`--key-pool ${flags['key-pool']}: 1 (every image token a key) or 2 (2 x 2 neighbours averaged)`);
    c.keyPool = Number(flags['key-pool']) as 1 | 2;
  }
  if (flags.conv !== undefined && Number(flags.conv) !== 0) c.conv = nonNegativeInteger('conv', flags.conv);
  if (flags.alibi !== undefined && nonNegative('alibi', flags.alibi) > 0) c.alibi = Number(flags.alibi);
  if (flags['mix-ffn']) c.mixFfn = true;
  if (flags['self-cond']) c.selfCond = true;
  if (c.width % c.heads !== 0) throw new Error(`${c.heads} heads do not divide the width ${c.width} (--heads, --width)`);
  return c;
}
