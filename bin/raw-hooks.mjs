// Node module hooks that give `import text from './file.py?raw'` the file's text as its default export, as Vite and
// vitest do (the Python harness, src/core/verify/*.py). Registered by bin/raftlab.mjs and bin/run-ts.mjs (see
// register-raw.mjs); with plain tsx: `npx tsx --import ./bin/register-raw.mjs FILE.ts`.
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:')) {
    const u = new URL(url);
    if (u.searchParams.has('raw')) {
      u.search = '';
      return { format: 'module', source: `export default ${JSON.stringify(await readFile(u, 'utf8'))};`, shortCircuit: true };
    }
  }
  return nextLoad(url, context);
}
