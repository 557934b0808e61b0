// Class labels as Triton reads a label file: one per line, line i names class index i.

/** Splits a labels file into labels ("\r\n" endings accepted; a final newline adds no label). */
export function parseLabels(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}
