/**
 * Fixed evaluation prompts of the scenes world, every attribute named (nothing left to chance but the layout):
 * seen single objects, seen groups of two and three, held-out combinations (purple triangles, same-colour
 * relations of different shapes), and seen relations (two different colours). Tests check each set against the
 * grammar and the hold-out rule.
 */

export const SCENE_EVAL_SETS = {
  seenSingles: [
    'a large red circle on the left',
    'a small blue square at the top',
    'a large green triangle at the bottom',
    'a small yellow circle on the right',
    'a large purple square in the middle',
    'a small orange triangle on the left',
    'a large blue circle at the bottom',
    'a small red square on the right',
    'a large yellow triangle at the top',
    'a small green circle in the middle',
    'a large orange square at the top',
    'a small purple circle at the bottom',
  ],
  seenMulti: [
    'two small red circles on the left',
    'three small blue squares at the top',
    'two large green triangles at the bottom',
    'three small yellow triangles at the top',
    'two large orange circles on the right',
    'three small purple squares in the middle',
    'two small blue triangles on the right',
    'three small green circles at the bottom',
    'two large yellow squares in the middle',
    'three small orange triangles on the left',
    'two small purple circles at the top',
    'three large red squares on the right',
  ],
  heldOut: [
    'a large purple triangle on the left',
    'a small purple triangle at the top',
    'a large purple triangle in the middle',
    'two small purple triangles at the bottom',
    'three small purple triangles on the right',
    'a purple triangle above a yellow circle',
    'a red circle left of a red square',
    'a blue square above a blue triangle',
    'a green triangle left of a green circle',
    'a yellow circle above a yellow square',
    'an orange square left of an orange triangle',
    'a purple circle above a purple square',
  ],
  relations: [
    'a red circle left of a blue square',
    'a green triangle above a yellow circle',
    'a blue square left of an orange triangle',
    'a yellow circle above a purple square',
    'an orange triangle left of a green circle',
    'a purple circle above a red triangle',
    'a small red square left of a large green circle',
    'a large blue triangle above a small yellow square',
    'a yellow square left of a blue circle',
    'an orange circle above a blue triangle',
    'a red triangle left of a purple square',
    'a green square above an orange circle',
  ],
} as const satisfies Record<string, readonly string[]>;

export type SceneEvalSet = keyof typeof SCENE_EVAL_SETS;
