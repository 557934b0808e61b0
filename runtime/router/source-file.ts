// Configuration from a file (local mode, or a ConfigMap mounted as a volume). fs.watch
// on the directory gives changes within milliseconds, including editors and `kubectl`
// volume updates that replace the file by rename; a slow poll catches filesystems where
// watch events do not arrive.
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { parseRouterConfigText } from '../../contracts/index.ts';
import type { RouterConfig } from '../../contracts/index.ts';

/** Where a configuration source delivers what it reads. */
export interface ConfigSink {
  apply(config: RouterConfig): void;
  reject(problems: readonly string[]): void;
}

export interface ConfigWatch {
  stop(): Promise<void>;
}

/** What a watched file holds now: its text, or why it cannot be read. */
export type FileContent = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly error: string };

/**
 * Calls `onChange` with the file's content now and after every change (once per distinct
 * content); resolves after the first delivery.
 */
export async function watchTextFile(path: string, onChange: (content: FileContent) => void, pollMs = 1000): Promise<ConfigWatch> {
  let last: string | undefined;
  let reading: Promise<void> = Promise.resolve();
  const reload = () => {
    reading = reading.then(async () => {
      const content: FileContent = await readFile(path, 'utf8').then(
        (text) => ({ ok: true, text }) as const,
        (error: NodeJS.ErrnoException) => ({ ok: false, error: `cannot read ${path}: ${error.code ?? error.message}` }) as const,
      );
      const key = content.ok ? content.text : `\u0000${content.error}`;
      if (key === last) return;
      last = key;
      onChange(content);
    });
    return reading;
  };
  await reload();
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), (_event, name) => {
      if (name === null || name === basename(path) || name.startsWith('..')) void reload();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined; // no inotify here: the poll below still sees changes
  }
  const poll = setInterval(() => void reload(), pollMs);
  poll.unref();
  return {
    async stop() {
      clearInterval(poll);
      watcher?.close();
      await reading;
    },
  };
}

/** Watches a router configuration file and delivers each valid version of it to `sink`. */
export function watchConfigFile(path: string, sink: ConfigSink, pollMs = 1000): Promise<ConfigWatch> {
  return watchTextFile(
    path,
    (content) => {
      if (!content.ok) return sink.reject([content.error]);
      const parsed = parseRouterConfigText(content.text);
      if (parsed.ok) sink.apply(parsed.value);
      else sink.reject(parsed.problems.map((p) => `${path}: ${p}`));
    },
    pollMs,
  );
}
