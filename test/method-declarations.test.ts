// Methods declare themselves (src/core/raft/methods/<name>/declaration.ts, listed in methods/catalog.ts): their own
// settings are schema fields, the settings panel and the CLI help derive from them, and the labels and task kinds
// agree with the rest of the lab.
import { describe, expect, it } from 'vitest';
import { controlsFor } from '../src/app/config-controls';
import { cliHelp } from '../src/core/config/cli';
import { CONFIG_FIELDS, DEFAULT_CONFIG, METHODS, checkConfig, type ConfigKey, type Method } from '../src/core/config/schema';
import { METHOD_CATALOG, METHOD_DECLARATIONS, METHOD_SETTINGS, methodLabel, methodRunsOn, methodsOfSetting } from '../src/core/raft/methods/catalog';
import { METHOD_MODULES } from '../src/core/raft/methods/index';

const keysOf = (task: string, method: Method) => controlsFor(task, method).groups.flatMap((g) => g.fields.map((f) => f.key));
/** Settings another method declares and `method` does not. */
const othersOf = (method: Method) => [...METHOD_SETTINGS].filter((k) => !METHOD_CATALOG[method].settings.includes(k));

describe('method declarations', () => {
  it('every method of the schema has a declaration and an update step, and each declared setting is a schema field', () => {
    const keys = new Set<string>(CONFIG_FIELDS.map((f) => f.key));
    expect(Object.keys(METHOD_CATALOG).sort()).toEqual([...METHODS].sort());
    expect(Object.keys(METHOD_MODULES).sort()).toEqual([...METHODS].sort());
    for (const d of METHOD_DECLARATIONS) {
      expect(METHOD_CATALOG[d.name]).toBe(d);
      for (const k of d.settings) expect(keys.has(k), `${d.name}: ${k}`).toBe(true);
      expect(new Set(d.settings).size).toBe(d.settings.length);
      for (const k of d.legend.keys) expect(keys.has(k), `${d.name} legend: ${k}`).toBe(true);
    }
    // the selection settings belong to the methods that select, GRPO's to GRPO alone, the clip range to the clippers
    expect(methodsOfSetting('keepPerPrompt')).toEqual(['raft', 'uft', 'raftpp']);
    expect(methodsOfSetting('grpoBeta')).toEqual(['grpo']);
    expect(methodsOfSetting('lossType')).toEqual(['grpo']);
    expect(methodsOfSetting('epsilonHigh')).toEqual(['grpo', 'raftpp', 'reinforce-rej']);
    expect(methodsOfSetting('temperature')).toEqual([]);
  });

  it('the settings panel of a RAFT run shows no setting of another method; choosing GRPO shows its rows and hides RAFT\'s', () => {
    const raft = keysOf('sentiment', 'raft');
    for (const k of othersOf('raft')) expect(raft, k).not.toContain(k);
    for (const k of ['uftBeta', 'grpoBeta', 'epsilon', 'rlooBeta', 'dpoBeta', 'ppoEpochs', 'initKlCoef', 'drTopK'] as ConfigKey[]) expect(raft).not.toContain(k);
    for (const k of ['method', 'select', 'keepPerPrompt', 'keepTopPercent', 'rewardThreshold', 'minKept', 'temperature', 'lr'] as ConfigKey[]) expect(raft).toContain(k);
    const grpo = keysOf('sentiment', 'grpo');
    for (const k of ['grpoBeta', 'epsilon', 'scaleRewards', 'quotaTrials'] as ConfigKey[]) expect(grpo).toContain(k);
    for (const k of othersOf('grpo')) expect(grpo, k).not.toContain(k);
    expect(grpo).not.toContain('select');
    // the hidden ones are named as other methods' settings, never as the task's
    const { hidden, otherMethods } = controlsFor('sentiment', 'raft');
    expect(hidden).toEqual(['Image reward', 'Image reward model', 'Image reward target', 'Scene prompts', 'Image size', 'DDIM steps', 'Guidance scale', 'Noise draws per kept image', 'Held-out images', 'UNet LoRA targets', 'Start from adapter', 'Image LoRA rank']);
    expect(otherMethods).toContain('GRPO beta');
    // every method: exactly the common settings and its own
    for (const m of METHODS) {
      const shown = new Set(keysOf('sentiment', m));
      const expected = CONFIG_FIELDS.filter((f) => f.type !== 'task' && f.scope !== 'image' && (!METHOD_SETTINGS.has(f.key) || METHOD_CATALOG[m].settings.includes(f.key)));
      expect([...shown].sort()).toEqual(expected.map((f) => f.key).sort());
    }
  });

  it('the CLI help lists each method\'s own settings under the method', () => {
    const help = cliHelp();
    const methods = help.slice(help.indexOf('Methods (--method)'));
    const at = (s: string) => methods.indexOf(s);
    expect(at('  grpo: ')).toBeGreaterThan(0);
    expect(at('--grpo-beta')).toBeGreaterThan(at('  grpo: '));
    expect(at('--grpo-beta')).toBeLessThan(at('  rloo: '));
    expect(at('--select <')).toBeGreaterThan(at('  raft: '));
    expect(at('--select <')).toBeLessThan(at('  uft: '));
    expect(at('--dr-top-k')).toBeGreaterThan(at('  domain-raft: '));
    // a common setting stays in its group, above the methods
    expect(at('--temperature')).toBe(-1);
  });

  it('labels come from the declarations; the task kinds agree with the config checks', () => {
    expect(methodLabel({ ...DEFAULT_CONFIG, method: 'uft', uftBeta: 0.01, uftScored: 'all' })).toBe('uft (beta 0.01, all)');
    expect(methodLabel({ ...DEFAULT_CONFIG, method: 'best-of-k', samplesPerPrompt: 6 })).toBe('best-of-6');
    expect(methodLabel({ ...DEFAULT_CONFIG, method: 'domain-raft', drFilter: false })).toBe('domain-raft (no filter)');
    for (const m of METHODS) {
      const refused = checkConfig({ ...DEFAULT_CONFIG, task: 'shapes', method: m }).some((p) => p.key === 'method');
      expect(refused, m).toBe(!methodRunsOn(m, 'image'));
      expect(methodRunsOn(m, 'language')).toBe(true);
    }
    expect(METHOD_CATALOG['domain-raft'].needs?.referenceHint).toBe(true);
    expect(METHOD_CATALOG['domain-raft'].ablations?.map((a) => a.name)).toContain('no distill');
  });
});
