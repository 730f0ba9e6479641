import { open } from 'node:fs/promises';

/** Flushes a file's data to the disk: a rename or link after it publishes a whole file, not a promise of one. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename durable: the directory entry is flushed too. */
export async function fsyncDir(path: string): Promise<void> {
  await fsyncFile(path).catch(() => {}); // not every filesystem lets a directory be fsync'd
}
