// Shared by the router's authentication tests: reading audit lines from a router's output.

/** The audit lines among a process's output lines. */
export function auditLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    const start = line.indexOf('{');
    if (start < 0) return [];
    try {
      const event = JSON.parse(line.slice(start)) as Record<string, unknown>;
      return event.msg === 'audit' ? [event] : [];
    } catch {
      return [];
    }
  });
}
