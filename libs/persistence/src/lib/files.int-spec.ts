import {
  aFile,
  aFileVersion,
  committed,
  createTestDataSource,
  givenTenantWithCase,
  migrateTestDatabase,
  tenancyOf,
} from '@case-storage/testing';
import { DataSource, IsNull } from 'typeorm';
import { FileVersionEntity } from './entities/file-version.entity';
import { FileEntity } from './entities/file.entity';
import { PgErrorInfo, pgErrorOf } from './persistence.error';
import { TenantTransactions } from './tenant-transactions.service';

async function rejection(p: Promise<unknown>): Promise<PgErrorInfo | undefined> {
  try {
    await p;
  } catch (err) {
    return pgErrorOf(err);
  }
  throw new Error('expected the database to reject the statement');
}

describe('files and file_versions constraints', () => {
  let ds: DataSource;
  let tx: TenantTransactions;
  let scope: { tenantId: string; caseId: string };

  beforeAll(async () => {
    await migrateTestDatabase();
    ds = await createTestDataSource();
    tx = tenancyOf(ds).transactions;
    const given = await givenTenantWithCase(ds);
    scope = { tenantId: given.tenant.id, caseId: given.case.id };
  });

  afterAll(async () => {
    await ds?.destroy();
  });

  const insertFile = (overrides: Parameters<typeof aFile>[1]) =>
    tx.run(scope.tenantId, async (em) => {
      const file = aFile(scope, overrides);
      await em.insert(FileEntity, file);
      return file;
    });

  it('allows one live row per path and case, and the path again after a soft delete', async () => {
    const path = 'Korrespondenz/Schreiben an Gegenseite.pdf';
    const first = await insertFile({ path });
    expect(await rejection(insertFile({ path }))).toMatchObject({ code: '23505', constraint: 'files_case_path_live_key' });

    await tx.run(scope.tenantId, (em) => em.update(FileEntity, { id: first.id }, { deletedAt: new Date() }));
    const second = await insertFile({ path });

    // Both rows exist; only the second is live.
    const rows = await tx.run(scope.tenantId, (em) => em.find(FileEntity, { where: { caseId: scope.caseId, path } }));
    expect(rows.map((r) => [r.id, r.deletedAt === null]).sort()).toEqual(
      [
        [first.id, false],
        [second.id, true],
      ].sort(),
    );
    // A second soft-deleted row with the same path is fine too (history).
    await tx.run(scope.tenantId, (em) => em.update(FileEntity, { id: second.id }, { deletedAt: new Date() }));
    await insertFile({ path });
    expect(
      await tx.run(scope.tenantId, (em) => em.countBy(FileEntity, { caseId: scope.caseId, path, deletedAt: IsNull() })),
    ).toBe(1);
  });

  it('allows the same path in another case', async () => {
    const other = await givenTenantWithCase(ds);
    const path = 'shared-name.txt';
    await insertFile({ path });
    await tx.run(other.tenant.id, (em) =>
      em.insert(FileEntity, aFile({ tenantId: other.tenant.id, caseId: other.case.id }, { path })),
    );
  });

  it.each([
    ['a leading slash', '/etc/passwd'],
    ['a trailing slash', 'folder/'],
    ['an empty segment', 'a//b.txt'],
    ['a dot-dot segment', 'a/../b.txt'],
    ['a dot segment', './b.txt'],
    ['a control character', 'a\u0007b.txt'],
    ['a non-NFC path (decomposed é)', 'Re\u0301sume\u0301.pdf'],
    ['an empty path', ''],
  ])('rejects %s', async (_what, path) => {
    expect(await rejection(insertFile({ path }))).toMatchObject({ code: '23514', constraint: 'files_path_check' });
  });

  it('accepts NFC unicode paths, spaces and dots inside names', async () => {
    const path = 'Verträge/Résumé ... v2.final.pdf'.normalize('NFC');
    const file = await insertFile({ path });
    const [row] = await tx.run(scope.tenantId, (em) => em.findBy(FileEntity, { id: file.id }));
    expect(row.path).toBe(path);
  });

  it('numbers versions uniquely per file and stores sizes beyond 32 bits as numbers', async () => {
    const file = await insertFile({});
    const fileScope = { ...scope, fileId: file.id };
    const fiveGiB = 5 * 1024 ** 3;
    const v1 = aFileVersion(fileScope, committed({ size: fiveGiB }));
    await tx.run(scope.tenantId, async (em) => {
      await em.insert(FileVersionEntity, v1);
      await em.update(FileEntity, { id: file.id }, { currentVersionId: v1.id });
    });
    expect(
      await rejection(tx.run(scope.tenantId, (em) => em.insert(FileVersionEntity, aFileVersion(fileScope, { versionNo: 1 })))),
    ).toMatchObject({ code: '23505', constraint: 'file_versions_file_version_no_key' });
    await tx.run(scope.tenantId, (em) => em.insert(FileVersionEntity, aFileVersion(fileScope, { versionNo: 2 })));

    const stored = await tx.run(scope.tenantId, (em) => em.findOneByOrFail(FileVersionEntity, { id: v1.id }));
    expect(stored.size).toBe(fiveGiB);
    expect(typeof stored.size).toBe('number');
    expect(stored.contentHash).toBe(v1.contentHash);
  });

  it('requires a committed version to name its stored object', async () => {
    const file = await insertFile({});
    const incomplete = aFileVersion({ ...scope, fileId: file.id }, committed({ s3VersionId: null }));
    expect(await rejection(tx.run(scope.tenantId, (em) => em.insert(FileVersionEntity, incomplete)))).toMatchObject({
      code: '23514',
      constraint: 'file_versions_committed_check',
    });
    const badHash = aFileVersion({ ...scope, fileId: file.id }, { contentHash: 'ABC' });
    expect(await rejection(tx.run(scope.tenantId, (em) => em.insert(FileVersionEntity, badHash)))).toMatchObject({
      code: '23514',
      constraint: 'file_versions_content_hash_check',
    });
  });

  it("only accepts a current version that belongs to the same file", async () => {
    const [f1, f2] = [await insertFile({}), await insertFile({})];
    const v = aFileVersion({ ...scope, fileId: f2.id }, committed());
    await tx.run(scope.tenantId, (em) => em.insert(FileVersionEntity, v));
    expect(
      await rejection(tx.run(scope.tenantId, (em) => em.update(FileEntity, { id: f1.id }, { currentVersionId: v.id }))),
    ).toMatchObject({ code: '23503', constraint: 'files_current_version_fkey' });
  });

  it('links a derivative to the exact source version, and only derivatives', async () => {
    const source = await insertFile({ path: 'contract.pdf' });
    const v = aFileVersion({ ...scope, fileId: source.id }, committed());
    await tx.run(scope.tenantId, (em) => em.insert(FileVersionEntity, v));
    const derived = await insertFile({
      path: 'contract.pdf.md',
      kind: 'derived',
      contentType: 'text/markdown',
      derivedFromFileId: source.id,
      derivedFromVersionId: v.id,
    });
    const row = await tx.run(scope.tenantId, (em) => em.findOneByOrFail(FileEntity, { id: derived.id }));
    expect([row.kind, row.derivedFromFileId, row.derivedFromVersionId]).toEqual(['derived', source.id, v.id]);

    expect(await rejection(insertFile({ derivedFromFileId: source.id }))).toMatchObject({
      code: '23514',
      constraint: 'files_derived_check',
    });
    const stranger = await insertFile({});
    expect(
      await rejection(insertFile({ kind: 'derived', derivedFromFileId: stranger.id, derivedFromVersionId: v.id })),
    ).toMatchObject({ code: '23503', constraint: 'files_derived_from_version_fkey' });
  });
});
