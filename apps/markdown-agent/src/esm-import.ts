import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { compileFunction, constants } from 'node:vm';

type ImportFn = (url: string) => Promise<unknown>;

// A literal `import()` would not survive the build: tsc's CommonJS output turns it into
// `require()`, which cannot load an ESM-only package. Code built from a string is left alone.
const nativeImport = new Function('url', 'return import(url)') as ImportFn;

/**
 * Loads an ESM-only package from CommonJS code. The specifier is resolved from this file,
 * not from the working directory: the agent runs inside the workspace, where there is no
 * `node_modules`.
 */
export async function importEsm(specifier: string): Promise<unknown> {
  const url = pathToFileURL(createRequire(__filename).resolve(specifier)).href;
  try {
    return await nativeImport(url);
  } catch (error) {
    // Inside a vm context that has no ESM loader of its own (Jest runs every module in
    // one), `import()` rejects. The main context's loader is the one a plain `node` run
    // uses; Node 20 flags it experimental, so it is only the fallback.
    const mainContextImport = constants.USE_MAIN_CONTEXT_DEFAULT_LOADER;
    if (mainContextImport === undefined) throw error;
    const viaMainContext = compileFunction('return import(url)', ['url'], { importModuleDynamically: mainContextImport }) as ImportFn;
    return viaMainContext(url);
  }
}
