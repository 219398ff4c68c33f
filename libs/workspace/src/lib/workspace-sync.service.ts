import { lstat } from 'node:fs/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { objectKeyOf } from '@case-storage/domain';
import { ManifestCache } from '@case-storage/manifest-cache';
import { BadDigestError, ObjectStore, PreconditionFailedError, WriteCondition } from '@case-storage/object-storage';
import { appendAudit, TenantTransactions } from '@case-storage/persistence';
import { EntityManager } from 'typeorm';
import { forEachLimit } from './concurrency';
import { ContentStore } from './content-store';
import { hashFile, hexToBase64, openNoFollow } from './file-hash';
import { conflictCopyPath, contentTypeOf, derivedSourceOf } from './sync-naming';
import { BaselineEntry, planSync } from './sync-plan';
import { resolveInWorkspace } from './workspace-paths';
import { PendingSyncVersion, WorkspaceProgress, WorkspaceRepository, WorkspaceRow } from './workspace.repository';
import { RefusedEntry, ScannedFile, scanWorkspace } from './workspace-scan';

export interface SyncedFile {
  readonly path: string;
  readonly fileId: string;
  readonly versionNo: number;
  /** Written by an earlier, interrupted sync and found again (not written twice). */
  readonly recovered?: true;
}

export interface SyncConflict extends SyncedFile {
  /** The workspace path whose bytes could not go to their own file. */
  readonly source: string;
  readonly reason: 'changed-in-case' | 'path-taken';
}

/** What one sync did, as GET /api/workspaces/{id} shows it. */
export interface SyncOutcome {
  readonly created: SyncedFile[];
  readonly updated: SyncedFile[];
  readonly conflicts: SyncConflict[];
  /** Baseline paths the agent removed: reported, never deleted from the case. */
  readonly deleted: string[];
  /** Entries never followed, read or uploaded (symlinks, FIFOs, devices, hard links, bad names). */
  readonly refused: RefusedEntry[];
  /** Files that changed while being synced (or vanished): the next sync takes them. */
  readonly retry: Array<{ path: string; reason: string }>;
  readonly unchanged: number;
  /** Derivatives the agent made again, identical, from a newer source: relinked to it, no new version. */
  readonly relinked: string[];
  readonly bytesUploaded: number;
  readonly durationMs: number;
}

type Derivation = { fileId: string; versionId: string } | null;

/** One change to write: where its bytes go and on what condition. */
interface Intent {
  readonly path: string;
  readonly absolute: string;
  readonly sha256Hex: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly contentType: string;
  readonly derivedFrom: Derivation;
  fileId: string;
  versionId: string;
  filePath: string;
  baseVersionId: string | null;
  condition: WriteCondition;
  conflict: SyncConflict['reason'] | null;
  stored?: { versionId: string; etag: string };
}

const JOURNAL_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * Workspace → case (DESIGN §4 step 5). Never overwrites blindly, never deletes, never
 * follows a link:
 * 1. finishes an interrupted sync first: a version it journalled before its PUT is
 *    committed if storage holds exactly its bytes (HEAD checksum), else dropped — so a
 *    manager killed at any point neither duplicates a version nor conflicts with itself;
 * 2. scans with lstat only, compares with the baseline (size and mtime, SHA-256 to confirm);
 * 3. journals every change as a pending version (one transaction), then PUTs it: new
 *    files `If-None-Match: *`, changed ones `If-Match: <baseline ETag>`; a 412, or a file
 *    the case changed meanwhile, sends the agent's bytes to a conflict copy next to it;
 * 4. commits versions, derived-from links, audit events, the new baseline and the result
 *    in one transaction, and invalidates the manifest cache after it.
 */
@Injectable()
export class WorkspaceSyncService {
  private readonly logger = new Logger(WorkspaceSyncService.name);

  constructor(
    private readonly tx: TenantTransactions,
    private readonly repo: WorkspaceRepository,
    private readonly store: ObjectStore,
    private readonly cache: ManifestCache,
    private readonly content: ContentStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async sync(ws: WorkspaceRow, dir: string, progress: (p: WorkspaceProgress) => void): Promise<SyncOutcome> {
    const started = Date.now();
    const outcome = { created: [] as SyncedFile[], updated: [] as SyncedFile[], conflicts: [] as SyncConflict[], retry: [] as SyncOutcome['retry'], bytesUploaded: 0 };
    const baseline = new Map((ws.baseline?.entries ?? []).map((e) => [e.path, e]));
    // What the agent read: derived-from links point into this, however the baseline moves below.
    const materialized: ReadonlyMap<string, BaselineEntry> = new Map(baseline);

    await this.recover(ws, baseline, materialized, outcome);

    const { files, refused } = await scanWorkspace(dir, { maxEntries: this.config.workspaces.maxFiles * 2 });
    const plan = planSync([...baseline.values()], files);
    const refreshed: BaselineEntry[] = [];
    const changes: Array<{ file: ScannedFile; sha256Hex: string; size: number; base: BaselineEntry | null }> = [];
    let hashedBytes = 0;
    const toHash = [...plan.created.map((file) => ({ file, base: null })), ...plan.touched];
    const hashTotal = toHash.reduce((n, c) => n + c.file.size, 0);
    await forEachLimit(toHash, 4, async ({ file, base }) => {
      try {
        const { sha256Hex, size } = await hashFile(resolveInWorkspace(dir, file.path), dir);
        hashedBytes += size;
        progress({ phase: 'syncing', bytesDone: hashedBytes, bytesTotal: hashTotal });
        if (base && base.sha256 === sha256Hex && base.size === size) refreshed.push({ ...base, mtimeMs: file.mtimeMs });
        else changes.push({ file, sha256Hex, size, base });
      } catch (err) {
        outcome.retry.push({ path: file.path, reason: `could not read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      }
    });
    changes.sort((a, b) => (a.file.path < b.file.path ? -1 : 1));

    const intents = changes.length ? await this.journal(ws, dir, materialized, changes, outcome) : [];
    const total = intents.reduce((n, i) => n + i.size, 0);
    let done = 0;
    progress({ phase: 'syncing', filesDone: 0, filesTotal: intents.length, bytesDone: 0, bytesTotal: total });
    await forEachLimit(intents, this.config.workspaces.uploadConcurrency, async (intent) => {
      await this.write(ws, dir, intent, outcome);
      if (intent.stored) {
        outcome.bytesUploaded += intent.size;
        await this.keepOnNode(dir, intent);
      }
      done += 1;
      progress({ phase: 'syncing', filesDone: done, filesTotal: intents.length, bytesDone: outcome.bytesUploaded, bytesTotal: total });
    });

    const result: SyncOutcome = {
      ...outcome,
      relinked: [],
      deleted: plan.missing.map((m) => m.path),
      refused,
      unchanged: plan.unchanged.length + refreshed.length,
      durationMs: 0,
    };
    await this.tx.run(ws.tenantId, async (em) => {
      const written = intents.filter((i) => i.stored);
      const locked = await this.repo.lockFiles(em, [...new Set(written.map((i) => i.fileId))]);
      for (const intent of written) {
        const file = locked.get(intent.fileId);
        if (!file || file.deleted || file.currentVersionId !== intent.baseVersionId) {
          // Storage accepted the condition but the case moved anyway: leave the file to the next sync.
          await this.repo.failVersion(em, intent.versionId, 'the file changed in the case during the sync');
          outcome.retry.push({ path: intent.path, reason: 'changed in the case during the sync' });
          continue;
        }
        await this.commit(em, ws, intent, result);
        baseline.set(intent.path, entryOf(intent));
      }
      for (const entry of refreshed) {
        baseline.set(entry.path, entry);
        const source = derivedSourceOf(entry.path, materialized);
        if (source && (await this.repo.relinkDerived(em, entry.fileId, entry.versionId, source))) {
          result.relinked.push(entry.path);
          await appendAudit(em, {
            tenantId: ws.tenantId,
            caseId: ws.caseId,
            fileId: entry.fileId,
            actor: actorOf(ws),
            action: 'workspace.sync.relinked',
            details: { workspaceId: ws.id, path: entry.path, derivedFrom: { fileId: source.fileId, versionId: source.versionId } },
          });
        }
      }
      const final = { ...result, durationMs: Date.now() - started };
      await this.repo.update(em, ws.id, { baseline: { entries: [...baseline.values()] }, syncResult: { ...final }, synced: true });
      Object.assign(result, { durationMs: final.durationMs });
    });
    await this.invalidate(ws);
    return result;
  }

  /**
   * What the agent wrote is content of the case once committed: kept in the node's content
   * store too (right after its PUT, overlapping the others), so the next workspace of this
   * case here downloads none of it. Best effort: bytes that changed since are not kept.
   */
  private async keepOnNode(dir: string, intent: Intent): Promise<void> {
    await this.content
      .ensure(intent.sha256Hex, intent.size, () => openNoFollow(intent.absolute, dir))
      .catch((err: unknown) => this.logger.debug({ path: intent.path, err }, 'agent output not kept in the content store (changed since the sync?)'));
  }

  /**
   * Versions journalled by an interrupted sync: committed if storage holds exactly their
   * bytes (that PUT happened), dropped otherwise. Runs before the scan, so the plan below
   * compares against a baseline that already includes them.
   */
  private async recover(ws: WorkspaceRow, baseline: Map<string, BaselineEntry>, materialized: ReadonlyMap<string, BaselineEntry>, outcome: { created: SyncedFile[]; updated: SyncedFile[]; conflicts: SyncConflict[] }): Promise<void> {
    const pending = await this.tx.run(ws.tenantId, (em) => this.repo.pendingSyncVersions(em, ws.id));
    if (pending.length === 0) return;
    const heads = new Map<string, { versionId: string; etag: string } | null>();
    await forEachLimit(pending, this.config.workspaces.uploadConcurrency, async (p) => {
      const head = await this.store.headCurrent(p.objectKey);
      const mine = head && head.checksumSha256 === hexToBase64(p.sha256Hex) && head.size === p.size;
      heads.set(p.versionId, mine ? { versionId: head.versionId, etag: head.etag } : null);
    });
    await this.tx.run(ws.tenantId, async (em) => {
      const locked = await this.repo.lockFiles(em, [...new Set(pending.map((p) => p.fileId))]);
      for (const p of pending) {
        const stored = heads.get(p.versionId);
        const file = locked.get(p.fileId);
        const committable =
          stored && file && !file.deleted && file.currentVersionId === p.baseVersionId && !(await this.repo.isStoredVersionCommitted(em, p.fileId, stored.versionId));
        if (!committable) {
          await this.repo.failVersion(em, p.versionId, 'an interrupted sync that never wrote its bytes');
          await this.repo.retireFileIfEmpty(em, p.fileId);
          continue;
        }
        const intent = recoveredIntent(p, stored, derivedSourceOf(p.workspacePath, materialized));
        await this.commit(em, ws, intent, outcome, true);
        baseline.set(p.workspacePath, entryOf(intent));
      }
      await this.repo.update(em, ws.id, { baseline: { entries: [...baseline.values()] } });
    });
    await this.invalidate(ws);
    this.logger.log({ workspaceId: ws.id, journalled: pending.length }, 'finished an interrupted sync');
  }

  /** One transaction: a pending version per change, at its own path or at a conflict copy. */
  private async journal(
    ws: WorkspaceRow,
    dir: string,
    baseline: ReadonlyMap<string, BaselineEntry>,
    changes: ReadonlyArray<{ file: ScannedFile; sha256Hex: string; size: number; base: BaselineEntry | null }>,
    outcome: { retry: SyncOutcome['retry'] },
  ): Promise<Intent[]> {
    return this.tx.run(ws.tenantId, async (em) => {
      const locked = await this.repo.lockFiles(em, [...new Set(changes.flatMap((c) => (c.base ? [c.base.fileId] : [])))]);
      const clashes = await this.repo.folderClashes(em, ws.caseId, changes.filter((c) => !c.base).map((c) => c.file.path));
      const intents: Intent[] = [];
      for (const change of changes) {
        if (!change.base && clashes.has(change.file.path)) {
          // A copy next to it would clash the same way: the agent must move it; reported, kept on disk.
          outcome.retry.push({ path: change.file.path, reason: 'the case has a file where this path needs a folder, or a folder of this name' });
          continue;
        }
        const source = derivedSourceOf(change.file.path, baseline);
        const intent: Intent = {
          path: change.file.path,
          absolute: resolveInWorkspace(dir, change.file.path),
          sha256Hex: change.sha256Hex,
          size: change.size,
          mtimeMs: change.file.mtimeMs,
          contentType: contentTypeOf(change.file.path),
          derivedFrom: source ? { fileId: source.fileId, versionId: source.versionId } : null,
          fileId: '',
          versionId: '',
          filePath: change.file.path,
          baseVersionId: null,
          condition: { ifNoneMatch: '*' },
          conflict: null,
        };
        if (change.base) {
          const file = locked.get(change.base.fileId);
          if (file && !file.deleted && file.currentVersionId === change.base.versionId) {
            Object.assign(intent, { fileId: file.id, filePath: file.path, baseVersionId: change.base.versionId, condition: { ifMatch: change.base.etag } });
          } else {
            await this.toConflictCopy(em, ws, intent, 'changed-in-case');
          }
        } else {
          const fileId = await this.repo.insertFile(em, { ...scopeOf(ws), path: intent.path, contentType: intent.contentType, derivedFrom: intent.derivedFrom });
          if (fileId) intent.fileId = fileId;
          else await this.toConflictCopy(em, ws, intent, 'path-taken');
        }
        intent.versionId = await this.insertVersion(em, ws, intent);
        intents.push(intent);
      }
      return intents;
    });
  }

  /** PUTs one change; a lost race becomes a conflict copy, changed bytes a retry next time. */
  private async write(ws: WorkspaceRow, dir: string, intent: Intent, outcome: { retry: SyncOutcome['retry'] }): Promise<void> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        intent.stored = await this.put(ws, dir, intent);
        return;
      } catch (err) {
        if (err instanceof PreconditionFailedError && attempt === 0 && 'ifMatch' in intent.condition) {
          // Someone wrote this file after the workspace was made: the agent's bytes go next to it.
          await this.tx.run(ws.tenantId, async (em) => {
            await this.repo.failVersion(em, intent.versionId, 'lost the race for the file: kept as a conflict copy');
            await this.toConflictCopy(em, ws, intent, 'changed-in-case');
            intent.versionId = await this.insertVersion(em, ws, intent);
          });
          continue;
        }
        const localCode = err instanceof LocalFileError ? err.code : undefined;
        const definite = err instanceof BadDigestError || err instanceof PreconditionFailedError || err instanceof LocalFileError;
        if (!definite) {
          // Storage may have stored the bytes even though no answer came back: the version stays
          // journalled, and the next sync commits it if storage holds exactly these bytes.
          this.logger.warn({ workspaceId: ws.id, path: intent.path, err }, 'sync write got no clear answer; settled by the next sync');
          outcome.retry.push({ path: intent.path, reason: 'storage gave no clear answer; the next sync settles it' });
          return;
        }
        const reason =
          err instanceof BadDigestError ? 'changed while it was being uploaded' : localCode === 'ENOENT' ? 'removed during the sync' : `could not be read (${String(localCode ?? 'precondition')})`;
        await this.tx.run(ws.tenantId, async (em) => {
          await this.repo.failVersion(em, intent.versionId, reason);
          await this.repo.retireFileIfEmpty(em, intent.fileId);
        });
        outcome.retry.push({ path: intent.path, reason });
        return;
      }
    }
  }

  private async put(ws: WorkspaceRow, dir: string, intent: Intent): Promise<{ versionId: string; etag: string }> {
    // The scan saw a regular file; refuse anything swapped in since (a symlink fails O_NOFOLLOW).
    const body = await (async () => {
      const stat = await lstat(intent.absolute);
      if (!stat.isFile() || stat.nlink > 1) throw Object.assign(new Error('no longer a plain file'), { code: 'ENOTREG' });
      return openNoFollow(intent.absolute, dir);
    })().catch((err: unknown) => {
      throw new LocalFileError((err as NodeJS.ErrnoException).code ?? 'EIO');
    });
    try {
      return await this.store.putObject({
        key: objectKeyOf(ws.tenantId, ws.caseId, intent.fileId),
        body,
        contentLength: intent.size,
        contentType: intent.contentType,
        sha256Base64: hexToBase64(intent.sha256Hex),
        condition: intent.condition,
      });
    } finally {
      // Closes the file however the PUT ended (it may fail before reading a byte).
      (body as NodeJS.ReadableStream & { destroy(): void }).destroy();
    }
  }

  private async toConflictCopy(em: EntityManager, ws: WorkspaceRow, intent: Intent, reason: SyncConflict['reason']): Promise<void> {
    for (let attempt = 1; attempt <= 100; attempt++) {
      const path = conflictCopyPath(intent.path, ws.id, attempt);
      const fileId = await this.repo.insertFile(em, { ...scopeOf(ws), path, contentType: intent.contentType, derivedFrom: intent.derivedFrom });
      if (fileId) {
        Object.assign(intent, { fileId, filePath: path, baseVersionId: null, condition: { ifNoneMatch: '*' }, conflict: reason });
        return;
      }
    }
    throw new Error(`no free conflict-copy name for ${intent.path}`);
  }

  private insertVersion(em: EntityManager, ws: WorkspaceRow, intent: Intent): Promise<string> {
    return this.repo.insertPendingVersion(em, {
      tenantId: ws.tenantId,
      fileId: intent.fileId,
      objectKey: objectKeyOf(ws.tenantId, ws.caseId, intent.fileId),
      size: intent.size,
      sha256Hex: intent.sha256Hex,
      contentType: intent.contentType,
      baseVersionId: intent.baseVersionId,
      workspaceId: ws.id,
      workspacePath: intent.path,
      createdBy: actorOf(ws),
      expiresAt: new Date(Date.now() + JOURNAL_TTL_MS),
    });
  }

  private async commit(
    em: EntityManager,
    ws: WorkspaceRow,
    intent: Intent,
    outcome: { created: SyncedFile[]; updated: SyncedFile[]; conflicts: SyncConflict[] },
    recovered = false,
  ): Promise<void> {
    const stored = intent.stored as { versionId: string; etag: string };
    const versionNo = await this.repo.commitVersion(em, {
      versionId: intent.versionId,
      fileId: intent.fileId,
      s3VersionId: stored.versionId,
      etag: stored.etag,
      contentType: intent.contentType,
      derivedFrom: intent.derivedFrom,
    });
    const record = { path: intent.filePath, fileId: intent.fileId, versionNo, ...(recovered ? { recovered: true as const } : {}) };
    const action = intent.conflict ? 'workspace.sync.conflict-copy' : intent.baseVersionId ? 'workspace.sync.updated' : 'workspace.sync.created';
    if (intent.conflict) outcome.conflicts.push({ ...record, source: intent.path, reason: intent.conflict });
    else if (intent.baseVersionId) outcome.updated.push(record);
    else outcome.created.push(record);
    await appendAudit(em, {
      tenantId: ws.tenantId,
      caseId: ws.caseId,
      fileId: intent.fileId,
      actor: actorOf(ws),
      action,
      details: {
        workspaceId: ws.id,
        requestedBy: ws.createdBy,
        workspacePath: intent.path,
        path: intent.filePath,
        versionId: intent.versionId,
        versionNo,
        sha256: intent.sha256Hex,
        size: intent.size,
        ...(intent.derivedFrom ? { derivedFrom: intent.derivedFrom } : {}),
        ...(intent.conflict ? { conflict: intent.conflict } : {}),
        ...(recovered ? { recovered: true } : {}),
      },
    });
  }

  private async invalidate(ws: WorkspaceRow): Promise<void> {
    if (!(await this.cache.invalidate(ws.tenantId, ws.caseId))) {
      this.logger.warn({ workspaceId: ws.id }, 'manifest cache not invalidated after a sync; the listing catches up at its TTL');
    }
  }
}

/** The agent's file could not be read before its PUT: nothing reached storage. */
class LocalFileError extends Error {
  constructor(readonly code: string) {
    super(`the file could not be read (${code})`);
  }
}

/** Versions written for a workspace name it as their author (chain of custody: which agent run). */
export function actorOf(ws: Pick<WorkspaceRow, 'id'>): string {
  return `workspace:${ws.id}`;
}

function scopeOf(ws: WorkspaceRow): { tenantId: string; caseId: string; createdBy: string } {
  return { tenantId: ws.tenantId, caseId: ws.caseId, createdBy: actorOf(ws) };
}

function entryOf(intent: Intent): BaselineEntry {
  const stored = intent.stored as { versionId: string; etag: string };
  return {
    path: intent.path,
    fileId: intent.fileId,
    versionId: intent.versionId,
    etag: stored.etag,
    sha256: intent.sha256Hex,
    size: intent.size,
    mtimeMs: intent.mtimeMs,
  };
}

function recoveredIntent(p: PendingSyncVersion, stored: { versionId: string; etag: string }, source: BaselineEntry | null): Intent {
  return {
    path: p.workspacePath,
    absolute: '',
    sha256Hex: p.sha256Hex,
    size: p.size,
    // Unknown: the next plan hashes the file once and, if unchanged, records its mtime.
    mtimeMs: -1,
    contentType: p.contentType,
    derivedFrom: source ? { fileId: source.fileId, versionId: source.versionId } : null,
    fileId: p.fileId,
    versionId: p.versionId,
    filePath: p.filePath,
    baseVersionId: p.baseVersionId,
    condition: p.baseVersionId ? { ifMatch: '' } : { ifNoneMatch: '*' },
    conflict: p.baseVersionId === null && p.filePath !== p.workspacePath ? 'changed-in-case' : null,
    stored,
  };
}
