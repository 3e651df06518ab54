/**
 * A weighted mix written as text: `name:weight,name:weight` (e.g. the image reward `fidelity:0.7,clip-score:0.3`),
 * each name one of the allowed ones and at most once, each weight a positive finite number. The canonical form
 * keeps the given order and writes each weight as JavaScript prints the number. Imports nothing: the config's
 * parser and the rewards both read mixes with it.
 */

export type MixResult = { ok: true; weights: Array<[string, number]>; canonical: string } | { ok: false; message: string };

const NUMBER_RE = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Whether a value is written as a mix (it has a name:weight part) rather than as one name. */
export function looksLikeMix(raw: string): boolean {
  return raw.includes(':');
}

/** A mix of `allowed` names; a bad part is named in the message. */
export function parseMix(raw: string, allowed: readonly string[]): MixResult {
  const weights: Array<[string, number]> = [];
  for (const part of raw.split(',')) {
    const p = part.trim();
    const at = p.indexOf(':');
    const name = (at < 0 ? p : p.slice(0, at)).trim();
    const w = at < 0 ? '' : p.slice(at + 1).trim();
    if (p === '') return { ok: false, message: 'a mix has an empty part (write name:weight,name:weight)' };
    if (!allowed.includes(name)) return { ok: false, message: `"${name}" in the mix is not one of ${allowed.join(', ')}` };
    if (at < 0 || !NUMBER_RE.test(w) || !(Number(w) > 0) || !Number.isFinite(Number(w))) {
      return { ok: false, message: `the weight of ${name} in the mix must be a positive number (got "${w}"; write ${name}:0.5)` };
    }
    if (weights.some(([n]) => n === name)) return { ok: false, message: `"${name}" appears twice in the mix` };
    weights.push([name, Number(w)]);
  }
  return { ok: true, weights, canonical: weights.map(([n, w]) => `${n}:${w}`).join(',') };
}
