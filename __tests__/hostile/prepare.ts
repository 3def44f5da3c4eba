/** Writes a corpus case's files (its data folder, its config file) into `dir`. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostileCase } from './cases.js';

export async function prepareCaseFiles(
  c: HostileCase,
  dir: string,
): Promise<{ data?: string; config: string }> {
  await mkdir(dir, { recursive: true });
  let data: string | undefined;
  if (c.data) {
    data = path.join(dir, 'data');
    await mkdir(data);
    for (const [name, content] of Object.entries(c.data)) {
      const file = path.join(data, name);
      if (typeof content === 'function') await content(file);
      else await writeFile(file, content);
    }
  }
  const config = path.join(dir, 'config.yml');
  if (c.config !== undefined) await writeFile(config, c.config);
  return { ...(data ? { data } : {}), config };
}
