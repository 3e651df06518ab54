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

/** The result of applying `op` to the problem's operands (the student's working may use another operation). */
export function resultWith(p: Problem, op: Op): bigint {
  return pythonResult(BigInt(p.a), op, BigInt(p.b));
}

/**
 * A worked answer: the student copies the problem out with the operation they are about to apply, then the result of
 * that operation: ` 12 + 7 = 19` after the prompt `12 + 7 =`. The working makes the student's habit visible; the
 * reward looks only at the final number.
 */
export function workedAnswer(p: Problem, usedOp: Op = p.op): string {
  return ` ${p.a} ${usedOp} ${p.b} = ${resultWith(p, usedOp)}`;
}

/** A worked line (prompt and answer) with the right operation: `12 + 7 = 12 + 7 = 19`. */
export function solvedText(p: Problem): string {
  return problemText(p) + workedAnswer(p);
}

/**
 * Share of the pre-training corpus where the student copies the wrong operation into the working (and so answers
 * wrongly). The corpus is a sloppy student's worksheet: the student mixes up the operation (adds when asked to
 * subtract, `%` when asked for `//`, ...). One systematic mistake, the same for every problem, so the base model
 * learns it as a habit it can unlearn: it is right sometimes and wrong often, and RAFT (keeping only verified
 * answers) can teach it to copy the operation carefully, also on problems it never trained on.
 */
export const MISTAKE_RATE = 0.65;

/** The operation the student uses by mistake for each operation. */
export const MIXED_UP: Record<Op, Op> = { '+': '-', '-': '+', '*': '+', '//': '%', '%': '//' };

/** The student's wrong answers to a problem (the mixed-up operation). */
export function typicalMistakes(p: Problem): bigint[] {
  return [resultWith(p, MIXED_UP[p.op])];
}

/** The operation the student applies in one line of the corpus: right with probability 1 - MISTAKE_RATE. */
export function corpusOp(p: Problem, rng: Rng): Op {
  return rng.float() >= MISTAKE_RATE ? p.op : MIXED_UP[p.op];
}

/** A line of the corpus as written by the sloppy student (see MISTAKE_RATE). */
export function corpusLine(p: Problem, rng: Rng): string {
  return problemText(p) + workedAnswer(p, corpusOp(p, rng));
}

/** Split a worked line into the prompt (`a op b =`) and the completion (working and answer). */
export function splitLine(line: string): { prompt: string; completion: string } {
  const at = line.indexOf('=');
  return { prompt: line.slice(0, at + 1), completion: line.slice(at + 1) };
}

/**
 * Parse a completion: an optional working `a op b =` and then one integer, nothing else. Returns null when the
 * completion does not have that shape.
 */
export function parseAnswer(completion: string): { working: string | null; answer: string } | null {
  const m = /^\s*(?:(-?\d+\s*(?:\+|-|\*|\/\/|%)\s*-?\d+)\s*=\s*)?(-?\d+)\s*$/.exec(completion);
  if (!m) return null;
  return { working: m[1] ? m[1].replace(/\s+/g, ' ') : null, answer: m[2]! };
}
