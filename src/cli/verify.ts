/**
 * `raftlab verify --lang c|python --code FILE [--stdin FILE] [--expect FILE] [--tests FILE] [--timeout-ms N]`:
 * what one sample would score. Prints `{reward, breakdown}` as JSON (exit 0 whatever the reward); bad flags or
 * unreadable files get a message and exit 2.
 *
 * `--tests FILE` (Python only) is a Python file of checks, split into its top-level statements: a line that starts
 * in column 0 begins a statement, indented lines continue it, blank lines and comment lines are skipped. Each
 * statement runs on its own after the code (usually one `assert` per line), and the reward is 0.7 + 0.3 x the
 * fraction that passed. `--code -` reads the code from standard input.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_TIMEOUT_MS, type VerifyJob, type VerifyResult } from '../core/verify/index';
import { createNodeVerifiers } from '../node/verify/index';

export interface VerifyArgs {
  lang?: 'c' | 'python';
  code?: string;
  stdin?: string;
  expect?: string;
  tests?: string;
  timeoutMs?: number;
  help: boolean;
}

const FLAGS = ['--lang', '--code', '--stdin', '--expect', '--tests', '--timeout-ms'] as const;
const MAX_TIMEOUT_MS = 60_000;
const SEE_HELP = '(see raftlab verify --help)';

/** Parse `verify`'s arguments (after the command word). Never throws: problems become `errors`. */
export function parseVerifyArgs(argv: readonly string[]): { args: VerifyArgs; errors: string[] } {
  const args: VerifyArgs = { help: false };
  const errors: string[] = [];
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--help' || token === '-h') {
      args.help = true;
      continue;
    }
    if (!token.startsWith('--')) {
      errors.push(`unexpected argument ${JSON.stringify(token.slice(0, 60))}: values go after a flag, e.g. --code main.c ${SEE_HELP}`);
      continue;
    }
    const eq = token.indexOf('=');
    const flag = eq < 0 ? token : token.slice(0, eq);
    if (!(FLAGS as readonly string[]).includes(flag)) {
      errors.push(`unknown flag ${JSON.stringify(flag.slice(0, 60)).slice(1, -1)} for verify ${SEE_HELP}`);
      continue;
    }
    if (given.has(flag)) errors.push(`${flag} is given more than once`);
    given.add(flag);
    let value: string | undefined = eq < 0 ? undefined : token.slice(eq + 1);
    if (value === undefined) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      }
    }
    if (value === undefined || value === '') {
      errors.push(`missing value for ${flag} ${SEE_HELP}`);
      continue;
    }
    switch (flag) {
      case '--lang':
        if (value === 'c' || value === 'python') args.lang = value;
        else errors.push(`--lang must be c or python (got ${JSON.stringify(value.slice(0, 40))})`);
        break;
      case '--timeout-ms': {
        const n = Number(value);
        if (/^\d+$/.test(value) && n >= 1 && n <= MAX_TIMEOUT_MS) args.timeoutMs = n;
        else errors.push(`--timeout-ms must be an integer between 1 and ${MAX_TIMEOUT_MS} (got ${JSON.stringify(value.slice(0, 40))})`);
        break;
      }
      case '--code': args.code = value; break;
      case '--stdin': args.stdin = value; break;
      case '--expect': args.expect = value; break;
      case '--tests': args.tests = value; break;
    }
  }
  if (!args.help) {
    if (!given.has('--lang')) errors.push(`verify needs --lang c|python ${SEE_HELP}`);
    if (!given.has('--code')) errors.push(`verify needs --code FILE (the program; - reads standard input) ${SEE_HELP}`);
    if (args.tests !== undefined && args.lang === 'c') errors.push('--tests is for Python; a C program is checked with --expect FILE (its expected output)');
    if (args.tests !== undefined && args.expect !== undefined) errors.push('give --tests or --expect, not both (with asserts, the asserts decide the reward)');
  }
  return { args, errors };
}

/** Top-level statements of a Python tests file (see the module comment). */
export function splitTestStatements(source: string): string[] {
  const out: string[] = [];
  for (const line of source.replace(/\r\n?/g, '\n').split('\n')) {
    if (line.trim() === '' || /^\s*#/.test(line)) continue;
    if (/^\s/.test(line) && out.length > 0) out[out.length - 1] += `\n${line}`;
    else out.push(line);
  }
  return out;
}

export function verifyHelp(): string {
  return [
    'Usage: raftlab verify --lang c|python --code FILE [--stdin FILE] [--expect FILE] [--tests FILE] [--timeout-ms N]',
    '',
    'Runs one program the way a RAFT reward does and prints {reward, breakdown} as JSON (exit 0; bad flags exit 2).',
    'Graduated scale: syntax/compile error or empty 0, C compiles with warnings 0.3, clean 0.5, runs (exit 0, in time)',
    '0.7, output equal to --expect (trailing whitespace ignored) or every test passing 1.0. A Python sample that parses',
    'but does not run through (timeout, exception, MemoryError) gets 0.3; with --tests, 0.7 + 0.3 x the fraction passed.',
    '',
    'Options:',
    '  --lang c|python     the language of the program',
    '  --code FILE         the program (C: a whole translation unit with main; Python: a module); - reads stdin',
    '  --stdin FILE        text given to the program on standard input (default: empty)',
    '  --expect FILE       the expected standard output',
    '  --tests FILE        Python only: checks run after the code, one top-level statement each (a line in column 0',
    '                      starts a statement, indented lines continue it; blank and # lines are skipped)',
    `  --timeout-ms N      run-time limit in ms (default ${DEFAULT_TIMEOUT_MS}; C compiles have their own 10 s limit)`,
    '  -h, --help          show this help',
    '',
    'Example:',
    '  raftlab verify --lang c --code main.c --stdin in.txt --expect out.txt',
  ].join('\n');
}

/** `raftlab verify ...`: returns the exit code; `print` gets the JSON, `fail` the error messages. */
export async function verifyCommand(
  argv: readonly string[],
  print: (text: string) => void = (t) => console.log(t),
  fail: (text: string) => void = (t) => console.error(t),
): Promise<number> {
  const { args, errors } = parseVerifyArgs(argv);
  if (args.help) {
    print(verifyHelp());
    return errors.length > 0 ? 2 : 0;
  }
  const read = (flag: string, path: string | undefined): string | undefined => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path === '-' && flag === '--code' ? 0 : path, 'utf8');
    } catch (e) {
      errors.push(`${flag}: cannot read ${JSON.stringify(path)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      return undefined;
    }
  };
  const code = errors.length === 0 ? read('--code', args.code) : undefined;
  const stdin = errors.length === 0 ? read('--stdin', args.stdin) : undefined;
  const expect = errors.length === 0 ? read('--expect', args.expect) : undefined;
  const tests = errors.length === 0 ? read('--tests', args.tests) : undefined;
  if (errors.length > 0) {
    for (const e of errors) fail(`raftlab: ${e}`);
    return 2;
  }
  const job: VerifyJob = {
    lang: args.lang!,
    code: code!,
    stdin,
    expectedStdout: expect,
    tests: tests === undefined ? undefined : splitTestStatements(tests),
    timeoutMs: args.timeoutMs,
  };
  const verifier = createNodeVerifiers({ pythonWorkers: 1, cRunners: 1, timeoutMs: args.timeoutMs });
  let result: VerifyResult;
  try {
    // load Pyodide or clang first, so that the breakdown's times are the sample's own
    await (job.lang === 'python' ? verifier.python.pool.warm() : Promise.all([verifier.c.compiler.warm(), verifier.c.runners.warm()]));
    result = await verifier.verify(job);
  } finally {
    await verifier.dispose();
  }
  print(JSON.stringify({ reward: result.reward, breakdown: result.breakdown }, null, 2));
  return 0;
}
