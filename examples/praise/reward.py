# Reward for "praise the part of the film the row names": half for mentioning the row's topic,
# half for a positive word. TRL's per-sample form; TRL's batch form, reward(prompts, completions, topic), works too.
POSITIVE = {'superb', 'excellent', 'brilliant', 'wonderful', 'amazing', 'fantastic', 'great', 'good',
            'beautiful', 'perfect', 'charming', 'loved', 'enjoyed', 'joy', 'masterpiece', 'gem'}

def reward(prompt, completion, topic, **row):
    words = completion.lower().split()
    mentions = topic in words
    praise = any(w in POSITIVE for w in words)
    return {'reward': 0.5 * mentions + 0.5 * praise, 'mentions': mentions, 'praise': praise}
