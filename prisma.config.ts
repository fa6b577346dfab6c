import { defineConfig } from 'prisma/config';

// The URL is only needed by `prisma migrate` on a connected machine; `prisma generate` runs
// without one. defect-rag itself applies the migrations at start-up (libs/db, migrate.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
