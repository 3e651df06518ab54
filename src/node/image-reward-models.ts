/**
 * The CLI's learned image rewards (core/rewards/image-models.ts): Hub CLIP models, image classifiers and aesthetic
 * heads on ONNX Runtime's Node build (the CPU), transformers.js' files cached under $RAFTLAB_CACHE as the learned
 * text reward's (node/reward-model.ts).
 */
import { DEFAULT_HF_ENDPOINT } from '../core/hub/source';
import { imageRewardModelLoader, type ImageRewardModels } from '../core/rewards/image-models';
import { nodeTransformersRuntime } from './reward-model';

export function nodeImageRewardModels(endpoint = process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT, log?: (line: string) => void): ImageRewardModels {
  return imageRewardModelLoader(nodeTransformersRuntime(endpoint, 'image reward model', log));
}
