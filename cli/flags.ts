// Numeric command-line flags, parsed one way for every command (serve, route, run,
// operator): digits only (no `1e3`, `0x10` or an empty string read as 0), within a range.

/** The accepted range of an integer flag; `max` omitted means no upper bound. */
export interface IntegerRange {
  readonly min: number;
  readonly max?: number;
}

export type IntegerFlag = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly problem: string };

/**
 * Parses an integer flag value; the problem reads after the flag's name.
 * @example
 * parseIntegerFlag('http', { min: 0, max: 65535 }); // { ok: false, problem: 'must be an integer from 0 to 65535' }
 */
export function parseIntegerFlag(raw: string, range: IntegerRange): IntegerFlag {
  const value = Number(raw.trim());
  const inRange = value >= range.min && (range.max === undefined || value <= range.max);
  if (/^\d+$/.test(raw.trim()) && inRange) return { ok: true, value };
  return {
    ok: false,
    problem: range.max === undefined ? `must be an integer >= ${range.min}` : `must be an integer from ${range.min} to ${range.max}`,
  };
}

/** Every port flag: 0 asks the OS for a free one. */
export const PORT_RANGE: IntegerRange = { min: 0, max: 65535 };

/**
 * Parses several integer flags, keyed by flag name: all their values, or the first problem
 * in the form every command prints, `--port must be an integer from 0 to 65535, got "http"`.
 */
export function integerFlags<K extends string>(
  flags: { readonly [P in K]: readonly [raw: string, range: IntegerRange] },
): { readonly ok: true; readonly values: Readonly<Record<K, number>> } | { readonly ok: false; readonly problem: string } {
  const values = {} as Record<K, number>;
  for (const name of Object.keys(flags) as K[]) {
    const [raw, range] = flags[name];
    const parsed = parseIntegerFlag(raw, range);
    if (!parsed.ok) return { ok: false, problem: `--${name} ${parsed.problem}, got "${raw}"` };
    values[name] = parsed.value;
  }
  return { ok: true, values };
}
