/** Output comparison and capping shared by the verifiers. */

/** Trailing whitespace of each line and trailing blank lines removed; `\r\n` read as `\n`. */
export function normalizeOutput(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/\s+$/, ''))
    .join('\n')
    .replace(/\n+$/, '');
}

/** Whether `actual` is the expected output, up to trailing whitespace per line and at the end. */
export function outputsMatch(actual: string, expected: string): boolean {
  return normalizeOutput(actual) === normalizeOutput(expected);
}

/** The first `maxLines` lines of `text`, at most `maxChars` characters, with "..." when something was cut. */
export function firstLines(text: string, maxLines = 5, maxChars = 600): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let out = lines.slice(0, maxLines).join('\n');
  let cut = lines.length > maxLines && lines.slice(maxLines).some((l) => l.trim() !== '');
  if (out.length > maxChars) {
    out = out.slice(0, maxChars);
    cut = true;
  }
  return cut ? `${out}\n...` : out;
}

/** Accumulates text up to `cap` UTF-16 code units (about bytes for ASCII output); remembers that more came. */
export class CappedText {
  text = '';
  truncated = false;
  constructor(readonly cap: number) {}
  push(chunk: string): void {
    if (this.truncated) return;
    const room = this.cap - this.text.length;
    if (chunk.length <= room) this.text += chunk;
    else {
      this.text += chunk.slice(0, Math.max(0, room));
      this.truncated = true;
    }
  }
}
