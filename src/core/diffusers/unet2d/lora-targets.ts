/** The LoRA targets of a diffusers UNet2DModel, by diffusers' module names (TF-free: the config schema lists them). */
export const UNET_LORA_TARGETS = ['to_q', 'to_k', 'to_v', 'to_out.0', 'conv1', 'conv2'] as const;
export type UNetLoraTarget = (typeof UNET_LORA_TARGETS)[number];
/** The default: the attention projections, as diffusers' LoRA training scripts adapt them. */
export const DEFAULT_UNET_LORA_TARGETS: readonly UNetLoraTarget[] = ['to_q', 'to_k', 'to_v', 'to_out.0'];
