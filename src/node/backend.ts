/**
 * TF.js backend for Node (CLI, scripts, tests): `wasm` by default (XNNPACK, fast), or `cpu`.
 * tfjs-node cannot be installed in the lab's environments, so Node runs the same backends a browser can.
 */
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

export type NodeBackend = 'wasm' | 'cpu';

export async function initNodeBackend(name: NodeBackend = 'wasm'): Promise<string> {
  if (tf.getBackend() === name) return name;
  if (name === 'wasm') {
    // TF.js runs its single-threaded WASM build in Node (WASM_HAS_MULTITHREAD_SUPPORT is false there), so XNNPACK
    // gets one thread whatever is asked; the count is passed for the day that changes
    setThreadsCount(Number(process.env.RAFTLAB_WASM_THREADS ?? 2));
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`TF.js backend "${name}" failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}
