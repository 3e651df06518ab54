/** The state of a RAFT run at a cycle boundary: what a checkpoint holds so a resumed run continues exactly. */
import type { AdamState } from '../lm/adam';
import type { RngState } from '../rng';
import type { CycleStats } from './stats';

export interface EngineState {
  /** The next cycle to run. */
  cycle: number;
  stopped: boolean;
  history: CycleStats[];
  rng: { sample: RngState; train: RngState; select: RngState };
  /** Position in the seeded order of the task's demonstrations (UFT, SFT). */
  demos: { cursor: number };
  prompts: { order: number[]; cursor: number; epoch: number };
  optimizer: AdamState;
  /** Trained weights by local name: every weight for full fine-tuning, only `lora.*` adapters with LoRA. */
  weights: Map<string, { shape: number[]; values: Float32Array }>;
  /** A stateful method's numbers (PPO: the KL coefficient); its weights are in `weights` under `method.*`. */
  methodState?: Record<string, number>;
}
