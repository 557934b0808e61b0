// Removing the iptables chains kube-proxy (KUBE-*) and the CNI plugins (CNI-*) leave
// behind, in IPv4 and IPv6: the jumps to them from other chains, then the chains; and the
// iptables-nft tables that were not there before. Synchronous, so an exit hook can run it.
import { execFileSync, spawnSync } from 'node:child_process';

/** The `iptables-restore --noflush` input that removes the chains matching `pattern` from a saved ruleset. */
export function removalScript(saved: string, pattern: RegExp): string {
  const out: string[] = [];
  for (const table of saved.split(/^\*/m).slice(1)) {
    const lines = table.split('\n');
    const chains = lines
      .filter((line) => line.startsWith(':'))
      .map((line) => line.slice(1).split(' ')[0] ?? '')
      .filter((chain) => pattern.test(chain));
    if (chains.length === 0) continue;
    const jumps = lines.filter((line) => {
      const rule = /^-A (\S+) .*-[jg] (\S+)/.exec(line);
      return rule !== null && !pattern.test(rule[1] ?? '') && pattern.test(rule[2] ?? '');
    });
    out.push(
      `*${lines[0]}`,
      ...jumps.map((line) => `-D${line.slice(2)}`),
      ...chains.map((c) => `-F ${c}`),
      ...chains.map((c) => `-X ${c}`),
      'COMMIT',
    );
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Removes every chain matching `pattern` (and the jumps to it) in both families. */
export function removeChains(pattern: RegExp): void {
  for (const family of ['iptables', 'ip6tables']) {
    const script = removalScript(output(`${family}-save`, []), pattern);
    if (!script) continue;
    const restored = spawnSync(`${family}-restore`, ['--noflush'], { input: script, encoding: 'utf8' });
    if (restored.status !== 0)
      throw new Error(
        `${family}-restore failed (${restored.status}): ${restored.stderr?.trim() || restored.error?.message}\ninput:\n${script}`,
      );
  }
}

/** The nftables tables that exist now, as "family name" ("ip nat"); empty without the nft CLI. */
export function nftTables(): string[] {
  return output('nft', ['list', 'tables'])
    .split('\n')
    .filter((line) => line.startsWith('table '))
    .map((line) => line.slice('table '.length).trim());
}

// iptables-nft creates these on first use; an empty one is still listed by iptables-save.
const IPTABLES_TABLES = /^(ip|ip6) (filter|nat|mangle|raw|security)$/;

/** Deletes the iptables-nft tables that were not there before (once their chains are gone). */
export function removeNewIptablesTables(before: readonly string[]): void {
  for (const table of nftTables()) {
    if (before.includes(table) || !IPTABLES_TABLES.test(table)) continue;
    execFileSync('nft', ['delete', 'table', ...table.split(' ')]);
  }
}

// A missing command (no ip6tables, no nft) has nothing to clean.
function output(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}
