/** The text of an error for the page: its message, or the thrown value as a string. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
