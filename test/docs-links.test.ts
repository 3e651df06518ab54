// The documentation's links: in README.md and every docs/**/*.md, every Markdown link and image whose target is not
// http(s) or mailto names a file or folder of the repository, and every #anchor (same page or page.md#anchor) names a
// heading of that page, slugged as GitHub does. Links inside code (fenced blocks, `inline code`) are not links.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '..');

/**
 * Images the docs show that a script makes rather than the repository keeping them by hand: each must exist, or
 * `scripts/screenshot.ts` must exist and name it (the script writes it; run it before publishing the docs).
 */
const GENERATED_IMAGES = ['docs/images/lab-mid-run.png'];
const GENERATOR = 'scripts/screenshot.ts';

/** README.md and every .md file under docs/, as paths relative to the repository root. */
function docFiles(): string[] {
  const found: string[] = ['README.md'];
  const walk = (dir: string): void => {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const rel = `${dir}/${name}`;
      if (statSync(join(ROOT, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.md')) found.push(rel);
    }
  };
  if (existsSync(join(ROOT, 'docs'))) walk('docs');
  return found;
}

/** The text outside fenced code blocks, line by line (a fenced line becomes empty, so line numbers stay). */
function proseLines(text: string): string[] {
  let fence: string | null = null;
  return text.split('\n').map((line) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.trim() === m[1]) fence = null;
      return '';
    }
    if (m) {
      fence = m[1]!;
      return '';
    }
    return line;
  });
}

/** A line without its code spans (`...`, ``...``). */
const withoutCode = (line: string): string => line.replace(/(`+)[\s\S]*?\1/g, '');

/** GitHub's anchor of a heading: its text as rendered, lowercase, punctuation but '-' and '_' removed, spaces to '-'. */
function githubSlug(heading: string): string {
  const text = heading
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1') // images: their alt text
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1') // links: their text
    .replace(/<[^>]+>/g, '') // inline HTML tags
    .replace(/[`*]/g, '') // code and emphasis marks
    .replace(/(^|\W)_+|_+(\W|$)/g, '$1$2'); // _emphasis_ (an underscore inside a word stays)
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a Markdown file offers: its headings' slugs (a repeated one gets -1, -2, ...) and HTML id/name. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const h = /^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(line);
    if (h) {
      const slug = githubSlug(h[1]!);
      const n = seen.get(slug) ?? 0;
      seen.set(slug, n + 1);
      anchors.add(n === 0 ? slug : `${slug}-${n}`);
    }
    for (const a of line.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) anchors.add(a[1]!);
  }
  return anchors;
}

/** Every link and image target of a Markdown text with its line: inline `](target)` and reference definitions. */
function linksOf(text: string): Array<{ line: number; target: string }> {
  const links: Array<{ line: number; target: string }> = [];
  proseLines(text).forEach((raw, i) => {
    const line = withoutCode(raw);
    for (const m of line.matchAll(/\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g)) {
      links.push({ line: i + 1, target: m[1]!.replace(/^<|>$/g, '') });
    }
    const def = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/.exec(line);
    if (def) links.push({ line: i + 1, target: def[1]!.replace(/^<|>$/g, '') });
  });
  return links;
}

const EXTERNAL = /^(https?:|mailto:)/i;

/** What is wrong with one link of `file` (a path relative to the root), or null when it resolves. */
function problemOf(file: string, target: string): string | null {
  if (EXTERNAL.test(target)) return null;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return 'a scheme other than http(s) or mailto';
  const hash = target.indexOf('#');
  const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
  const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
  const abs = pathPart === '' ? join(ROOT, file) : pathPart.startsWith('/') ? join(ROOT, pathPart) : resolve(ROOT, dirname(file), pathPart);
  const rel = relative(ROOT, abs).split(sep).join('/');
  if (rel.startsWith('..')) return 'points outside the repository';
  if (GENERATED_IMAGES.includes(rel)) return null; // checked by its own test below
  if (!existsSync(abs)) return `${rel} does not exist`;
  if (anchor === null) return null;
  if (!rel.endsWith('.md')) return /^L\d+(-L\d+)?$/.test(anchor) ? null : `#${anchor} on a file that is not Markdown`;
  return anchorsOf(readFileSync(abs, 'utf8')).has(anchor) ? null : `${rel} has no heading #${anchor}`;
}

/** Every broken link of the documentation, as `file:line: target (why)`. */
function brokenLinks(): string[] {
  const broken: string[] = [];
  for (const file of docFiles()) {
    for (const { line, target } of linksOf(readFileSync(join(ROOT, file), 'utf8'))) {
      const problem = problemOf(file, target);
      if (problem) broken.push(`${file}:${line}: ${target} (${problem})`);
    }
  }
  return broken;
}

describe('the documentation links only to what exists', () => {
  it('slugs headings and finds links as GitHub does, and sees a broken link and a broken anchor', () => {
    expect(githubSlug('Methods to compare (`--method`)')).toBe('methods-to-compare---method');
    expect(githubSlug("The RAFT paper's comparison, measured here")).toBe('the-raft-papers-comparison-measured-here');
    expect(githubSlug('Domain fine-tuning without forgetting: `domain-raft` on the `generalist`')).toBe(
      'domain-fine-tuning-without-forgetting-domain-raft-on-the-generalist',
    );
    expect(githubSlug('The image task: `shapes` (diffusion)')).toBe('the-image-task-shapes-diffusion');
    expect([...anchorsOf('# A\n## Notes\n```\n# not a heading\n```\n## Notes\n')]).toEqual(['a', 'notes', 'notes-1']);
    const md = 'see [x](docs/nowhere.md) and ![i](images/a.png "t") but not `[y](z.md)`\n```\n[q](r.md)\n```\n[ref]: ../x.md#y\n';
    expect(linksOf(md).map((l) => l.target)).toEqual(['docs/nowhere.md', 'images/a.png', '../x.md#y']);
    expect(problemOf('README.md', 'docs/nowhere.md')).toContain('does not exist');
    expect(problemOf('README.md', '#no-such-heading')).toContain('has no heading');
    expect(problemOf('README.md', 'https://example.org/a')).toBeNull();
    expect(problemOf('README.md', 'package.json')).toBeNull();
  });

  it('README.md and every docs/**/*.md: each relative link and image names a file or folder, each #anchor a heading', () => {
    const files = docFiles();
    expect(files).toContain('README.md');
    expect(brokenLinks()).toEqual([]);
  });

  it(`each generated image exists or ${GENERATOR} exists and writes it`, () => {
    const script = join(ROOT, GENERATOR);
    const missing = GENERATED_IMAGES.filter(
      (img) => !existsSync(join(ROOT, img)) && !(existsSync(script) && readFileSync(script, 'utf8').includes(img)),
    );
    expect(missing, `neither the image nor a ${GENERATOR} that names it`).toEqual([]);
  });
});
