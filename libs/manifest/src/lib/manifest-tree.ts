/** One file as the listing shows it. */
export interface ManifestFile {
  readonly id: string;
  readonly path: string;
  readonly name: string;
  readonly size: number;
  readonly contentType: string;
  readonly sha256: string;
  readonly kind: 'original' | 'derived';
  readonly version: { readonly id: string; readonly number: number; readonly committedAt: string; readonly committedBy: string; readonly verified: boolean };
  /** For a derived file: what it was made from, and whether that source has since moved on. */
  readonly derivedFrom: {
    readonly fileId: string;
    readonly path: string | null;
    readonly versionId: string | null;
    readonly versionNumber: number | null;
    readonly sourceChanged: boolean;
  } | null;
}

export interface ManifestFolder {
  readonly name: string;
  readonly path: string;
  readonly folders: ManifestFolder[];
  readonly files: ManifestFile[];
}

/**
 * Folds path-sorted files into a tree whose folders are derived from the paths. `root`
 * is the folder the listing starts at ("" for the case). Pure and linear in the input.
 */
export function buildTree(files: readonly ManifestFile[], root: string): ManifestFolder {
  const top: ManifestFolder = { name: root.split('/').pop() ?? '', path: root, folders: [], files: [] };
  const folders = new Map<string, ManifestFolder>([[root, top]]);
  const folderOf = (path: string): ManifestFolder => {
    const existing = folders.get(path);
    if (existing) return existing;
    const slash = path.lastIndexOf('/');
    const parentPath = slash === -1 ? '' : path.slice(0, slash);
    const parent = folderOf(parentPath.length < root.length ? root : parentPath);
    const folder: ManifestFolder = { name: path.slice(slash + 1), path, folders: [], files: [] };
    parent.folders.push(folder);
    folders.set(path, folder);
    return folder;
  };
  for (const file of files) {
    const slash = file.path.lastIndexOf('/');
    const dir = slash === -1 ? '' : file.path.slice(0, slash);
    folderOf(dir.length < root.length ? root : dir).files.push(file);
  }
  return top;
}
