/**
 * Adam with global-norm gradient clipping, written out so its state (moments, step) can be saved in a checkpoint.
 * Call `apply` inside a tf.tidy together with the gradient computation.
 */
import * as tf from '@tensorflow/tfjs';
import { ownVariable } from './variables';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

let nextId = 0;

export interface AdamState {
  step: number;
  m: Map<string, Float32Array>;
  v: Map<string, Float32Array>;
}

export class Adam {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Number of updates applied. */
  step = 0;
  readonly #m = new Map<string, tf.Variable>();
  readonly #v = new Map<string, tf.Variable>();
  readonly #id = `adam${nextId++}`;

  constructor(opts: AdamOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
  }

  /**
   * One update. grads are keyed by variable name. `clip` > 0 rescales all gradients so their global L2 norm is at
   * most `clip`. Returns the global norm before clipping (a scalar tensor owned by the caller's tidy).
   */
  apply(vars: tf.Variable[], grads: tf.NamedTensorMap, lr: number, clip: number): tf.Scalar {
    this.step++;
    const gs = vars.map((v) => {
      const g = grads[v.name];
      if (!g) throw new Error(`no gradient for ${v.name}`);
      return g;
    });
    // summed pairwise, not with addN: WebGPU's AddN puts every input in one shader and fails past 8 (tfjs 4.22)
    const norm = tf.sqrt(gs.reduce<tf.Tensor>((acc, g) => tf.add(acc, tf.sum(tf.square(g))), tf.scalar(0))) as tf.Scalar;
    const scale = clip > 0 ? tf.minimum(1, tf.div(clip, tf.add(norm, 1e-6))) : tf.scalar(1);
    const lrT = (lr * Math.sqrt(1 - this.beta2 ** this.step)) / (1 - this.beta1 ** this.step);
    vars.forEach((v, i) => {
      const g = tf.mul(gs[i]!, scale);
      const m = this.#moment(this.#m, v);
      const s = this.#moment(this.#v, v);
      m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
      s.assign(tf.add(tf.mul(s, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
      v.assign(tf.sub(v, tf.mul(lrT, tf.div(m, tf.add(tf.sqrt(s), this.epsilon)))));
    });
    return norm;
  }

  #moment(store: Map<string, tf.Variable>, v: tf.Variable): tf.Variable {
    let m = store.get(v.name);
    if (!m) {
      m = tf.tidy(() => ownVariable(tf.zerosLike(v), `${this.#id}/${store === this.#m ? 'm' : 'v'}/${v.name}`, false));
      store.set(v.name, m);
    }
    return m;
  }

  /**
   * The optimizer's state (step and both moments), e.g. for a checkpoint. `rename` maps a variable's name to the
   * key stored (e.g. without a model's instance prefix).
   */
  async exportState(rename: (name: string) => string = (n) => n): Promise<AdamState> {
    const read = async (store: Map<string, tf.Variable>) => {
      const out = new Map<string, Float32Array>();
      for (const [name, t] of store) out.set(rename(name), (await t.data()) as Float32Array);
      return out;
    };
    return { step: this.step, m: await read(this.#m), v: await read(this.#v) };
  }

  /** Replace the state with a saved one; `vars` are the variables it applies to, `key` gives their stored key. */
  importState(state: AdamState, vars: readonly tf.Variable[], key: (v: tf.Variable) => string = (v) => v.name): void {
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
    this.#m.clear();
    this.#v.clear();
    this.step = state.step;
    for (const v of vars) {
      const m = state.m.get(key(v));
      const s = state.v.get(key(v));
      if (!m && !s) continue; // not updated yet
      if (!m || !s || m.length !== v.size || s.length !== v.size) throw new Error(`optimizer state for ${key(v)} does not fit`);
      this.#m.set(v.name, ownVariable(tf.tensor(m, v.shape), `${this.#id}/m/${v.name}`, false));
      this.#v.set(v.name, ownVariable(tf.tensor(s, v.shape), `${this.#id}/v/${v.name}`, false));
    }
  }

  dispose(): void {
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
    this.#m.clear();
    this.#v.clear();
  }
}
