/**
 * A language run's checkpoint at a cycle boundary (EngineState, engine-state.ts): written from and restored into the
 * engine's parts. Trained weights (all of them, or only the LoRA adapters), the optimizer's moments under stable
 * names, a stateful method's own weights (under `method.*`) and numbers, the random streams and the prompt order;
 * the engine adds its counters (cycle, history, the demonstrations' cursor).
 */
import type { Adam } from '../lm/adam';
import type { LanguageModel } from '../lm/language-model';
import type { Rng } from '../rng';
import type { EngineState } from './engine-state';
import type { Method } from './methods/types';
import type { PromptOrder } from './prompt-order';

/** The parts of an engine a checkpoint covers. */
export interface CheckpointParts {
  model: LanguageModel;
  optimizer: Adam;
  method: Method;
  rng: { sample: Rng; train: Rng; select: Rng };
  prompts: PromptOrder;
}

/** The stable name of a trainable variable: the model's local name, or the method's for its own. */
function localName(p: CheckpointParts, variableName: string): string {
  return p.method.localName?.(variableName) ?? p.model.localName(variableName);
}

/** The checkpoint's weights, optimizer, random streams, prompt order and method state. */
export async function exportParts(p: CheckpointParts): Promise<Pick<EngineState, 'weights' | 'optimizer' | 'rng' | 'prompts' | 'methodState'>> {
  const weights = new Map<string, { shape: number[]; values: Float32Array }>();
  const named = p.model.lora ? p.model.lora.named() : p.model.params;
  for (const [name, v] of named) weights.set(name, { shape: v.shape.slice(), values: ((await v.data()) as Float32Array).slice() });
  const optimizer = await p.optimizer.exportState((n) => localName(p, n));
  // a stateful method's weights (PPO's value head) travel with the model's, under method.*; its numbers apart
  const own = p.method.exportState ? await p.method.exportState() : null;
  for (const [name, w] of own?.weights ?? []) weights.set(name, w);
  return {
    rng: { sample: p.rng.sample.getState(), train: p.rng.train.getState(), select: p.rng.select.getState() },
    prompts: p.prompts.state(),
    optimizer,
    weights,
    ...(own ? { methodState: own.values } : {}),
  };
}

/** Load a checkpoint's weights, method state, optimizer, random streams and prompt order into the parts. */
export function restoreParts(p: CheckpointParts, state: EngineState): void {
  const values = new Map<string, Float32Array>();
  const own = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [name, w] of state.weights) {
    if (name.startsWith('method.')) own.set(name, w);
    else values.set(name, w.values);
  }
  p.model.assignWeights(values);
  if (p.method.restoreState) p.method.restoreState({ weights: own, values: state.methodState ?? {} });
  else if (own.size) throw new Error(`this checkpoint holds weights of another method (${[...own.keys()].join(', ')})`);
  p.optimizer.importState(state.optimizer, [...p.model.trainableVariables(), ...(p.method.variables?.() ?? [])], (v) => localName(p, v.name));
  p.rng.sample.setState(state.rng.sample);
  p.rng.train.setState(state.rng.train);
  p.rng.select.setState(state.rng.select);
  p.prompts.restore(state.prompts);
}
