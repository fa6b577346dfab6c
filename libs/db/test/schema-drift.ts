import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import { workspaceRoot } from '@defect-rag/runtime';

/**
 * What `schema.prisma` says the database must contain, read from Prisma's own DMMF, next to what
 * the database really has after the migrations ran. Each side is a sorted list of one-line facts,
 * so a test can compare them and print the difference.
 */
interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'enum' | 'object';
  type: string;
  isRequired: boolean;
  isList: boolean;
  hasDefaultValue: boolean;
  default?: unknown;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  dbName?: string | null;
  fields: { name: string }[];
}
interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: { name: string; values: { name: string }[] }[]; indexes: DmmfIndex[] };
}

const SCALAR_TYPES: Record<string, string> = {
  String: 'text',
  Int: 'int4',
  BigInt: 'int8',
  Float: 'float8',
  Decimal: 'numeric',
  Boolean: 'bool',
  DateTime: 'timestamp',
  Json: 'jsonb',
  Bytes: 'bytea',
};
const NATIVE_TYPES: Record<string, string> = {
  Uuid: 'uuid',
  Timestamptz: 'timestamptz',
  Timestamp: 'timestamp',
  Text: 'text',
  VarChar: 'varchar',
  Integer: 'int4',
  BigInt: 'int8',
  JsonB: 'jsonb',
};
const ON_DELETE: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

export function schemaFacts(schemaFile = path.join(workspaceRoot, 'prisma', 'schema.prisma')): string[] {
  const dmmf = JSON.parse(
    get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', readFileSync(schemaFile, 'utf8')]] })),
  ) as Dmmf;
  const facts: string[] = [];
  const tableOf = new Map(dmmf.datamodel.models.map((model) => [model.name, model.dbName ?? model.name]));
  const columnOf = (model: DmmfModel, field: string) => {
    const found = model.fields.find((candidate) => candidate.name === field);
    return found?.dbName ?? field;
  };
  for (const model of dmmf.datamodel.models) {
    const table = tableOf.get(model.name)!;
    for (const field of model.fields) {
      if (field.kind === 'object') {
        if (field.relationFromFields?.length) {
          const columns = field.relationFromFields.map((name) => columnOf(model, name));
          const target = dmmf.datamodel.models.find((candidate) => candidate.name === field.type)!;
          const targetColumns = field.relationToFields!.map((name) => columnOf(target, name));
          const onDelete = ON_DELETE[field.relationOnDelete ?? (field.isRequired ? 'Restrict' : 'SetNull')];
          facts.push(
            `fk ${table}_${columns.join('_')}_fkey ${table}(${columns}) -> ${tableOf.get(field.type)}(${targetColumns}) on delete ${onDelete}`,
          );
        }
        continue;
      }
      const native = field.nativeType?.[0];
      const type =
        field.kind === 'enum'
          ? field.type
          : ((native && NATIVE_TYPES[native]) ?? SCALAR_TYPES[field.type] ?? `?${field.type}`);
      const precision = type.startsWith('timestamp') ? `(${field.nativeType?.[1]?.[0] ?? 3})` : '';
      const dbDefault = field.hasDefaultValue && !isClientSideDefault(field.default) ? ' default' : '';
      facts.push(
        `column ${table}.${field.dbName ?? field.name} ${type}${field.isList ? '[]' : ''}${precision} ${field.isRequired ? 'not null' : 'null'}${dbDefault}`,
      );
    }
  }
  for (const index of dmmf.datamodel.indexes) {
    const model = dmmf.datamodel.models.find((candidate) => candidate.name === index.model)!;
    const table = tableOf.get(model.name)!;
    const columns = index.fields.map((field) => columnOf(model, field.name));
    const suffix = index.type === 'id' ? 'pkey' : index.type === 'unique' ? 'key' : 'idx';
    const name = index.dbName ?? (index.type === 'id' ? `${table}_pkey` : `${table}_${columns.join('_')}_${suffix}`);
    facts.push(`index ${name} on ${table}(${columns.join(',')})${index.type === 'normal' ? '' : ' unique'}`);
  }
  for (const enumType of dmmf.datamodel.enums) {
    facts.push(`enum ${enumType.name} (${enumType.values.map((value) => value.name).join(',')})`);
  }
  return facts.sort();
}

function isClientSideDefault(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    ['uuid', 'cuid', 'nanoid', 'ulid'].includes((value as { name?: string }).name ?? '')
  );
}

export async function databaseFacts(databaseUrl: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const facts: string[] = [];
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      udt_name: string;
      is_nullable: string;
      column_default: string | null;
      datetime_precision: number | null;
      data_type: string;
    }>(`
      SELECT table_name, column_name, udt_name, is_nullable, column_default, datetime_precision, data_type
      FROM information_schema.columns
      WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'`);
    for (const c of columns.rows) {
      const isArray = c.data_type === 'ARRAY';
      const type = isArray ? c.udt_name.replace(/^_/, '') : c.udt_name;
      const precision = type.startsWith('timestamp') ? `(${c.datetime_precision})` : '';
      facts.push(
        `column ${c.table_name}.${c.column_name} ${type}${isArray ? '[]' : ''}${precision} ${c.is_nullable === 'NO' ? 'not null' : 'null'}${c.column_default !== null ? ' default' : ''}`,
      );
    }
    const indexes = await client.query<{
      index_name: string;
      table_name: string;
      is_unique: boolean;
      columns: string[];
    }>(`
      SELECT i.relname AS index_name, t.relname AS table_name, ix.indisunique AS is_unique,
             array_agg(a.attname::text ORDER BY k.ordinality) AS columns
      FROM pg_index ix
      JOIN pg_class i ON i.oid = ix.indexrelid
      JOIN pg_class t ON t.oid = ix.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
      CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ordinality)
      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
      WHERE n.nspname = 'public' AND t.relname <> '_prisma_migrations'
      GROUP BY i.relname, t.relname, ix.indisunique`);
    for (const index of indexes.rows) {
      facts.push(
        `index ${index.index_name} on ${index.table_name}(${index.columns.join(',')})${index.is_unique ? ' unique' : ''}`,
      );
    }
    const foreignKeys = await client.query<{ name: string; source: string; target: string; on_delete: string }>(`
      SELECT c.conname AS name,
             regexp_replace(pg_get_constraintdef(c.oid), '^FOREIGN KEY \\(([^)]*)\\) REFERENCES ([^(]*)\\(([^)]*)\\).*$', '\\1|\\2|\\3') AS source,
             t.relname AS target,
             CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'r' THEN 'RESTRICT' WHEN 'a' THEN 'NO ACTION' WHEN 'n' THEN 'SET NULL' WHEN 'd' THEN 'SET DEFAULT' END AS on_delete
      FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
      WHERE c.contype = 'f'`);
    for (const fk of foreignKeys.rows) {
      const [columns, referenced, referencedColumns] = fk.source
        .split('|')
        .map((part) => part.replaceAll('"', '').replaceAll(' ', ''));
      facts.push(
        `fk ${fk.name} ${fk.target}(${columns}) -> ${referenced}(${referencedColumns}) on delete ${fk.on_delete}`,
      );
    }
    const enums = await client.query<{ name: string; values: string[] }>(`
      SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
      FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`);
    for (const enumType of enums.rows) facts.push(`enum ${enumType.name} (${enumType.values.join(',')})`);
    return facts.sort();
  } finally {
    await client.end();
  }
}
