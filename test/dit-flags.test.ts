/** The DiT design flags shared by scripts/pretrain-scenes.ts and scripts/bench-denoiser.ts (src/node/dit-flags.ts). */
import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SCENES_DIT } from '../src/core/diffusion/dit/recipe';
import { ditConfigFromFlags, DIT_DESIGN_OPTIONS } from '../src/node/dit-flags';

const flags = (...args: string[]) => parseArgs({ args, options: DIT_DESIGN_OPTIONS }).values;

describe('DiT design flags', () => {
  it('no flags, --conv 0 and --alibi 0 leave the recipe\'s config as it is (so --init accepts its models)', () => {
    expect(ditConfigFromFlags(SCENES_DIT, flags())).toEqual(SCENES_DIT);
    expect(ditConfigFromFlags(SCENES_DIT, flags('--conv', '0', '--alibi', '0'))).toEqual(SCENES_DIT);
    expect(ditConfigFromFlags(SCENES_DIT, flags('--conv', '0.0'))).toEqual(SCENES_DIT);
    expect(ditConfigFromFlags(SCENES_DIT, flags('--mlp', '1.5')).mlpRatio).toBe(1.5);
    expect(JSON.stringify(ditConfigFromFlags(SCENES_DIT, flags('--conv', '0')))).toBe(JSON.stringify(SCENES_DIT));
  });

  it('each flag sets its field', () => {
    const c = ditConfigFromFlags(SCENES_DIT, flags('--width', '96', '--depth', '4', '--heads', '3', '--patch', '2', '--mlp', '4',
      '--key-pool', '2', '--conv', '16', '--alibi', '0.5', '--mix-ffn', '--self-cond'));
    expect(c).toEqual({ ...SCENES_DIT, width: 96, depth: 4, heads: 3, patch: 2, mlpRatio: 4, keyPool: 2, conv: 16, alibi: 0.5, mixFfn: true, selfCond: true });
    expect(SCENES_DIT.width).toBe(128); // the recipe itself is not changed
  });

  it('a malformed value is refused with the flag named', () => {
    expect(() => ditConfigFromFlags(SCENES_DIT, flags('--key-pool', '3'))).toThrow(/--key-pool 3: 1 .* or 2/);
    expect(() => ditConfigFromFlags(SCENES_DIT, flags('--width', 'wide'))).toThrow(/--width wide: a positive whole number/);
    expect(() => ditConfigFromFlags(SCENES_DIT, flags('--depth', '0'))).toThrow(/--depth 0/);
    expect(() => ditConfigFromFlags(SCENES_DIT, flags('--conv', '2.5'))).toThrow(/--conv 2.5: a whole number >= 0 \(0 = none\)/);
    expect(() => ditConfigFromFlags(SCENES_DIT, flags('--mlp', '0'))).toThrow(/--mlp 0: a ratio > 0/);
    expect(() => ditConfigFromFlags(SCENES_DIT, flags('--mlp', '1.001'))).toThrow(/--mlp 1.001: .* whole/);
    expect(() => ditConfigFromFlags(SCENES_DIT, flags('--alibi=-1'))).toThrow(/--alibi -1: a number >= 0/);
    expect(() => ditConfigFromFlags(SCENES_DIT, flags('--heads', '5'))).toThrow(/5 heads do not divide the width 128/);
  });
});
