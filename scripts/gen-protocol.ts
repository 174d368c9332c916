// `npm run protocol:gen`: regenerate what is derived from the TypeBox definitions in protocol/*.ts — the JSON
// Schema document (protocol/schema.json) and the precompiled validators (protocol/precompiled.generated.js).
// Run it after any change to protocol/*.ts and commit the result: a test fails while either is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchemaDocument, SCHEMA_DOCUMENT_PATH } from '../protocol/document.js';
import { PRECOMPILED_PATH, renderPrecompiledValidators } from './precompiled-validators.js';

for (const [url, render] of [[SCHEMA_DOCUMENT_PATH, renderSchemaDocument], [PRECOMPILED_PATH, renderPrecompiledValidators]] as const) {
  const path = fileURLToPath(url);
  const next = render();
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === next) {
    console.log(`${path} is up to date`);
  } else {
    writeFileSync(path, next);
    console.log(`wrote ${path} (${(next.length / 1024).toFixed(0)} KiB)`);
  }
}
