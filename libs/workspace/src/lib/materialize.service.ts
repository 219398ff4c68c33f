import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, rename, rm, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { ObjectStore } from '@case-storage/object-storage';
import { TenantTransactions } from '@case-storage/persistence';
import { forEachLimit } from './concurrency';
import { ContentStore } from './content-store';
import { ContentMismatchError } from './content-store.errors';
import { BaselineEntry } from './sync-plan';
import { resolveInWorkspace } from './workspace-paths';
import { WorkspaceError, WorkspaceErrorCode } from './workspace.errors';
import { WorkspaceProgress, WorkspaceRepository, WorkspaceRow } from './workspace.repository';

export interface MaterializeOutcome {
  readonly baseline: BaselineEntry[];
  readonly files: number;
  readonly bytes: number;
  /** Bytes fetched from storage; the rest came from the node's content store. */
  readonly bytesDownloaded: number;
}

/**
 * Case → workspace (DESIGN §4 steps 1–3): the manifest from PostgreSQL, each object
 * through the node's content store (downloaded only if not on the node yet, SHA-256 and
 * size verified), copied (never hard-linked: the agent may write the file) into a
 * staging directory that is renamed into place in one step. The baseline records what
 * each path was made from and the mtime it was given, so a later scan needs no hashing
 * for untouched files. Re-running after a crash starts over from a clean staging
 * directory; the content store makes that cheap.
 */
@Injectable()
export class MaterializeService {
  private readonly logger = new Logger(MaterializeService.name);

  constructor(
    private readonly tx: TenantTransactions,
    private readonly repo: WorkspaceRepository,
    private readonly store: ObjectStore,
    private readonly content: ContentStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async materialize(ws: WorkspaceRow, dir: string, progress: (p: WorkspaceProgress) => void): Promise<MaterializeOutcome> {
    const manifest = await this.tx.run(ws.tenantId, (em) => this.repo.manifest(em, ws.caseId));
    if (manifest.length > this.config.workspaces.maxFiles) {
      throw new WorkspaceError(
        WorkspaceErrorCode.CaseTooLarge,
        `The case has ${manifest.length} files; a workspace holds at most ${this.config.workspaces.maxFiles} (WORKSPACE_MAX_FILES).`,
        { files: manifest.length, limit: this.config.workspaces.maxFiles },
      );
    }
    const staging = `${dir}.staging`;
    await rm(staging, { recursive: true, force: true });
    await rm(`${staging}.unverified`, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
    await mkdir(staging, { recursive: true, mode: 0o755 });

    const bytesTotal = manifest.reduce((n, f) => n + f.size, 0);
    let filesDone = 0;
    let bytesDone = 0;
    let bytesDownloaded = 0;
    progress({ phase: 'materializing', filesDone, filesTotal: manifest.length, bytesDone, bytesTotal, bytesDownloaded });
    const baseline: BaselineEntry[] = new Array(manifest.length);
    const folders = new Set<string>([staging]);
    // A private, throw-away store for this workspace's unverified versions (removed before the rename).
    let unverified: Promise<ContentStore> | null = null;
    const unverifiedStore = (): Promise<ContentStore> => {
      if (!unverified) {
        const store = new ContentStore({ root: `${staging}.unverified`, budgetBytes: Number.MAX_SAFE_INTEGER });
        unverified = store.init().then(() => store);
      }
      return unverified;
    };

    await forEachLimit(manifest, this.config.workspaces.downloadConcurrency, async (entry, index) => {
      const target = resolveInWorkspace(staging, entry.path);
      // An unverified version's SHA-256 is only what its uploader declared: it must not be
      // served from the node's shared store (that could be another tenant's bytes under the
      // same digest), so it is downloaded and checked like a first fetch, into a store of its own.
      const store = entry.verified ? this.content : await unverifiedStore();
      const got = await store
        .ensure(entry.sha256Hex, entry.size, () => this.store.getVersion(entry.objectKey, entry.s3VersionId), { pin: true })
        .catch((err: unknown) => {
          if (err instanceof ContentMismatchError) {
            throw new WorkspaceError(WorkspaceErrorCode.ContentMismatch, `Stored bytes of ${entry.path} do not match their recorded SHA-256.`, {
              path: entry.path,
              fileId: entry.fileId,
              versionId: entry.versionId,
            });
          }
          throw err;
        });
      try {
        const folder = dirname(target);
        if (!folders.has(folder)) {
          await mkdir(folder, { recursive: true, mode: 0o755 });
          folders.add(folder);
        }
        // A reflink where the filesystem has them, a plain copy elsewhere; COPYFILE_EXCL: never onto something already there.
        await copyFile(got.path, target, constants.COPYFILE_FICLONE | constants.COPYFILE_EXCL);
      } finally {
        store.unpin(entry.sha256Hex);
      }
      await chmod(target, 0o644);
      const when = entry.committedAt instanceof Date ? entry.committedAt : new Date(entry.committedAt);
      await utimes(target, when, when);
      const stat = await lstat(target);
      baseline[index] = {
        path: entry.path,
        fileId: entry.fileId,
        versionId: entry.versionId,
        etag: entry.etag,
        sha256: entry.sha256Hex,
        size: entry.size,
        mtimeMs: stat.mtimeMs,
      };
      filesDone += 1;
      bytesDone += entry.size;
      if (got.downloaded) bytesDownloaded += entry.size;
      progress({ phase: 'materializing', filesDone, filesTotal: manifest.length, bytesDone, bytesTotal, bytesDownloaded });
    });

    await rm(`${staging}.unverified`, { recursive: true, force: true });
    await rename(staging, dir);
    await this.content.trim().catch((err: unknown) => this.logger.warn({ err }, 'content store trim failed'));
    return { baseline, files: manifest.length, bytes: bytesTotal, bytesDownloaded };
  }
}
