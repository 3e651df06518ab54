/**
 * Problems of the `c-programs` task: a C comment says what to print, the program starts with
 * `#include <stdio.h>` and `int main(void) {`, and the model writes the body. Each family of problems has a
 * comment template (parsed back into the problem when a sample is scored), the expected standard output computed
 * here from the parameters (never stored), and reference solutions in a few styles (for / while loops, printf /
 * putchar / puts, closed formulas, with or without `return 0;`) for the pre-training corpus.
 *
 * Programs are kept short on purpose: the embedded model has a small context, and pre-training cost grows with
 * length. A body is 1-6 lines indented by one space (which costs no extra token with the GPT-2 pre-tokenizer).
 */
import type { Rng } from '../../rng';

export interface Problem {
  family: FamilyId;
  /** The family's parameters, in the order its comment mentions them. */
  args: number[];
}

interface Family {
  /** Inclusive ranges of each parameter; `valid` filters combinations. */
  ranges: Array<[number, number]>;
  valid?: (a: number[]) => boolean;
  comment: (a: number[]) => string;
  /** Lines of the expected standard output. */
  output: (a: number[]) => string[];
  /** Reference bodies (the lines between `{` and `}`), one per solution style. */
  solutions: (a: number[]) => string[];
}

const range = (from: number, to: number, step = 1): number[] => {
  const out: number[] = [];
  for (let i = from; step > 0 ? i <= to : i >= to; i += step) out.push(i);
  return out;
};
const stars = (n: number) => '*'.repeat(n);
const line = (xs: number[]) => xs.join(' ');

/** `printf("fmt", expr);` */
const P = (fmt: string, expr: string) => `printf("${fmt}", ${expr});`;

const FAMILIES = {
  sum: {
    ranges: [[2, 40]],
    comment: ([n]) => `print the sum of 1 to ${n}`,
    output: ([n]) => [String((n! * (n! + 1)) / 2)],
    solutions: ([n]) => [
      ` int s = 0;\n for (int i = 1; i <= ${n}; i++) s += i;\n ${P('%d\\n', 's')}`,
      ` int s = 0, i = 1;\n while (i <= ${n}) s += i++;\n ${P('%d\\n', 's')}`,
      ` ${P('%d\\n', `${n} * ${n! + 1} / 2`)}`,
    ],
  },
  sumsq: {
    ranges: [[2, 20]],
    comment: ([n]) => `print the sum of the squares of 1 to ${n}`,
    output: ([n]) => [String(range(1, n!).reduce((s, i) => s + i * i, 0))],
    solutions: ([n]) => [
      ` int s = 0;\n for (int i = 1; i <= ${n}; i++) s += i * i;\n ${P('%d\\n', 's')}`,
      ` int s = 0, i = 1;\n while (i <= ${n}) {\n  s += i * i;\n  i++;\n }\n ${P('%d\\n', 's')}`,
    ],
  },
  fact: {
    ranges: [[2, 10]],
    comment: ([n]) => `print ${n} factorial`,
    output: ([n]) => [String(range(1, n!).reduce((p, i) => p * i, 1))],
    solutions: ([n]) => [
      ` int f = 1;\n for (int i = 2; i <= ${n}; i++) f *= i;\n ${P('%d\\n', 'f')}`,
      ` int f = 1, i = ${n};\n while (i > 1) f *= i--;\n ${P('%d\\n', 'f')}`,
    ],
  },
  count: {
    ranges: [[0, 10], [2, 20]],
    valid: ([a, b]) => b! - a! >= 2 && b! - a! <= 10,
    comment: ([a, b]) => `print ${a} to ${b}, one per line`,
    output: ([a, b]) => range(a!, b!).map(String),
    solutions: ([a, b]) => [
      ` for (int i = ${a}; i <= ${b}; i++) ${P('%d\\n', 'i')}`,
      ` int i = ${a};\n while (i <= ${b}) ${P('%d\\n', 'i++')}`,
    ],
  },
  down: {
    ranges: [[3, 12], [0, 2]],
    comment: ([a, b]) => `count down from ${a} to ${b}, one per line`,
    output: ([a, b]) => range(a!, b!, -1).map(String),
    solutions: ([a, b]) => [
      ` for (int i = ${a}; i >= ${b}; i--) ${P('%d\\n', 'i')}`,
      ` int i = ${a};\n while (i >= ${b}) ${P('%d\\n', 'i--')}`,
    ],
  },
  squares: {
    ranges: [[2, 12]],
    comment: ([n]) => `print the squares of 1 to ${n}, one per line`,
    output: ([n]) => range(1, n!).map((i) => String(i * i)),
    solutions: ([n]) => [
      ` for (int i = 1; i <= ${n}; i++) ${P('%d\\n', 'i * i')}`,
      ` int i = 1;\n while (i <= ${n}) {\n  ${P('%d\\n', 'i * i')}\n  i++;\n }`,
    ],
  },
  mult: {
    ranges: [[2, 12], [3, 10]],
    comment: ([n, m]) => `print the first ${m} multiples of ${n} on one line`,
    output: ([n, m]) => [line(range(1, m!).map((i) => i * n!))],
    solutions: ([n, m]) => [
      ` for (int i = 1; i <= ${m}; i++) ${P('%d ', `${n} * i`)}\n printf("\\n");`,
      ` int i = ${n};\n while (i <= ${n! * m!}) {\n  ${P('%d ', 'i')}\n  i += ${n};\n }\n printf("\\n");`,
    ],
  },
  evens: {
    ranges: [[4, 24]],
    comment: ([n]) => `print the even numbers from 2 to ${n} on one line`,
    output: ([n]) => [line(range(2, n!, 2))],
    solutions: ([n]) => [
      ` for (int i = 2; i <= ${n}; i += 2) ${P('%d ', 'i')}\n printf("\\n");`,
      ` for (int i = 1; i <= ${n}; i++)\n  if (i % 2 == 0) ${P('%d ', 'i')}\n printf("\\n");`,
    ],
  },
  odds: {
    ranges: [[4, 24]],
    comment: ([n]) => `print the odd numbers below ${n} on one line`,
    output: ([n]) => [line(range(1, n! - 1, 2))],
    solutions: ([n]) => [
      ` for (int i = 1; i < ${n}; i += 2) ${P('%d ', 'i')}\n printf("\\n");`,
      ` for (int i = 0; i < ${n}; i++)\n  if (i % 2 == 1) ${P('%d ', 'i')}\n printf("\\n");`,
    ],
  },
  line: {
    ranges: [[2, 16]],
    comment: ([n]) => `print a line of ${n} stars`,
    output: ([n]) => [stars(n!)],
    solutions: ([n]) => [
      ` for (int i = 0; i < ${n}; i++) printf("*");\n printf("\\n");`,
      ` for (int i = 0; i < ${n}; i++) putchar('*');\n putchar('\\n');`,
      ` puts("${stars(n!)}");`,
    ],
  },
  tri: {
    ranges: [[2, 8]],
    comment: ([n]) => `print a triangle of stars with ${n} rows`,
    output: ([n]) => range(1, n!).map(stars),
    solutions: ([n]) => [
      ` for (int i = 1; i <= ${n}; i++) {\n  for (int j = 0; j < i; j++) printf("*");\n  printf("\\n");\n }`,
      ` for (int i = 1; i <= ${n}; i++) {\n  for (int j = 0; j < i; j++) putchar('*');\n  putchar('\\n');\n }`,
    ],
  },
  rect: {
    ranges: [[2, 6], [2, 9]],
    comment: ([r, c]) => `print ${r} rows of ${c} stars`,
    output: ([r, c]) => range(1, r!).map(() => stars(c!)),
    solutions: ([r, c]) => [
      ` for (int i = 0; i < ${r}; i++) {\n  for (int j = 0; j < ${c}; j++) printf("*");\n  printf("\\n");\n }`,
      ` for (int i = 0; i < ${r}; i++) puts("${stars(c!)}");`,
    ],
  },
  pow2: {
    ranges: [[2, 10]],
    comment: ([n]) => `print the powers of 2 up to ${2 ** n!} on one line`,
    output: ([n]) => [line(range(0, n!).map((i) => 2 ** i))],
    solutions: ([n]) => [
      ` for (int p = 1; p <= ${2 ** n!}; p *= 2) ${P('%d ', 'p')}\n printf("\\n");`,
      ` int p = 1;\n while (p <= ${2 ** n!}) {\n  ${P('%d ', 'p')}\n  p *= 2;\n }\n printf("\\n");`,
    ],
  },
  times: {
    ranges: [[2, 60], [2, 60]],
    comment: ([a, b]) => `print ${a} times ${b}`,
    output: ([a, b]) => [String(a! * b!)],
    solutions: ([a, b]) => [` ${P('%d\\n', `${a} * ${b}`)}`, ` int x = ${a} * ${b};\n ${P('%d\\n', 'x')}`],
  },
  plus: {
    ranges: [[2, 99], [2, 99]],
    comment: ([a, b]) => `print ${a} plus ${b}`,
    output: ([a, b]) => [String(a! + b!)],
    solutions: ([a, b]) => [` ${P('%d\\n', `${a} + ${b}`)}`, ` int x = ${a} + ${b};\n ${P('%d\\n', 'x')}`],
  },
} satisfies Record<string, Family>;

export type FamilyId = keyof typeof FAMILIES;
export const FAMILY_IDS = Object.keys(FAMILIES) as FamilyId[];
const family = (id: FamilyId): Family => FAMILIES[id];

/** The line before the comment and after it: the program's fixed start. */
export const PROGRAM_HEAD = '#include <stdio.h>\nint main(void) {';

export function problemKey(p: Problem): string {
  return `${p.family}:${p.args.join(',')}`;
}

/** The prompt: the comment, then the start of the program (the model writes the body and the closing brace). */
export function promptText(p: Problem): string {
  return `/* ${family(p.family).comment(p.args)} */\n${PROGRAM_HEAD}`;
}

/** Expected standard output (lines joined with `\n`, with a final newline). */
export function expectedStdout(p: Problem): string {
  return family(p.family).output(p.args).join('\n') + '\n';
}

/** Number of solution styles of a problem. */
export function styleCount(p: Problem): number {
  return family(p.family).solutions(p.args).length;
}

/**
 * A reference completion (what follows the prompt): `\n` + body + `\n}`. `style` picks the solution style
 * (modulo the family's count); `withReturn` adds `return 0;` before the closing brace.
 */
export function referenceCompletion(p: Problem, style = 0, withReturn = false): string {
  const bodies = family(p.family).solutions(p.args);
  const body = bodies[((style % bodies.length) + bodies.length) % bodies.length]!;
  return `\n${body}${withReturn ? '\n return 0;' : ''}\n}`;
}

/** Every problem of a family (the ranges are small). */
export function allProblems(id: FamilyId): Problem[] {
  const f = family(id);
  let combos: number[][] = [[]];
  for (const [lo, hi] of f.ranges) combos = combos.flatMap((c) => range(lo, hi).map((x) => [...c, x]));
  return combos.filter((a) => f.valid?.(a) ?? true).map((args) => ({ family: id, args }));
}

/** A random problem: a family uniformly, then uniform parameters among the valid ones. */
export function randomProblem(rng: Rng): Problem {
  const id = rng.pick(FAMILY_IDS);
  const f = family(id);
  for (;;) {
    const args = f.ranges.map(([lo, hi]) => lo + rng.int(hi - lo + 1));
    if (f.valid?.(args) ?? true) return { family: id, args };
  }
}

let byComment: Map<string, Problem> | null = null;

/** The problem a prompt states (its comment looked up among all problems), or null when it is not one of ours. */
export function parsePrompt(prompt: string): Problem | null {
  const m = /^\/\* (.*) \*\/\n/.exec(prompt);
  if (!m || prompt !== `${m[0]}${PROGRAM_HEAD}`) return null;
  if (!byComment) {
    byComment = new Map();
    for (const id of FAMILY_IDS) for (const p of allProblems(id)) byComment.set(family(id).comment(p.args), p);
  }
  return byComment.get(m[1]!) ?? null;
}
