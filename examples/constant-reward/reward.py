# Every completion scores 0.1: no sample is better than another, so a method driven by reward differences (GRPO,
# RLOO, online DPO, Reinforce-Rej) has nothing to learn and must leave the model exactly as it was (docs/methods.md,
# "A cycle without signal moves nothing"). 0.1 is not exact in binary: a group's mean of it can differ from 0.1 in
# the last bit, which is the case the lab must still treat as a tie.
def reward(prompts, completions, **kwargs):
    return [0.1 for _ in completions]
