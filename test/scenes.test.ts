// The scenes world: grammar, seeded captions and scenes, renderer, hold-out rule, tokenizer.
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/rng';
import {
  apart, BACKGROUND, COLOUR_RGB, COLOURS, describeSpec, encodePrompt, isHeldOut, isHeldOutScene, parsePrompt,
  PLACES, PLURALS, renderScene, sampleCaption, sampleScene, SCENE_EVAL_SETS, SCENE_MAX_WORDS, SCENE_VOCAB,
  isSingleObject, LATTICE_SPOTS, LATTICE_STEP, SCENE_LAYOUTS, ScenePromptError, SHAPES, SIZES, SLOT_PAIR, SLOT_SPOTS, SLOT_STEP, trainingPair, type SceneSpec,
  objectHalfBox as halfBoxOf,
} from '../src/core/scenes';

function refusal(prompt: string): ScenePromptError {
  try {
    parsePrompt(prompt);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenePromptError);
    return e as ScenePromptError;
  }
  throw new Error(`"${prompt}" was accepted`);
}

describe('scenes grammar', () => {
  it('reads every word of the vocabulary in some prompt, and the issue examples as they are meant', () => {
    expect(parsePrompt('two small yellow triangles at the top')).toEqual({ kind: 'group', object: { shape: 'triangle', size: 'small', colour: 'yellow' }, count: 2, place: 'at the top' });
    expect(parsePrompt('a red circle left of a blue square')).toEqual({ kind: 'relation', a: { shape: 'circle', colour: 'red' }, relation: 'left of', b: { shape: 'square', colour: 'blue' } });
    expect(parsePrompt('An orange square  ABOVE one large green circle')).toEqual({ kind: 'relation', a: { shape: 'square', colour: 'orange' }, relation: 'above', b: { shape: 'circle', colour: 'green', size: 'large' } });
    expect(parsePrompt('circles')).toEqual({ kind: 'group', object: { shape: 'circle' } });
    expect(parsePrompt('square in the middle')).toEqual({ kind: 'group', object: { shape: 'square' }, count: 1, place: 'in the middle' });
    expect(parsePrompt('three large purple squares on the right')).toMatchObject({ count: 3, place: 'on the right' });
    const used = new Set<string>();
    for (const count of ['a', 'an', 'one', 'two', 'three'])
      for (const size of SIZES)
        for (const colour of COLOURS)
          for (const shape of SHAPES)
            for (const place of PLACES) {
              const noun = count === 'two' || count === 'three' ? PLURALS[shape] : shape;
              const p = `${count} ${size} ${colour} ${noun} ${place}`;
              const spec = parsePrompt(p);
              expect(spec).toMatchObject({ kind: 'group', object: { shape, size, colour }, place });
              p.split(' ').forEach((w) => used.add(w));
            }
    'left of above'.split(' ').forEach((w) => used.add(w));
    expect(SCENE_VOCAB.filter((w) => w !== '<pad>' && !used.has(w))).toEqual([]);
  });

  it('writes a spec back as a prompt that reads to the same spec', () => {
    const rng = new Rng(3);
    for (let k = 0; k < 400; k++) {
      const { prompt, spec } = sampleCaption(rng);
      expect(parsePrompt(prompt)).toEqual(spec);
      expect(describeSpec(parsePrompt(prompt))).toBe(describeSpec(spec));
    }
  });

  it('refuses a bad prompt naming the first unknown word', () => {
    expect(refusal('a red circle next to a blue square').word).toBe('next');
    expect(refusal('a pink circle').word).toBe('pink');
    expect(refusal('two tiny pink circles').word).toBe('tiny');
    expect(refusal('a red circle.').word).toBe('circle.');
    expect(refusal('a red circle.').message).toContain('"circle."');
  });

  it('refuses known words out of place, naming the word (or none when the prompt ends early)', () => {
    expect(refusal('a red small circle').word).toBe('small');
    expect(refusal('two circle').word).toBe('circle');
    expect(refusal('a circles').word).toBe('circles');
    expect(refusal('a circle on the top').word).toBe('top');
    expect(refusal('a circle at the').word).toBe('');
    expect(refusal('a red').word).toBe('');
    expect(refusal('').word).toBe('');
    expect(refusal('a circle on the left above').word).toBe('above');
    expect(refusal('two circles left of a square').word).toBe('two');
    expect(refusal('a circle above squares').word).toBe('squares');
    expect(refusal('a circle left a square').word).toBe('a');
    expect(refusal('a circle a square').word).toBe('a');
  });
});

describe('scenes sampler and renderer', () => {
  it('a seeded training pair is deterministic (prompt, scene and pixels), and seeds differ', () => {
    const a = trainingPair(11);
    const b = trainingPair(11);
    expect(b.prompt).toBe(a.prompt);
    expect(b.scene).toEqual(a.scene);
    expect(Array.from(b.pixels)).toEqual(Array.from(a.pixels));
    expect(a.pixels.length).toBe(32 * 32 * 3);
    const prompts = new Set(Array.from({ length: 50 }, (_, s) => trainingPair(s).prompt));
    expect(prompts.size).toBeGreaterThan(40);
  });

  it.each(SCENE_LAYOUTS)('every scene satisfies its spec: counts, colours, sizes, places, relations, boxes apart and inside (layout %s)', (layout) => {
    const rng = new Rng(5);
    for (let k = 0; k < 2000; k++) {
      const { spec } = sampleCaption(rng);
      const scene = sampleScene(spec, rng, layout);
      checkScene(spec, scene);
    }
  });

  it('the slots layout puts objects where the prompt says, the same for every seed, and draws the place a prompt leaves open', () => {
    const centres = (prompt: string, seed: number) => sampleScene(parsePrompt(prompt), new Rng(seed), 'slots').objects.map((o) => [o.cx, o.cy]);
    for (const prompt of ['a large red circle on the left', 'three small blue squares at the top', 'two triangles in the middle', 'a red circle left of a blue square', 'a small green square above a large circle']) {
      const first = centres(prompt, 1);
      for (let seed = 2; seed < 12; seed++) expect(centres(prompt, seed)).toEqual(first);
    }
    expect(centres('a circle on the left', 3)).toEqual([[SLOT_SPOTS['on the left'].cx, SLOT_SPOTS['on the left'].cy]]);
    expect(centres('three squares at the bottom', 3)).toEqual([-1, 0, 1].map((k) => [0.5 + k * SLOT_STEP, SLOT_SPOTS['at the bottom'].cy]));
    expect(centres('two circles on the right', 3)).toEqual([-0.5, 0.5].map((k) => [SLOT_SPOTS['on the right'].cx, 0.5 + k * SLOT_STEP]));
    expect(centres('a circle above a square', 3)).toEqual([[0.5, 0.5 - SLOT_PAIR], [0.5, 0.5 + SLOT_PAIR]]);
    // no place named: one of the five spots, each drawn
    const seen = new Set(Array.from({ length: 200 }, (_, seed) => centres('a red circle', seed)[0]!.join()));
    expect(seen).toEqual(new Set(Object.values(SLOT_SPOTS).map((s) => [s.cx, s.cy].join())));
    // the layout changes where things go, not what a seed draws for the prompt's open words
    const spread = sampleScene(parsePrompt('two circles'), new Rng(9)).objects.map(({ shape, colour, size }) => ({ shape, colour, size }));
    const slots = sampleScene(parsePrompt('two circles'), new Rng(9), 'slots').objects.map(({ shape, colour, size }) => ({ shape, colour, size }));
    expect(slots).toEqual(spread);
  });

  it('training pairs of the slots layout: the same prompts as the spread world, seed for seed, their objects on slots', () => {
    const along = [0, -SLOT_STEP / 2, SLOT_STEP / 2, -SLOT_STEP, SLOT_STEP];
    const onSlot = (v: number) => along.some((d) => [0.5, SLOT_SPOTS['on the left'].cx, SLOT_SPOTS['on the right'].cx].some((c) => Math.abs(v - c - d) < 1e-9))
      || Math.abs(Math.abs(v - 0.5) - SLOT_PAIR) < 1e-9;
    for (let s = 0; s < 300; s++) {
      const p = trainingPair(s, 8, undefined, 'slots');
      expect(p.prompt).toBe(trainingPair(s, 8).prompt);
      expect(isHeldOutScene(p.scene)).toBe(false);
      for (const o of p.scene.objects) expect([onSlot(o.cx), onSlot(o.cy)]).toEqual([true, true]);
    }
  });

  it('the lattice layout: every object of every training pair on one of nine points, rows on the ends of their place\'s row, relations on the ends of the middle row or column', () => {
    const lattice = [0.5 - LATTICE_STEP, 0.5, 0.5 + LATTICE_STEP];
    const centres = (prompt: string, seed: number) => sampleScene(parsePrompt(prompt), new Rng(seed), 'lattice').objects.map((o) => [o.cx, o.cy]);
    const [lo, , hi] = lattice as [number, number, number];
    expect(centres('a circle on the left', 3)).toEqual([[LATTICE_SPOTS['on the left'].cx, 0.5]]);
    expect(centres('a circle at the top', 3)).toEqual([[0.5, lo]]);
    expect(centres('two squares at the bottom', 3)).toEqual([[lo, hi], [hi, hi]]);
    expect(centres('three squares on the right', 3)).toEqual([[hi, lo], [hi, 0.5], [hi, hi]]);
    expect(centres('two triangles in the middle', 3)).toEqual([[lo, 0.5], [hi, 0.5]]);
    expect(centres('a circle left of a square', 3)).toEqual([[lo, 0.5], [hi, 0.5]]);
    expect(centres('a circle above a square', 3)).toEqual([[0.5, lo], [0.5, hi]]);
    const points = new Set<string>();
    for (let s = 0; s < 300; s++) {
      const p = trainingPair(s, 8, undefined, 'lattice');
      expect(p.prompt).toBe(trainingPair(s, 8).prompt);
      for (const o of p.scene.objects) points.add([o.cx, o.cy].join());
    }
    expect(points).toEqual(new Set(lattice.flatMap((x) => lattice.map((y) => [x, y].join()))));
  });

  it('renders a flat colour over the background, edges mixed by coverage, the same geometry at 32 and 48 px', () => {
    const scene = sampleScene(parsePrompt('a large red square in the middle'), new Rng(1));
    for (const size of [32, 48]) {
      const px = renderScene(scene, size);
      expect(px.length).toBe(size * size * 3);
      // every pixel is background + a (red - background) for a coverage a in [0, 1]; the coverages sum to the area
      let mass = 0;
      let full = 0;
      for (let p = 0; p < size * size; p++) {
        const a = (px[p * 3]! - BACKGROUND[0]) / (COLOUR_RGB.red[0] - BACKGROUND[0]);
        for (let c = 0; c < 3; c++) expect(px[p * 3 + c]).toBeCloseTo(BACKGROUND[c]! + a * (COLOUR_RGB.red[c]! - BACKGROUND[c]!), 5);
        expect(a).toBeGreaterThanOrEqual(-1e-6);
        expect(a).toBeLessThanOrEqual(1 + 1e-6);
        mass += a;
        if (a > 0.999) full++;
      }
      // a square of side 1.8 x 0.14 = 0.252 of the image: 8.1 px at 32, 12.1 px at 48
      expect(Math.sqrt(mass) / size).toBeCloseTo(0.252, 2);
      expect(full).toBeGreaterThanOrEqual((Math.floor(0.252 * size) - 1) ** 2);
    }
  });
});

describe('scenes hold-out and evaluation sets', () => {
  it('names purple triangles and same-colour relations of different shapes as held out', () => {
    expect(isHeldOut(parsePrompt('a purple triangle'))).toBe(true);
    expect(isHeldOut(parsePrompt('three small purple triangles on the left'))).toBe(true);
    expect(isHeldOut(parsePrompt('a red circle left of a red square'))).toBe(true);
    expect(isHeldOut(parsePrompt('a red circle left of a red circle'))).toBe(false);
    expect(isHeldOut(parsePrompt('a red circle left of a square'))).toBe(false);
    expect(isHeldOut(parsePrompt('a purple square above a triangle'))).toBe(false);
    expect(isHeldOut(parsePrompt('triangles'))).toBe(false);
  });

  it('the training sampler never emits a held-out prompt or scene (5000 seeds), though the grammar has them', () => {
    let openColourPrompts = 0;
    for (let s = 0; s < 5000; s++) {
      const p = trainingPair(s, 8);
      expect(isHeldOut(p.spec)).toBe(false);
      expect(isHeldOutScene(p.scene)).toBe(false);
      if (p.spec.kind === 'group' && p.spec.object.shape === 'triangle' && !p.spec.object.colour) openColourPrompts++;
    }
    expect(openColourPrompts).toBeGreaterThan(50); // "a triangle" is trained on, just never drawn purple
    const rng = new Rng(1);
    const drawn = Array.from({ length: 2000 }, () => sampleScene(sampleCaption(rng).spec, rng));
    expect(drawn.some(isHeldOutScene)).toBe(true);
  });

  it('a training sampler narrowed to single objects draws only those, seeded, and still outside the hold-out', () => {
    expect(isSingleObject(parsePrompt('a red circle on the left'))).toBe(true);
    expect(isSingleObject(parsePrompt('one small square'))).toBe(true);
    expect(isSingleObject(parsePrompt('two red circles'))).toBe(false);
    expect(isSingleObject(parsePrompt('circles'))).toBe(false);
    expect(isSingleObject(parsePrompt('a red circle left of a blue square'))).toBe(false);
    const whole = Array.from({ length: 300 }, (_, s) => trainingPair(s, 8));
    expect(whole.some((p) => !isSingleObject(p.spec))).toBe(true);
    for (let s = 0; s < 300; s++) {
      const p = trainingPair(s, 8, isSingleObject);
      expect(isSingleObject(p.spec)).toBe(true);
      expect(p.scene.objects).toHaveLength(1);
      expect(isHeldOut(p.spec) || isHeldOutScene(p.scene)).toBe(false);
      expect(trainingPair(s, 8, isSingleObject)).toEqual(p);
    }
  });

  it('the evaluation sets parse, name every attribute, and sit on the right side of the hold-out', () => {
    for (const [name, prompts] of Object.entries(SCENE_EVAL_SETS)) {
      expect(new Set(prompts).size).toBe(prompts.length);
      for (const p of prompts) {
        const spec = parsePrompt(p);
        expect(isHeldOut(spec), `${name}: ${p}`).toBe(name === 'heldOut');
        if (name === 'seenSingles') expect(spec).toMatchObject({ kind: 'group', count: 1, object: { size: expect.any(String), colour: expect.any(String) }, place: expect.any(String) });
        if (name === 'seenMulti') expect(spec).toMatchObject({ kind: 'group', count: expect.any(Number), place: expect.any(String) });
        if (name === 'relations') expect(spec.kind).toBe('relation');
      }
    }
  });
});

describe('scenes tokenizer', () => {
  it('encodes words to fixed ids padded with 0, the empty prompt to all padding, and refuses unknown words', () => {
    expect(SCENE_VOCAB[0]).toBe('<pad>');
    expect(new Set(SCENE_VOCAB).size).toBe(SCENE_VOCAB.length);
    const ids = encodePrompt('a red circle left of a blue square', 12);
    expect(ids.length).toBe(12);
    expect(ids.slice(0, 8).map((i) => SCENE_VOCAB[i])).toEqual('a red circle left of a blue square'.split(' '));
    expect(ids.slice(8)).toEqual([0, 0, 0, 0]);
    expect(encodePrompt('', 4)).toEqual([0, 0, 0, 0]);
    expect(() => encodePrompt('a pink circle', 8)).toThrow(/"pink"/);
    expect(encodePrompt('a small red circle left of a large blue square', SCENE_MAX_WORDS).every((i) => i > 0)).toBe(true);
  });
});

/** Every rule layout.ts promises, checked on one scene. */
function checkScene(spec: SceneSpec, scene: ReturnType<typeof sampleScene>): void {
  const objs = scene.objects;
  for (const o of objs) {
    const [hw, hh] = halfBoxOf(o);
    expect(Math.min(o.cx - hw, o.cy - hh)).toBeGreaterThanOrEqual(0.02 - 1e-9);
    expect(Math.max(o.cx + hw, o.cy + hh)).toBeLessThanOrEqual(0.98 + 1e-9);
  }
  objs.forEach((a, i) => objs.forEach((b, j) => j > i && expect(apart(a, b)).toBe(true)));
  if (spec.kind === 'relation') {
    const [a, b] = objs as [(typeof objs)[0], (typeof objs)[0]];
    expect(a).toMatchObject(spec.a);
    expect(b).toMatchObject(spec.b);
    const [dx, dy] = [b.cx - a.cx, b.cy - a.cy];
    if (spec.relation === 'left of') expect(dx).toBeGreaterThan(Math.abs(dy));
    else expect(dy).toBeGreaterThan(Math.abs(dx));
    return;
  }
  if (spec.count) expect(objs.length).toBe(spec.count);
  else expect([2, 3]).toContain(objs.length);
  for (const o of objs) expect(o).toMatchObject(spec.object);
  if (spec.place === 'on the left') for (const o of objs) expect(o.cx).toBeLessThanOrEqual(0.38);
  if (spec.place === 'on the right') for (const o of objs) expect(o.cx).toBeGreaterThanOrEqual(0.62);
  if (spec.place === 'at the top') for (const o of objs) expect(o.cy).toBeLessThanOrEqual(0.38);
  if (spec.place === 'at the bottom') for (const o of objs) expect(o.cy).toBeGreaterThanOrEqual(0.62);
  if (spec.place === 'in the middle') {
    const boxes = objs.map((o) => [o, ...halfBoxOf(o)] as const);
    const x0 = Math.min(...boxes.map(([o, w]) => o.cx - w)), x1 = Math.max(...boxes.map(([o, w]) => o.cx + w));
    const y0 = Math.min(...boxes.map(([o, , h]) => o.cy - h)), y1 = Math.max(...boxes.map(([o, , h]) => o.cy + h));
    expect(Math.abs((x0 + x1) / 2 - 0.5)).toBeLessThanOrEqual(0.05 + 1e-9);
    expect(Math.abs((y0 + y1) / 2 - 0.5)).toBeLessThanOrEqual(0.05 + 1e-9);
  }
}
