// The fidelity reward of the scenes world: the detector on the world's own images (ground truth), graded
// answers to wrong prompts, and noise and blank images.
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/core/rng';
import {
  detectObjects, fidelity, parsePrompt, renderScene, sampleCaption, sampleScene, SCENE_LAYOUTS, type Scene,
} from '../src/core/scenes';
import { blur3 } from '../src/core/scenes/blur';
import { evalScore } from '../src/core/diffusion/dit/eval-items';

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function scene(prompt: string, seed = 1): Scene {
  return sampleScene(parsePrompt(prompt), new Rng(seed));
}

describe('scenes detector', () => {
  it.each([32, 48])('reads every object of 600 random scenes at %i px: count, shape, colour, size', (size) => {
    const rng = new Rng(7);
    let objects = 0;
    for (let k = 0; k < 600; k++) {
      const s = sampleScene(sampleCaption(rng).spec, rng);
      const found = detectObjects(renderScene(s, size));
      expect(found.length).toBe(s.objects.length);
      for (const o of s.objects) {
        const d = found.reduce((a, b) => (Math.hypot(a.cx - o.cx, a.cy - o.cy) < Math.hypot(b.cx - o.cx, b.cy - o.cy) ? a : b));
        expect({ shape: d.shape, colour: d.colour, size: d.size }).toEqual({ shape: o.shape, colour: o.colour, size: o.size });
        expect(Math.hypot(d.cx - o.cx, d.cy - o.cy)).toBeLessThan(0.5 / size);
        objects++;
      }
    }
    expect(objects).toBeGreaterThan(1000);
  });
});

describe('fidelity reward', () => {
  it.each(SCENE_LAYOUTS.flatMap((layout) => [32, 48].map((size) => [size, layout] as const)))('reads >= 0.98 on single objects and >= 0.95 on two or three, on the world\'s own images at %i px (layout %s)', (size, layout) => {
    const rng = new Rng(42);
    const single: number[] = [];
    const multi: number[] = [];
    for (let k = 0; k < 1000; k++) {
      const { spec } = sampleCaption(rng);
      const s = sampleScene(spec, rng, layout);
      (s.objects.length === 1 ? single : multi).push(fidelity(renderScene(s, size), spec).reward);
    }
    expect(single.length).toBeGreaterThan(300);
    expect(multi.length).toBeGreaterThan(500);
    expect(mean(single)).toBeGreaterThanOrEqual(0.98);
    expect(mean(multi)).toBeGreaterThanOrEqual(0.95);
  });

  it('evalScore averages each part of the breakdown over the images that have it (eval-scenes --breakdown)', () => {
    const px = renderScene(scene('a large red circle on the left'));
    // two images a prompt: the right image twice for the first prompt; for the second (no place, no size in its
    // breakdown) the same image, which has the wrong colour
    const r = evalScore([px, px, px, px], ['a large red circle on the left', 'a blue circle'], 2);
    expect(r.count).toBe(4);
    expect(r.pass).toBe(0.5);
    expect(r.breakdown).toEqual({ count: 1, shape: 1, colour: 0.5, size: 1, place: 1, objects: 1 });
    expect(r.mean).toBeCloseTo((1 + 1 + 2 * fidelity(px, parsePrompt('a blue circle')).reward) / 4, 6);
  });

  it('gives partial credit per attribute to an image of another prompt', () => {
    const px = renderScene(scene('a large red circle on the left'));
    expect(fidelity(px, parsePrompt('a large red circle on the left'))).toEqual({ reward: 1, breakdown: { count: 1, shape: 1, colour: 1, size: 1, place: 1, objects: 1 } });
    const wrong = fidelity(px, parsePrompt('a large blue square on the right'));
    expect(wrong.breakdown).toEqual({ count: 1, shape: 0, colour: 0, size: 1, place: 0, objects: 1 });
    expect(wrong.reward).toBeCloseTo(0.4, 6);
    expect(fidelity(px, parsePrompt('two circles')).breakdown).toEqual({ count: 0.5, shape: 1, objects: 1 });
    expect(fidelity(px, parsePrompt('three circles')).breakdown).toMatchObject({ count: 0 });
    expect(fidelity(px, parsePrompt('circles')).breakdown).toMatchObject({ count: 0.5 });
  });

  it('scores a relation by which object is where: reversed it loses the relation, not the objects', () => {
    const s = scene('a red circle left of a blue square', 3);
    const px = renderScene(s);
    expect(fidelity(px, parsePrompt('a red circle left of a blue square')).reward).toBe(1);
    const reversed = fidelity(px, parsePrompt('a blue square left of a red circle'));
    expect(reversed.breakdown).toEqual({ count: 1, shape: 1, colour: 1, relation: 0, objects: 2 });
    expect(fidelity(px, parsePrompt('a red circle above a blue square')).breakdown).toMatchObject({ relation: expect.any(Number) });
    expect((fidelity(px, parsePrompt('a red circle above a blue square')).breakdown as { relation: number }).relation).toBeLessThan(1);
    const swappedColours = fidelity(px, parsePrompt('a blue circle left of a red square'));
    expect(swappedColours.breakdown).toMatchObject({ shape: 1, relation: 1 });
    expect(swappedColours.reward).toBeLessThan(0.9);
  });

  it('reads a group "in the middle" from the group\'s box, and a side place per object', () => {
    const px = renderScene(scene('three small green circles in the middle', 2));
    expect(fidelity(px, parsePrompt('three small green circles in the middle')).reward).toBe(1);
    expect(fidelity(px, parsePrompt('three small green circles at the top')).breakdown).toMatchObject({ place: expect.any(Number) });
    const left = renderScene(scene('two large yellow squares on the left', 4));
    expect((fidelity(left, parsePrompt('two large yellow squares on the right')).breakdown as { place: number }).place).toBe(0);
  });

  it.each([32, 48])('reads noise and blank images low at %i px', (size) => {
    const rng = new Rng(1);
    const scores: number[] = [];
    for (let k = 0; k < 60; k++) {
      const { spec } = sampleCaption(rng);
      const uniform = Float32Array.from({ length: size * size * 3 }, () => rng.float());
      const gauss = Float32Array.from({ length: size * size * 3 }, () => Math.min(1, Math.max(0, 0.5 + 0.3 * rng.normal())));
      // sparse bright specks on the world's background
      const specks = renderScene({ objects: [] }, size).map((v) => (rng.chance(0.05) ? rng.float() : v));
      scores.push(fidelity(uniform, spec).reward, fidelity(gauss, spec).reward, fidelity(specks, spec).reward);
    }
    expect(Math.max(...scores)).toBeLessThan(0.2);
    for (const v of [0, 0.1, 0.5, 1]) expect(fidelity(new Float32Array(size * size * 3).fill(v), parsePrompt('a red circle')).reward).toBe(0);
    expect(fidelity(renderScene({ objects: [] }, size), parsePrompt('a red circle left of a blue square')).reward).toBe(0);
  });

  it('a softened image (a 3x3 blur) keeps most of its fidelity: the reward is graduated, not all-or-nothing', () => {
    const rng = new Rng(9);
    const rewards: number[] = [];
    for (let k = 0; k < 100; k++) {
      const { spec } = sampleCaption(rng);
      rewards.push(fidelity(blur3(renderScene(sampleScene(spec, rng), 32)), spec).reward);
    }
    expect(mean(rewards)).toBeGreaterThan(0.7);
    expect(mean(rewards)).toBeLessThan(1);
  });
});
