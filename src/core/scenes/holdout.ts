/**
 * The hold-out rule of the scenes world: combinations kept out of pre-training so that alignment has room to grow.
 * - every purple triangle (alone, in a group, or in a relation);
 * - every relation between two different shapes of the same colour ("a red circle left of a red square").
 * isHeldOut reads a prompt's spec (what it names); isHeldOutScene reads what a scene drew (open colours resolved).
 */
import type { ObjectSpec, SceneSpec } from './grammar';
import type { Scene } from './layout';

function purpleTriangle(o: { shape: string; colour?: string | undefined }): boolean {
  return o.shape === 'triangle' && o.colour === 'purple';
}

function sameColourPair(a: ObjectSpec | Scene['objects'][number], b: ObjectSpec | Scene['objects'][number]): boolean {
  return a.colour !== undefined && a.colour === b.colour && a.shape !== b.shape;
}

/** True when the prompt names a held-out combination. */
export function isHeldOut(spec: SceneSpec): boolean {
  if (spec.kind === 'group') return purpleTriangle(spec.object);
  return purpleTriangle(spec.a) || purpleTriangle(spec.b) || sameColourPair(spec.a, spec.b);
}

/** True when a drawn scene shows a held-out combination (the training sampler never emits one). */
export function isHeldOutScene(scene: Scene): boolean {
  if (scene.objects.some(purpleTriangle)) return true;
  return scene.relation !== undefined && sameColourPair(scene.objects[0]!, scene.objects[1]!);
}
