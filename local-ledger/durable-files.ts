import { chmodSync, closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/**
 * Writes a whole file so that after a crash it is either absent, or present and complete. The
 * mode is set explicitly: a permissive umask must not make a key or the log world-readable.
 */
export function writeFileDurably(path: string, content: string | Buffer, mode = 0o644): void {
  const temporary = `${path}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w', mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncDirectory(dirname(path));
}

/** Makes a rename or a newly created file in `dir` durable. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `dir` (and missing parents) readable by its owner only, whatever the umask. Folders that
 * already exist keep their mode: the ledger never changes one it did not create.
 */
export function makePrivateDirectory(dir: string): void {
  const first = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return;
  // every folder from the first one created down to `dir` is new.
  let path = first;
  chmodSync(path, 0o700);
  for (const part of relative(first, dir).split(sep).filter(Boolean)) {
    path = join(path, part);
    chmodSync(path, 0o700);
  }
}
