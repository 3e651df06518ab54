/**
 * Small Python function problems for the `python-functions` task. A problem is a function header with a one-line
 * docstring (the prompt, ending at the closing `"""`); the model writes the body. Each problem belongs to a family
 * (add a constant, max of two, sum of a list, reverse a string, ...) and is identified by its family, function name,
 * argument names and constant `k`. The asserts are made by this module from the problem: inputs are drawn from a
 * generator seeded by the prompt text, expected values are computed here with Python semantics (floor division and
 * modulo, `%` of negatives, `repr` of values), so the asserts of a prompt never change.
 *
 * The prompt ends right after the docstring's closing quotes so that the prompt/completion boundary is also a
 * pre-tokenizer boundary (the GPT-2 split never merges `."""` with the newline that starts the body): the tokens of
 * a prompt are the same whether it is encoded alone (RAFT) or as the start of a pre-training document.
 */
import { Rng } from '../../rng';

/** The values problems take and return: Python ints, bools, strs (lowercase letters) and lists of ints. */
export type PyValue = number | boolean | string | number[];

export interface Problem {
  family: string;
  name: string;
  args: string[];
  /** The family's constant (0 when the family has none). */
  k: number;
}

interface Family {
  id: string;
  /** Range of the constant, inclusive; absent = no constant. */
  k?: [number, number];
  names: (k: number) => string[];
  argSets: string[][];
  doc: (a: string[], k: number) => string;
  /** Reference bodies in a few styles (lines without the leading 4-space indent; nested lines add their own). */
  bodies: (a: string[], k: number) => string[];
  /** One input tuple. */
  input: (rng: Rng, k: number) => PyValue[];
  /** Python's result for an input tuple. */
  expected: (x: PyValue[], k: number) => PyValue;
}

const WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const int = (rng: Rng, lo: number, hi: number) => lo + rng.int(hi - lo + 1);
const smallInt = (rng: Rng) => int(rng, -20, 20);
const intList = (rng: Rng, lo = -9, hi = 9, minLen = 1) => Array.from({ length: int(rng, minLen, 6) }, () => int(rng, lo, hi));
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const word = (rng: Rng, minLen = 1) => Array.from({ length: int(rng, minLen, 6) }, () => rng.pick([...LETTERS])).join('');
const n = (x: PyValue | undefined) => x as number;
const s = (x: PyValue | undefined) => x as string;
const l = (x: PyValue | undefined) => x as number[];
/** Python's `a // b` and `a % b` for integers (b != 0). */
export const floorDiv = (a: number, b: number) => Math.floor(a / b);
export const pyMod = (a: number, b: number) => a - b * Math.floor(a / b);

const ONE_INT = [['x'], ['n'], ['value'], ['num']];
const TWO_INTS = [['a', 'b'], ['x', 'y'], ['m', 'n'], ['p', 'q']];
const ONE_LIST = [['xs'], ['nums'], ['items'], ['values']];
const ONE_STR = [['s'], ['text'], ['word'], ['name']];

const FAMILIES: Family[] = [
  {
    id: 'add-k', k: [1, 9],
    names: (k) => [`add_${k}`, `plus_${k}`, `add_${WORDS[k]}`, 'increase', 'bump', 'shift_up'],
    argSets: ONE_INT,
    doc: ([a], k) => `Return ${a} plus ${k}.`,
    bodies: ([a], k) => [`return ${a} + ${k}`, `result = ${a} + ${k}\nreturn result`, `return ${k} + ${a}`],
    input: (r) => [smallInt(r)],
    expected: ([x], k) => n(x) + k,
  },
  {
    id: 'sub-k', k: [1, 9],
    names: (k) => [`minus_${k}`, `subtract_${k}`, `sub_${WORDS[k]}`, 'decrease', 'lower', 'shift_down'],
    argSets: ONE_INT,
    doc: ([a], k) => `Return ${a} minus ${k}.`,
    bodies: ([a], k) => [`return ${a} - ${k}`, `result = ${a} - ${k}\nreturn result`],
    input: (r) => [smallInt(r)],
    expected: ([x], k) => n(x) - k,
  },
  {
    id: 'mul-k', k: [2, 9],
    names: (k) => [`times_${k}`, `multiply_by_${k}`, `times_${WORDS[k]}`, 'scale', 'grow'],
    argSets: ONE_INT,
    doc: ([a], k) => `Return ${a} times ${k}.`,
    bodies: ([a], k) => [`return ${a} * ${k}`, `return ${k} * ${a}`],
    input: (r) => [smallInt(r)],
    expected: ([x], k) => n(x) * k,
  },
  {
    id: 'floordiv-k', k: [2, 9],
    names: (k) => [`div_${k}`, `floor_div_${k}`, `divide_by_${WORDS[k]}`, 'shrink'],
    argSets: ONE_INT,
    doc: ([a], k) => `Return ${a} divided by ${k}, rounded down.`,
    bodies: ([a], k) => [`return ${a} // ${k}`],
    input: (r) => [int(r, -30, 30)],
    expected: ([x], k) => floorDiv(n(x), k),
  },
  {
    id: 'mod-k', k: [2, 9],
    names: (k) => [`mod_${k}`, `rem_${k}`, `remainder_${WORDS[k]}`, 'leftover'],
    argSets: ONE_INT,
    doc: ([a], k) => `Return the remainder of ${a} divided by ${k}.`,
    bodies: ([a], k) => [`return ${a} % ${k}`],
    input: (r) => [int(r, -30, 30)],
    expected: ([x], k) => pyMod(n(x), k),
  },
  {
    id: 'square',
    names: () => ['square', 'sq', 'squared', 'power_two', 'self_product'],
    argSets: ONE_INT,
    doc: ([a]) => `Return ${a} squared.`,
    bodies: ([a]) => [`return ${a} * ${a}`, `return ${a} ** 2`],
    input: (r) => [smallInt(r)],
    expected: ([x]) => n(x) * n(x),
  },
  {
    id: 'cube',
    names: () => ['cube', 'cubed', 'power_three', 'third_power'],
    argSets: ONE_INT,
    doc: ([a]) => `Return ${a} cubed.`,
    bodies: ([a]) => [`return ${a} ** 3`, `return ${a} * ${a} * ${a}`],
    input: (r) => [int(r, -9, 9)],
    expected: ([x]) => n(x) ** 3,
  },
  {
    id: 'abs',
    names: () => ['absolute', 'magnitude', 'abs_value', 'distance_from_zero', 'size_of'],
    argSets: ONE_INT,
    doc: ([a]) => `Return the absolute value of ${a}.`,
    bodies: ([a]) => [`return abs(${a})`, `return ${a} if ${a} >= 0 else -${a}`, `if ${a} < 0:\n    return -${a}\nreturn ${a}`],
    input: (r) => [smallInt(r)],
    expected: ([x]) => Math.abs(n(x)),
  },
  {
    id: 'negate',
    names: () => ['negate', 'flip_sign', 'opposite', 'invert'],
    argSets: ONE_INT,
    doc: ([a]) => `Return ${a} with its sign flipped.`,
    bodies: ([a]) => [`return -${a}`, `return 0 - ${a}`],
    input: (r) => [int(r, 1, 20) * (r.chance(0.5) ? -1 : 1)],
    expected: ([x]) => -n(x),
  },
  {
    id: 'max2',
    names: () => ['bigger', 'larger', 'max_of', 'maximum', 'pick_max'],
    argSets: TWO_INTS,
    doc: ([a, b]) => `Return the larger of ${a} and ${b}.`,
    bodies: ([a, b]) => [`return max(${a}, ${b})`, `return ${a} if ${a} > ${b} else ${b}`, `if ${a} > ${b}:\n    return ${a}\nreturn ${b}`],
    input: (r) => [smallInt(r), smallInt(r)],
    expected: ([x, y]) => Math.max(n(x), n(y)),
  },
  {
    id: 'min2',
    names: () => ['smaller', 'lesser', 'min_of', 'minimum', 'pick_min'],
    argSets: TWO_INTS,
    doc: ([a, b]) => `Return the smaller of ${a} and ${b}.`,
    bodies: ([a, b]) => [`return min(${a}, ${b})`, `return ${a} if ${a} < ${b} else ${b}`],
    input: (r) => [smallInt(r), smallInt(r)],
    expected: ([x, y]) => Math.min(n(x), n(y)),
  },
  {
    id: 'add2',
    names: () => ['add', 'sum_two', 'combine', 'total_of'],
    argSets: TWO_INTS,
    doc: ([a, b]) => `Return the sum of ${a} and ${b}.`,
    bodies: ([a, b]) => [`return ${a} + ${b}`, `return ${b} + ${a}`],
    input: (r) => [smallInt(r), smallInt(r)],
    expected: ([x, y]) => n(x) + n(y),
  },
  {
    id: 'mul2',
    names: () => ['product', 'multiply', 'times', 'mul'],
    argSets: TWO_INTS,
    doc: ([a, b]) => `Return the product of ${a} and ${b}.`,
    bodies: ([a, b]) => [`return ${a} * ${b}`],
    input: (r) => [int(r, -12, 12), int(r, -12, 12)],
    expected: ([x, y]) => n(x) * n(y),
  },
  {
    id: 'diff2',
    names: () => ['difference', 'subtract', 'minus', 'take_away'],
    argSets: TWO_INTS,
    doc: ([a, b]) => `Return ${a} minus ${b}.`,
    bodies: ([a, b]) => [`return ${a} - ${b}`],
    input: (r) => [smallInt(r), smallInt(r)],
    expected: ([x, y]) => n(x) - n(y),
  },
  {
    id: 'is-even',
    names: () => ['is_even', 'even', 'check_even', 'is_even_number'],
    argSets: ONE_INT,
    doc: ([a]) => `Return True if ${a} is even.`,
    bodies: ([a]) => [`return ${a} % 2 == 0`, `if ${a} % 2 == 0:\n    return True\nreturn False`],
    input: (r) => [smallInt(r)],
    expected: ([x]) => pyMod(n(x), 2) === 0,
  },
  {
    id: 'is-odd',
    names: () => ['is_odd', 'odd', 'check_odd', 'is_odd_number'],
    argSets: ONE_INT,
    doc: ([a]) => `Return True if ${a} is odd.`,
    bodies: ([a]) => [`return ${a} % 2 == 1`, `return ${a} % 2 != 0`],
    input: (r) => [smallInt(r)],
    expected: ([x]) => pyMod(n(x), 2) === 1,
  },
  {
    id: 'is-positive',
    names: () => ['is_positive', 'positive', 'above_zero', 'check_positive'],
    argSets: ONE_INT,
    doc: ([a]) => `Return True if ${a} is greater than zero.`,
    bodies: ([a]) => [`return ${a} > 0`],
    input: (r) => [smallInt(r)],
    expected: ([x]) => n(x) > 0,
  },
  {
    id: 'greater-k', k: [0, 9],
    names: (k) => [`above_${k}`, `over_${k}`, `greater_than_${k}`, `exceeds_${WORDS[k]}`],
    argSets: ONE_INT,
    doc: ([a], k) => `Return True if ${a} is greater than ${k}.`,
    bodies: ([a], k) => [`return ${a} > ${k}`, `return ${k} < ${a}`],
    input: (r, k) => [int(r, k - 6, k + 6)],
    expected: ([x], k) => n(x) > k,
  },
  {
    id: 'divisible-k', k: [2, 9],
    names: (k) => [`divisible_by_${k}`, `div_by_${k}`, `multiple_of_${k}`, `divides_${WORDS[k]}`],
    argSets: ONE_INT,
    doc: ([a], k) => `Return True if ${a} is divisible by ${k}.`,
    bodies: ([a], k) => [`return ${a} % ${k} == 0`],
    input: (r, k) => [r.chance(0.5) ? k * int(r, -5, 5) : smallInt(r)],
    expected: ([x], k) => pyMod(n(x), k) === 0,
  },
  {
    id: 'sum-list',
    names: () => ['total', 'sum_all', 'list_sum', 'add_all'],
    argSets: ONE_LIST,
    doc: ([a]) => `Return the sum of ${a}.`,
    bodies: ([a]) => [`return sum(${a})`, `total = 0\nfor v in ${a}:\n    total += v\nreturn total`],
    input: (r) => [intList(r, -9, 9, 0)],
    expected: ([x]) => l(x).reduce((u, v) => u + v, 0),
  },
  {
    id: 'max-list',
    names: () => ['largest', 'biggest', 'max_item', 'top'],
    argSets: ONE_LIST,
    doc: ([a]) => `Return the largest element of ${a}.`,
    bodies: ([a]) => [`return max(${a})`, `return sorted(${a})[-1]`],
    input: (r) => [intList(r)],
    expected: ([x]) => Math.max(...l(x)),
  },
  {
    id: 'min-list',
    names: () => ['smallest', 'least', 'min_item', 'bottom'],
    argSets: ONE_LIST,
    doc: ([a]) => `Return the smallest element of ${a}.`,
    bodies: ([a]) => [`return min(${a})`, `return sorted(${a})[0]`],
    input: (r) => [intList(r)],
    expected: ([x]) => Math.min(...l(x)),
  },
  {
    id: 'len-list',
    names: () => ['length', 'size', 'count_items', 'how_many'],
    argSets: ONE_LIST,
    doc: ([a]) => `Return the number of elements in ${a}.`,
    bodies: ([a]) => [`return len(${a})`],
    input: (r) => [intList(r, -9, 9, 0)],
    expected: ([x]) => l(x).length,
  },
  {
    id: 'first',
    names: () => ['first', 'head', 'first_item', 'front'],
    argSets: ONE_LIST,
    doc: ([a]) => `Return the first element of ${a}.`,
    bodies: ([a]) => [`return ${a}[0]`],
    input: (r) => [intList(r)],
    expected: ([x]) => l(x)[0]!,
  },
  {
    id: 'last',
    names: () => ['last', 'last_item', 'back', 'final'],
    argSets: ONE_LIST,
    doc: ([a]) => `Return the last element of ${a}.`,
    bodies: ([a]) => [`return ${a}[-1]`, `return ${a}[len(${a}) - 1]`],
    input: (r) => [intList(r)],
    expected: ([x]) => l(x)[l(x).length - 1]!,
  },
  {
    id: 'count',
    names: () => ['count_of', 'occurrences', 'tally', 'how_often'],
    argSets: [['xs', 'x'], ['items', 'item'], ['nums', 'n'], ['values', 'v']],
    doc: ([a, b]) => `Return how many times ${b} occurs in ${a}.`,
    bodies: ([a, b]) => [`return ${a}.count(${b})`, `return sum(1 for e in ${a} if e == ${b})`],
    input: (r) => [intList(r, 0, 3, 0), int(r, 0, 3)],
    expected: ([x, y]) => l(x).filter((v) => v === n(y)).length,
  },
  {
    id: 'contains',
    names: () => ['has', 'contains', 'includes', 'member'],
    argSets: [['xs', 'x'], ['items', 'item'], ['nums', 'n'], ['values', 'v']],
    doc: ([a, b]) => `Return True if ${b} is in ${a}.`,
    bodies: ([a, b]) => [`return ${b} in ${a}`],
    input: (r) => [intList(r, 0, 5, 0), int(r, 0, 5)],
    expected: ([x, y]) => l(x).includes(n(y)),
  },
  {
    id: 'reverse',
    names: () => ['reverse', 'reversed_text', 'backwards', 'flip'],
    argSets: ONE_STR,
    doc: ([a]) => `Return ${a} reversed.`,
    bodies: ([a]) => [`return ${a}[::-1]`, `return ''.join(reversed(${a}))`],
    input: (r) => [word(r, 0)],
    expected: ([x]) => [...s(x)].reverse().join(''),
  },
  {
    id: 'upper',
    names: () => ['shout', 'upper', 'to_upper', 'loud'],
    argSets: ONE_STR,
    doc: ([a]) => `Return ${a} in upper case.`,
    bodies: ([a]) => [`return ${a}.upper()`],
    input: (r) => [word(r, 0)],
    expected: ([x]) => s(x).toUpperCase(),
  },
  {
    id: 'repeat-k', k: [2, 5],
    names: (k) => [`repeat_${k}`, `echo_${k}`, `copies_${WORDS[k]}`],
    argSets: ONE_STR,
    doc: ([a], k) => `Return ${a} repeated ${k} times.`,
    bodies: ([a], k) => [`return ${a} * ${k}`],
    input: (r) => [word(r, 1)],
    expected: ([x], k) => s(x).repeat(k),
  },
  {
    id: 'first-char',
    names: () => ['initial', 'first_char', 'first_letter', 'lead'],
    argSets: ONE_STR,
    doc: ([a]) => `Return the first character of ${a}.`,
    bodies: ([a]) => [`return ${a}[0]`, `return ${a}[:1]`],
    input: (r) => [word(r, 1)],
    expected: ([x]) => s(x)[0]!,
  },
  {
    id: 'str-len',
    names: () => ['text_length', 'char_count', 'num_chars', 'str_len'],
    argSets: ONE_STR,
    doc: ([a]) => `Return the length of ${a}.`,
    bodies: ([a]) => [`return len(${a})`],
    input: (r) => [word(r, 0)],
    expected: ([x]) => s(x).length,
  },
  {
    id: 'clamp',
    names: () => ['clamp', 'limit', 'bound', 'clip'],
    argSets: [['x', 'lo', 'hi'], ['n', 'low', 'high'], ['value', 'a', 'b']],
    doc: ([a, b, c]) => `Return ${a} limited to the range ${b} to ${c}.`,
    bodies: ([a, b, c]) => [`return max(${b}, min(${a}, ${c}))`, `return min(max(${a}, ${b}), ${c})`],
    input: (r) => {
      const lo = int(r, -10, 5);
      return [smallInt(r), lo, lo + int(r, 0, 10)];
    },
    expected: ([x, lo, hi]) => Math.max(n(lo), Math.min(n(x), n(hi))),
  },
];

const BY_ID = new Map(FAMILIES.map((f) => [f.id, f]));
export const FAMILY_IDS: readonly string[] = FAMILIES.map((f) => f.id);

function family(id: string): Family {
  const f = BY_ID.get(id);
  if (!f) throw new Error(`python-functions: unknown family "${id}"`);
  return f;
}

/** Every problem there is, in a fixed order. */
export function allProblems(): Problem[] {
  const out: Problem[] = [];
  for (const f of FAMILIES) {
    const [k0, k1] = f.k ?? [0, 0];
    for (let k = k0; k <= k1; k++) {
      for (const name of f.names(k)) for (const args of f.argSets) out.push({ family: f.id, name, args, k });
    }
  }
  return out;
}

/** The prompt: `def name(args):` and a one-line docstring, ending at the closing quotes. */
export function promptText(p: Problem): string {
  return `def ${p.name}(${p.args.join(', ')}):\n    """${family(p.family).doc(p.args, p.k)}"""`;
}

/** Reference completions (newline, then the indented body), one per style. */
export function referenceCompletions(p: Problem): string[] {
  return family(p.family).bodies(p.args, p.k).map((body) => '\n' + body.split('\n').map((line) => '    ' + line).join('\n'));
}

/** Python's `repr` of a value. */
export function pyRepr(v: PyValue): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v}'`; // lowercase/uppercase letters only: no escapes needed
  return `[${v.map(pyRepr).join(', ')}]`;
}

export const ASSERTS_PER_PROBLEM = 4;

/**
 * The asserts of a problem: `assert name(inputs) == expected`, inputs drawn from a stream seeded by the prompt.
 * Inputs are distinct where the family allows, and a family whose answers can all be the same (booleans, counts)
 * is re-drawn a few times so that a constant answer does not pass every assert.
 */
export function problemTests(p: Problem): string[] {
  const f = family(p.family);
  const rng = new Rng(promptText(p));
  let best: Array<{ call: string; want: string }> = [];
  for (let attempt = 0; attempt < 20; attempt++) {
    const seen = new Set<string>();
    const cases: Array<{ call: string; want: string }> = [];
    for (let tries = 0; cases.length < ASSERTS_PER_PROBLEM && tries < 50; tries++) {
      const x = f.input(rng, p.k);
      const call = `${p.name}(${x.map(pyRepr).join(', ')})`;
      if (seen.has(call)) continue;
      seen.add(call);
      cases.push({ call, want: pyRepr(f.expected(x, p.k)) });
    }
    best = cases;
    if (new Set(cases.map((c) => c.want)).size > 1) break;
  }
  return best.map((c) => `assert ${c.call} == ${c.want}`);
}

/** The problem a prompt states, or null when the text is not one of this task's prompts. */
export function parseProblem(prompt: string): Problem | null {
  const m = /^def ([a-z_][a-z0-9_]*)\(([a-z, ]*)\):\n {4}"""(.*)"""$/.exec(prompt);
  if (!m) return null;
  const name = m[1]!;
  const args = m[2]!.split(',').map((a) => a.trim());
  const doc = m[3]!;
  for (const f of FAMILIES) {
    if (!f.argSets.some((set) => set.join(',') === args.join(','))) continue;
    const [k0, k1] = f.k ?? [0, 0];
    for (let k = k0; k <= k1; k++) {
      if (f.doc(args, k) === doc && f.names(k).includes(name)) return { family: f.id, name, args, k };
    }
  }
  return null;
}

/** A random problem from `pool`. */
export function pickProblem(rng: Rng, pool: readonly Problem[]): Problem {
  return rng.pick(pool);
}
