// `npm run -w @defect-rag/api schema`: writes apps/api/schema.graphql from the code.
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printApiSchema } from './schema';

export const SCHEMA_FILE = fileURLToPath(new URL('../schema.graphql', import.meta.url));

await writeFile(SCHEMA_FILE, await printApiSchema());
console.log(`wrote ${SCHEMA_FILE}`);
