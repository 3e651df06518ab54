/** SFT: fine-tune on the task's demonstrations (promptsPerCycle of them a cycle) with the completion NLL; no sampling. */
import { trainStep } from '../../../lm/train';
import { NO_TRAINING, type Method } from '../types';

export const sft: Method = {
  async update(ctx) {
    const demos = ctx.nextDemos(ctx.config.promptsPerCycle);
    const trainLoss = await ctx.train(demos, (part) => [...part], (batch) => trainStep(ctx.model, ctx.optimizer, batch, ctx.lr, ctx.config.gradClip), { skipEmpty: true });
    return { samples: [], stats: { ...NO_TRAINING, keptCount: demos.length, trainLoss, lr: ctx.lr } };
  },
};
