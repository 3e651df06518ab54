/**
 * The reference model of a run (the base model that KL, UFT, DPO, RLOO, GRPO, PPO and domain-RAFT compare the policy
 * to): a frozen copy for full fine-tuning, or with LoRA the policy itself with its adapters off; a method that trains
 * nothing (best-of-K) has the policy as its reference.
 */
import type { LanguageModel } from '../lm/language-model';

export class Reference {
  constructor(
    readonly policy: LanguageModel,
    /** The frozen copy of the base model (full fine-tuning), or null (LoRA, or nothing trained). */
    readonly frozen: LanguageModel | null,
  ) {}

  /**
   * `f` on the reference model. With LoRA the adapters are off while `f` runs: for an async `f` until its promise
   * settles, so a synchronous forward pass (KL's interleaved passes) and a whole async measurement both work.
   */
  run<R>(f: (m: LanguageModel) => R): R {
    if (this.frozen) return f(this.frozen);
    const lora = this.policy.lora;
    if (!lora) return f(this.policy);
    lora.enabled = false;
    let out: R;
    try {
      out = f(this.policy);
    } catch (e) {
      lora.enabled = true;
      throw e;
    }
    if (out instanceof Promise) return out.finally(() => { lora.enabled = true; }) as R;
    lora.enabled = true;
    return out;
  }

  dispose(): void {
    this.frozen?.dispose();
  }
}
