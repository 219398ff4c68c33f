import { checkUploadBatch, partSizes, UploadPolicy } from './upload-entry.rules';
import { UploadErrorCode } from './upload.errors';

const MiB = 1024 * 1024;
const policy: UploadPolicy = {
  maxFilesPerBatch: 3,
  maxFileSize: 100 * MiB,
  multipartThreshold: 8 * MiB,
  partSize: 5 * MiB,
  allowedContentTypes: ['application/pdf', 'text/plain'],
};
const hex = (c: string) => c.repeat(64);
const ok = { path: 'a.pdf', size: 10, sha256: hex('a'), contentType: 'application/pdf' };

describe('partSizes', () => {
  it('cuts a file into full parts and a shorter last one', () => {
    expect(partSizes(11 * MiB, 5 * MiB)).toEqual([5 * MiB, 5 * MiB, MiB]);
    expect(partSizes(10 * MiB, 5 * MiB)).toEqual([5 * MiB, 5 * MiB]);
    expect(partSizes(1, 5 * MiB)).toEqual([1]);
  });
});

describe('checkUploadBatch', () => {
  it('canonicalises a valid entry: NFC path, lower-case hash, base64 checksum', () => {
    const { entries, problems } = checkUploadBatch([{ ...ok, path: 'Cafe\u0301.pdf', sha256: hex('A') }], policy);
    expect(problems).toEqual([]);
    expect(entries[0]).toMatchObject({ path: 'Caf\u00e9.pdf', sha256Hex: hex('a'), parts: null });
    expect(Buffer.from(entries[0].sha256Base64, 'base64').toString('hex')).toBe(hex('a'));
  });

  it('accepts a media type with parameters but checks the type itself', () => {
    expect(checkUploadBatch([{ ...ok, contentType: 'text/plain; charset=utf-8' }], policy).problems).toEqual([]);
    expect(checkUploadBatch([{ ...ok, contentType: 'TEXT/PLAIN' }], policy).problems).toEqual([]);
    expect(checkUploadBatch([{ ...ok, contentType: 'text/html' }], policy).problems[0].code).toBe(UploadErrorCode.ContentTypeNotAllowed);
  });

  it('plans the parts of a multipart file from the declared part hashes', () => {
    const size = 12 * MiB;
    const { entries, problems } = checkUploadBatch([{ ...ok, size, parts: [{ sha256: hex('1') }, { sha256: hex('2') }, { sha256: hex('3') }] }], policy);
    expect(problems).toEqual([]);
    expect(entries[0].parts?.map((p) => [p.partNumber, p.size])).toEqual([
      [1, 5 * MiB],
      [2, 5 * MiB],
      [3, 2 * MiB],
    ]);
  });

  it('wants exactly one hash per part', () => {
    const out = checkUploadBatch([{ ...ok, size: 12 * MiB, parts: [{ sha256: hex('1') }] }], policy);
    expect(out.problems[0]).toMatchObject({ index: 0, code: UploadErrorCode.InvalidParts });
    expect(out.problems[0].message).toContain('3 in all');
  });

  it('reports every problem of every entry, in entry order', () => {
    const { problems } = checkUploadBatch([{ ...ok, size: 0, sha256: 'nope' }, ok, { ...ok, path: '../x' }], policy);
    expect(problems.map((p) => [p.index, p.code])).toEqual([
      [0, UploadErrorCode.InvalidSize],
      [0, UploadErrorCode.InvalidSha256],
      [2, UploadErrorCode.InvalidPath],
    ]);
  });

  it('refuses an empty or oversized batch before looking at entries', () => {
    expect(checkUploadBatch([], policy).problems[0].code).toBe(UploadErrorCode.EmptyBatch);
    expect(checkUploadBatch([ok, ok, ok, ok], policy).problems[0].code).toBe(UploadErrorCode.TooManyFiles);
  });
});
