import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderSchemaDocument, SCHEMA_DOCUMENT_PATH } from './document.js';

// `npm run protocol:gen`: regenerate protocol/schema.json from the TypeBox definitions.

const path = fileURLToPath(SCHEMA_DOCUMENT_PATH);
const next = renderSchemaDocument();
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
  console.log(`wrote ${path}`);
}
