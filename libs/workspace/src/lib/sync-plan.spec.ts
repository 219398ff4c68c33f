import { BaselineEntry, planSync } from './sync-plan';

const base = (path: string, size = 10, mtimeMs = 1000): BaselineEntry => ({
  path,
  fileId: `f-${path}`,
  versionId: `v-${path}`,
  etag: `"e-${path}"`,
  sha256: 'a'.repeat(64),
  size,
  mtimeMs,
});

describe('planSync', () => {
  it('sorts a scan into created, unchanged, touched and missing', () => {
    const plan = planSync(
      [base('same.pdf'), base('resized.pdf'), base('retouched.pdf'), base('gone.pdf')],
      [
        { path: 'same.pdf', size: 10, mtimeMs: 1000 },
        { path: 'resized.pdf', size: 11, mtimeMs: 1000 },
        { path: 'retouched.pdf', size: 10, mtimeMs: 2000 },
        { path: 'same.pdf.md', size: 3, mtimeMs: 3000 },
      ],
    );
    expect(plan.created.map((f) => f.path)).toEqual(['same.pdf.md']);
    expect(plan.unchanged.map((u) => u.file.path)).toEqual(['same.pdf']);
    expect(plan.touched.map((t) => [t.file.path, t.base.etag])).toEqual([
      ['resized.pdf', '"e-resized.pdf"'],
      ['retouched.pdf', '"e-retouched.pdf"'],
    ]);
    expect(plan.missing.map((m) => m.path)).toEqual(['gone.pdf']);
  });

  it('needs no file content for 10,000 unchanged files', () => {
    const baseline = Array.from({ length: 10_000 }, (_, i) => base(`f${i}.pdf`));
    const plan = planSync(baseline, baseline.map((b) => ({ path: b.path, size: b.size, mtimeMs: b.mtimeMs })));
    expect(plan.unchanged).toHaveLength(10_000);
    expect(plan.touched.length + plan.created.length + plan.missing.length).toBe(0);
  });
});
