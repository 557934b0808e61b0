// How error messages show what a client sent: never more than a short prefix, so that a
// 10 MB name or shape is not echoed back (or logged) whole.

/** Longest piece of client input an error message quotes: errors must not echo megabytes back. */
const QUOTE_CHARS = 40;

function printable(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Array.isArray(value) ? `an array nested too deeply to print` : 'an unprintable value';
  }
}

/** Client text as an error message shows it: cut to a short prefix. */
export function clip(text: string): string {
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}... (${text.length} characters)` : text;
}

/** A value from the request as an error message shows it: JSON, cut to a short prefix. */
export function quoted(value: unknown): string {
  return clip(printable(value));
}
