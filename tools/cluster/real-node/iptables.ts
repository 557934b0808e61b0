// Removing the iptables chains kube-proxy (KUBE-*) and the CNI plugins (CNI-*) leave
// behind, in IPv4 and IPv6: the jumps to them from other chains, then the chains.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The `iptables-restore --noflush` input that removes the chains matching `pattern` from a saved ruleset. */
export function removalScript(saved: string, pattern: RegExp): string {
  const out: string[] = [];
  for (const table of saved.split(/^\*/m).slice(1)) {
    const lines = table.split('\n');
    const chains = lines.filter((line) => line.startsWith(':')).map((line) => line.slice(1).split(' ')[0] ?? '').filter((chain) => pattern.test(chain));
    if (chains.length === 0) continue;
    const jumps = lines.filter((line) => {
      const rule = /^-A (\S+) .*-[jg] (\S+)/.exec(line);
      return rule !== null && !pattern.test(rule[1] ?? '') && pattern.test(rule[2] ?? '');
    });
    out.push(`*${lines[0]}`, ...jumps.map((line) => `-D${line.slice(2)}`), ...chains.map((c) => `-F ${c}`), ...chains.map((c) => `-X ${c}`), 'COMMIT');
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Removes every chain matching `pattern` (and the jumps to it) in both families. */
export async function removeChains(pattern: RegExp): Promise<void> {
  for (const family of ['iptables', 'ip6tables']) {
    const saved = await run(`${family}-save`, [], { maxBuffer: 64 * 1024 * 1024 }).then((out) => out.stdout, () => '');
    const script = removalScript(saved, pattern);
    if (script) await restore(`${family}-restore`, script);
  }
}

function restore(command: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, ['--noflush'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} failed (${code}): ${stderr.trim()}\ninput:\n${script}`))));
    child.stdin.end(script);
  });
}

/** The chains matching `pattern` that exist now, in both families (to show nothing is left). */
export async function chainsMatching(pattern: RegExp): Promise<string[]> {
  const found: string[] = [];
  for (const family of ['iptables', 'ip6tables']) {
    const saved = await run(`${family}-save`, [], { maxBuffer: 64 * 1024 * 1024 }).then((out) => out.stdout, () => '');
    for (const line of saved.split('\n')) if (line.startsWith(':') && pattern.test(line.slice(1))) found.push(`${family} ${line.slice(1).split(' ')[0]}`);
  }
  return found;
}

/** The nftables tables that exist now, as "family name" ("ip nat"); empty without the nft CLI. */
export async function nftTables(): Promise<string[]> {
  const listed = await run('nft', ['list', 'tables']).then((out) => out.stdout, () => '');
  return listed.split('\n').filter((line) => line.startsWith('table ')).map((line) => line.slice('table '.length).trim());
}

// iptables-nft creates these on first use; an empty one is still listed by iptables-save.
const IPTABLES_TABLES = /^(ip|ip6) (filter|nat|mangle|raw|security)$/;

/** Deletes the iptables-nft tables that were not there before (once their chains are gone). */
export async function removeNewIptablesTables(before: readonly string[]): Promise<void> {
  for (const table of await nftTables()) {
    if (before.includes(table) || !IPTABLES_TABLES.test(table)) continue;
    await run('nft', ['delete', 'table', ...table.split(' ')]);
  }
}
