/** LoRA settings, kept free of TF.js so the UI thread can import them through the config schema. */

/** Linear layers adapters may be attached to, in canonical order: attention q, k, v, o and MLP up, down. */
export const LORA_TARGETS = ['q', 'k', 'v', 'o', 'up', 'down'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  rank: number;
  alpha: number;
  targets: readonly LoraTarget[];
}
