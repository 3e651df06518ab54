/**
 * Arithmetic problems `a op b =` and their answers with Python's integer semantics (floor division and a modulo
 * with the divisor's sign), computed exactly with BigInt. Answers are computed when a sample is scored, never stored.
 */
import type { Rng } from '../../rng';

export const OPS = ['+', '-', '*', '//', '%'] as const;
export type Op = (typeof OPS)[number];

export interface Problem {
  a: number;
  op: Op;
  b: number;
}

/**
 * Operand ranges per operator: sums, differences and products of 0..12, small divisions. About a thousand problems:
 * few enough that the base model learns every one of them from the (sloppy) worksheet.
 */
const RANGES: Record<Op, { a: [number, number]; b: [number, number]; weight: number }> = {
  '+': { a: [0, 12], b: [0, 12], weight: 3 },
  '-': { a: [0, 12], b: [0, 12], weight: 3 },
  '*': { a: [0, 12], b: [0, 12], weight: 3 },
  '//': { a: [0, 30], b: [1, 9], weight: 1 },
  '%': { a: [0, 30], b: [1, 9], weight: 1 },
};

export function problemText(p: Problem): string {
  return `${p.a} ${p.op} ${p.b} =`;
}

/** Python's result of `a op b` for integers. Throws on division by zero, like Python. */
export function pythonResult(a: bigint, op: Op, b: bigint): bigint {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '//':
    case '%': {
      if (b === 0n) throw new Error('ZeroDivisionError: integer division or modulo by zero');
      let q = a / b; // truncates toward zero
      if ((a % b !== 0n) && ((a < 0n) !== (b < 0n))) q -= 1n; // floor
      return op === '//' ? q : a - q * b;
    }
  }
}

/** Parse a problem from its text (`12 + 7 =`), or null. */
export function parseProblem(text: string): Problem | null {
  const m = /^\s*(-?\d+)\s*(\+|-|\*|\/\/|%)\s*(-?\d+)\s*=\s*$/.exec(text);
  if (!m) return null;
  return { a: Number(m[1]), op: m[2] as Op, b: Number(m[3]) };
}

export function randomProblem(rng: Rng): Problem {
  const total = OPS.reduce((n, op) => n + RANGES[op].weight, 0);
  let u = rng.float() * total;
  let op: Op = '+';
  for (const o of OPS) {
    u -= RANGES[o].weight;
    if (u < 0) {
      op = o;
      break;
    }
  }
  const r = RANGES[op];
  const pick = ([lo, hi]: [number, number]) => lo + rng.int(hi - lo + 1);
  return { a: pick(r.a), op, b: pick(r.b) };
}

/** A worked line of the corpus: `12 + 7 = 19`. */
export function solvedText(p: Problem): string {
  return `${problemText(p)} ${pythonResult(BigInt(p.a), p.op, BigInt(p.b))}`;
}

/**
 * Share of the pre-training corpus whose answer is the student's typical mistake instead of the right one. The
 * corpus is a sloppy student's worksheet: the student mixes up the operation (adds when asked to subtract, divides
 * when asked for the remainder, ...). One systematic mistake, the same for every problem, so the base model learns
 * it as a habit it can unlearn: it is right sometimes and wrong often, and RAFT (keeping only verified answers) can
 * teach it to be the careful one, also on problems it never trained on.
 */
export const MISTAKE_RATE = 0.5;

/** The operation the student uses by mistake for each operation. */
const MIXED_UP: Record<Op, Op> = { '+': '-', '-': '+', '*': '+', '//': '%', '%': '//' };

/** The student's wrong answers to a problem (the mixed-up operation). */
export function typicalMistakes(p: Problem): bigint[] {
  return [pythonResult(BigInt(p.a), MIXED_UP[p.op], BigInt(p.b))];
}

/** The answer a line of the corpus gives: right with probability 1 - MISTAKE_RATE, else one typical mistake. */
export function corpusAnswer(p: Problem, rng: Rng): bigint {
  const right = pythonResult(BigInt(p.a), p.op, BigInt(p.b));
  if (rng.float() >= MISTAKE_RATE) return right;
  return rng.pick(typicalMistakes(p));
}

/** A line of the corpus as written by the sloppy student (see MISTAKE_RATE). */
export function corpusLine(p: Problem, rng: Rng): string {
  return `${problemText(p)} ${corpusAnswer(p, rng)}`;
}
