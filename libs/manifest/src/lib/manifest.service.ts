import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { CaseAccessService } from '@case-storage/auth';
import { parseUuid, Principal } from '@case-storage/domain';
import { ManifestCache } from '@case-storage/manifest-cache';
import { ObjectStore } from '@case-storage/object-storage';
import { Counter } from 'prom-client';
import { encodeCursor, ManifestQuery, pageField, parseManifestQuery } from './manifest-query';
import { buildTree } from './manifest-tree';
import { ManifestError, ManifestErrorCode } from './manifest.errors';
import { ManifestRepository } from './manifest.repository';

/** A page rendered once and served as bytes, from the cache or straight after building it. */
export interface RenderedPage {
  readonly etag: string;
  readonly body: string;
}

export const manifestRedisFallbacks = new Counter({
  name: 'manifest_redis_fallbacks_total',
  help: 'Listings served from PostgreSQL because Redis was unreachable',
});
export const manifestCacheHits = new Counter({ name: 'manifest_cache_hits_total', help: 'Listings served from the Redis cache' });

const CACHE_TTL_SECONDS = 3600;
const FILL_LOCK_MS = 10_000;
const FILL_WAIT_MS = 5_000;
const FILL_POLL_MS = 20;
const DOWNLOAD_URL_TTL_SECONDS = 300;

/**
 * The case listing (DESIGN.md §4 Listing): read-through Redis cache with a generation
 * check so a page built from an older read is never stored over a newer invalidation,
 * single-flight per process and a fill lock across replicas against stampedes, and
 * PostgreSQL alone while Redis is down.
 */
@Injectable()
export class ManifestService {
  private readonly logger = new Logger(ManifestService.name);
  private readonly inflight = new Map<string, Promise<RenderedPage>>();
  private lastFallbackLog = 0;

  constructor(
    private readonly access: CaseAccessService,
    private readonly repo: ManifestRepository,
    private readonly cache: ManifestCache,
    private readonly store: ObjectStore,
  ) {}

  async listing(principal: Principal, caseIdParam: string, rawQuery: Record<string, unknown>): Promise<RenderedPage> {
    const caseId = parseUuid(caseIdParam, 'caseId');
    const query = parseManifestQuery(rawQuery);
    const tenantId = principal.tenantId;
    const field = pageField(query);
    // The cached page is fetched alongside the access check (one Redis round trip for
    // both), but nothing of it is used, or even looked at, unless access is granted.
    const cachedPage = this.cache.getPage(tenantId, caseId, field);
    cachedPage.catch(() => undefined);
    await this.access.assertCaseAccess(principal, caseId, 'viewer');

    let generation: string;
    try {
      const cached = await cachedPage;
      if (cached !== null) {
        manifestCacheHits.inc();
        return parseStored(cached);
      }
      generation = await this.cache.generation(tenantId, caseId);
    } catch (err) {
      this.noteFallback(err);
      return this.render(tenantId, caseId, query);
    }

    // Requests that saw the same generation share one build: its read started after that
    // generation was current, so it includes every write whose response had returned.
    const flightKey = `${tenantId}:${caseId}:${generation}:${field}`;
    let flight = this.inflight.get(flightKey);
    if (!flight) {
      flight = this.fill(tenantId, caseId, query, field, generation).finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, flight);
    }
    return flight;
  }

  private async fill(tenantId: string, caseId: string, query: ManifestQuery, field: string, generation: string): Promise<RenderedPage> {
    let release: (() => Promise<void>) | null = null;
    try {
      release = await this.cache.tryLockFill(tenantId, caseId, field, FILL_LOCK_MS);
      if (!release) {
        // Another replica is building this page: wait for it rather than query too.
        const deadline = Date.now() + FILL_WAIT_MS;
        while (Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, FILL_POLL_MS));
          const cached = await this.cache.getPage(tenantId, caseId, field);
          if (cached !== null) return parseStored(cached);
          if ((await this.cache.generation(tenantId, caseId)) !== generation) break;
        }
      }
    } catch (err) {
      this.noteFallback(err);
      return this.render(tenantId, caseId, query);
    }
    try {
      const page = await this.render(tenantId, caseId, query);
      await this.cache.putPage(tenantId, caseId, field, generation, `${page.etag}\n${page.body}`, CACHE_TTL_SECONDS).catch((err: unknown) => this.noteFallback(err));
      return page;
    } finally {
      await release?.();
    }
  }

  private async render(tenantId: string, caseId: string, query: ManifestQuery): Promise<RenderedPage> {
    const { files, more } = await this.repo.page(tenantId, caseId, query);
    const nextCursor = more && files.length > 0 ? encodeCursor(files[files.length - 1].path, query.prefix) : null;
    const listing = query.flat ? { files } : { tree: buildTree(files, query.prefix) };
    const body = JSON.stringify({ caseId, prefix: query.prefix, ...listing, page: { limit: query.limit, count: files.length, nextCursor } });
    return { etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`, body };
  }

  private noteFallback(err: unknown): void {
    manifestRedisFallbacks.inc();
    if (Date.now() - this.lastFallbackLog > 10_000) {
      this.lastFallbackLog = Date.now();
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'Redis unreachable: serving listings from PostgreSQL');
    }
  }

  async versions(principal: Principal, caseIdParam: string, fileIdParam: string) {
    const caseId = parseUuid(caseIdParam, 'caseId');
    const fileId = parseUuid(fileIdParam, 'fileId');
    await this.access.assertCaseAccess(principal, caseId, 'viewer');
    const file = await this.repo.fileExists(principal.tenantId, caseId, fileId);
    if (!file) throw new ManifestError(ManifestErrorCode.FileNotFound, `no file ${fileId} in this case`);
    const versions = await this.repo.versions(principal.tenantId, caseId, fileId);
    return {
      fileId,
      path: file.path,
      versions: versions.map((v) => ({
        id: v.id,
        number: v.number,
        size: v.size,
        sha256: v.sha256,
        contentType: v.contentType,
        s3VersionId: v.s3VersionId,
        etag: v.etag,
        committedAt: v.committedAt.toISOString(),
        committedBy: v.committedBy,
        verified: v.verified,
      })),
    };
  }

  /** A short-lived pre-signed GET of one version, saved under a safe file name. */
  async downloadUrl(principal: Principal, caseIdParam: string, fileIdParam: string, versionParam: unknown) {
    const caseId = parseUuid(caseIdParam, 'caseId');
    const fileId = parseUuid(fileIdParam, 'fileId');
    let number: number | null = null;
    if (versionParam !== undefined && versionParam !== '') {
      if (typeof versionParam !== 'string' || !/^\d{1,9}$/.test(versionParam) || Number(versionParam) < 1) {
        throw new ManifestError(ManifestErrorCode.InvalidVersion, 'version must be a version number (1, 2, ...)');
      }
      number = Number(versionParam);
    }
    await this.access.assertCaseAccess(principal, caseId, 'viewer');
    const file = await this.repo.fileExists(principal.tenantId, caseId, fileId);
    if (!file) throw new ManifestError(ManifestErrorCode.FileNotFound, `no file ${fileId} in this case`);
    const versions = await this.repo.versions(principal.tenantId, caseId, fileId);
    const version = number === null ? versions[0] : versions.find((v) => v.number === number);
    if (!version) throw new ManifestError(ManifestErrorCode.VersionNotFound, `file ${fileId} has no version ${number}`);
    const fileName = file.path.slice(file.path.lastIndexOf('/') + 1);
    const url = await this.store.presignGet({
      key: version.objectKey,
      versionId: version.s3VersionId,
      fileName,
      contentType: version.contentType,
      expiresInSeconds: DOWNLOAD_URL_TTL_SECONDS,
    });
    return { url, fileName, version: version.number, expiresAt: new Date(Date.now() + DOWNLOAD_URL_TTL_SECONDS * 1000).toISOString() };
  }
}

function parseStored(stored: string): RenderedPage {
  const newline = stored.indexOf('\n');
  return { etag: stored.slice(0, newline), body: stored.slice(newline + 1) };
}
