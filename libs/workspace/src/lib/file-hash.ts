import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readlink, realpath } from 'node:fs/promises';
import { isInside } from './workspace-paths';

/**
 * SHA-256 (hex) and length of a file, streamed: the event loop stays free between chunks
 * (BullMQ keeps renewing the job's lock). O_NOFOLLOW: a symlink swapped in after the scan
 * fails the open instead of being read.
 */
export async function hashFile(path: string, root?: string): Promise<{ sha256Hex: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of await openNoFollow(path, root)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256Hex: hash.digest('hex'), size };
}

export const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

/**
 * A read stream of a regular file below `root`. O_NOFOLLOW refuses a symlink as the last
 * component and O_NONBLOCK keeps a FIFO swapped in from blocking the open; then the
 * descriptor's real path is checked, so a folder swapped for a link after the scan cannot
 * lead the read out of the workspace, whatever happened to the path in between.
 */
export async function openNoFollow(path: string, root?: string): Promise<NodeJS.ReadableStream> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  if (root !== undefined) {
    const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => null);
    if (opened === null || !isInside(await realpath(root), opened)) {
      await handle.close();
      throw Object.assign(new Error(`${path} resolves outside the workspace`), { code: 'EXDEV' });
    }
  }
  return handle.createReadStream({ highWaterMark: 1024 * 1024 });
}
