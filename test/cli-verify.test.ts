/** `raftlab verify`: argument parsing (pure), then the real CLI on a C and a Python sample, and its exit codes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVerifyArgs, splitTestStatements } from '../src/cli/verify';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/raftlab.mjs', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'raftlab-verify-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('raftlab verify: arguments', () => {
  it('parses the flags, in both spellings', () => {
    const { args, errors } = parseVerifyArgs(['--lang', 'python', '--code=a.py', '--tests', 't.py', '--timeout-ms', '500']);
    expect(errors).toEqual([]);
    expect(args).toMatchObject({ lang: 'python', code: 'a.py', tests: 't.py', timeoutMs: 500 });
  });

  it('reports bad flags clearly', () => {
    const errs = (...a: string[]) => parseVerifyArgs(a).errors.join('\n');
    expect(errs('--code', 'a.c')).toMatch(/needs --lang c\|python/);
    expect(errs('--lang', 'c')).toMatch(/needs --code FILE/);
    expect(errs('--lang', 'rust', '--code', 'a.rs')).toMatch(/--lang must be c or python \(got "rust"\)/);
    expect(errs('--lang', 'c', '--code', 'a.c', '--timeout-ms', '0')).toMatch(/--timeout-ms must be an integer between 1 and 60000/);
    expect(errs('--lang', 'c', '--code', 'a.c', '--timeout-ms', '1.5')).toMatch(/--timeout-ms/);
    expect(errs('--lang', 'c', '--code', 'a.c', '--tests', 't.py')).toMatch(/--tests is for Python/);
    expect(errs('--lang', 'python', '--code', 'a.py', '--tests', 't.py', '--expect', 'o.txt')).toMatch(/not both/);
    expect(errs('--lang', 'c', '--code', 'a.c', '--bogus', '1')).toMatch(/unknown flag --bogus for verify/);
    expect(errs('--lang', 'c', '--code')).toMatch(/missing value for --code/);
    expect(errs('--lang', 'c', '--code', 'a.c', 'stray')).toMatch(/unexpected argument "stray"/);
    expect(errs('--lang', 'c', '--lang', 'c', '--code', 'a.c')).toMatch(/--lang is given more than once/);
  });

  it('splits a tests file into top-level statements', () => {
    const src = '# checks\nassert f(1) == 2\n\nfor i in range(3):\n    assert f(i) >= i\n\n    assert True\nassert f(0) == 1  # trailing comment\n';
    expect(splitTestStatements(src)).toEqual([
      'assert f(1) == 2',
      'for i in range(3):\n    assert f(i) >= i\n    assert True',
      'assert f(0) == 1  # trailing comment',
    ]);
    expect(splitTestStatements('\r\n\r\n')).toEqual([]);
  });
});

describe('raftlab verify: the command', () => {
  it('bad flags and unreadable files exit 2 with a message; --help exits 0', () => {
    const bad = cli('verify', '--lang', 'rust', '--code', 'x.rs');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--lang must be c or python');
    const missing = cli('verify', '--lang', 'c', '--code', join(dir, 'nope.c'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--code: cannot read ".*nope\.c" \(ENOENT\)/);
    const help = cli('verify', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: raftlab verify --lang c|python --code FILE');
    expect(cli('--help').out).toContain('raftlab verify --lang c|python');
  });

  it('C: prints {reward, breakdown} as JSON, correct output 1.0', () => {
    const code = file('sq.c', '#include <stdio.h>\nint main(void) { int n; scanf("%d", &n); for (int i = 1; i <= n; i++) printf("%d\\n", i * i); return 0; }\n');
    const r = cli('verify', '--lang', 'c', '--code', code, '--stdin', file('in.txt', '3\n'), '--expect', file('out.txt', '1\n4\n9\n'));
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { reward: number; breakdown: Record<string, unknown> };
    expect(out).toMatchObject({ reward: 1, breakdown: { lang: 'c', stage: 'correct', compiled: true, warnings: 0, stdout: '1\n4\n9\n' } });
  });

  it('Python: asserts from a tests file, 0.7 + 0.3 x fraction passed', () => {
    const code = file('add.py', 'def add(a, b):\n    return a + b if a < 10 else a - b\n');
    const tests = file('add_tests.py', 'assert add(1, 2) == 3\nassert add(10, 1) == 11\nfor i in range(3):\n    assert add(i, 0) == i\n');
    const r = cli('verify', '--lang', 'python', '--code', code, '--tests', tests, '--timeout-ms', '3000');
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { reward: number; breakdown: Record<string, unknown> };
    expect(out.reward).toBeCloseTo(0.9, 10);
    expect(out.breakdown).toMatchObject({ lang: 'python', stage: 'tests', testsPassed: 2, testsTotal: 3, timeoutMs: 3000 });
    expect(out.breakdown.firstFailure).toMatch(/^assert add\(10, 1\) == 11 -> AssertionError/);
  });
});
