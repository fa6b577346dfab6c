import type { PrismaClient, Prisma } from './generated/prisma/client';
import { toPage, type Page, type PageRequest } from './page';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface DatasetRecord {
  id: string;
  name: string;
  root: string;
  config: Record<string, unknown>;
  imageCount: number;
  damagedCount: number;
  cleanCount: number;
  defectCount: number;
  cropCount: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface DatasetCounts {
  imageCount: number;
  damagedCount: number;
  cleanCount: number;
  defectCount: number;
  cropCount: number;
}

export class DatasetRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Registers a dataset by name, or updates its root and config when the name exists. */
  async register(input: { name: string; root: string; config?: Record<string, unknown> }): Promise<DatasetRecord> {
    const config = (input.config ?? {}) as Prisma.InputJsonObject;
    const row = await this.prisma.dataset.upsert({
      where: { name: input.name },
      create: { name: input.name, root: input.root, config },
      update: { root: input.root, config },
    });
    return toRecord(row);
  }

  /** Null for an id that is no dataset's, malformed ones included (PostgreSQL would refuse a non-UUID). */
  async findById(id: string): Promise<DatasetRecord | null> {
    if (!UUID.test(id)) return null;
    const row = await this.prisma.dataset.findUnique({ where: { id } });
    return row && toRecord(row);
  }

  async findByName(name: string): Promise<DatasetRecord | null> {
    const row = await this.prisma.dataset.findUnique({ where: { name } });
    return row && toRecord(row);
  }

  async list({ first, after }: PageRequest): Promise<Page<DatasetRecord>> {
    const [rows, totalCount] = await Promise.all([
      this.prisma.dataset.findMany({
        take: first + 1,
        ...(after ? { cursor: { id: after }, skip: 1 } : {}),
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      }),
      this.prisma.dataset.count(),
    ]);
    return toPage(rows.map(toRecord), first, totalCount);
  }

  /** Deletes the dataset's record, and with it (cascade) its runs and their problems. */
  async delete(id: string): Promise<void> {
    await this.prisma.dataset.delete({ where: { id } });
  }

  /** Sets the counts given; the others keep their values. */
  async updateCounts(id: string, counts: Partial<DatasetCounts>): Promise<DatasetRecord> {
    return toRecord(await this.prisma.dataset.update({ where: { id }, data: counts }));
  }
}

function toRecord(row: Prisma.DatasetModel): DatasetRecord {
  return { ...row, config: row.config as unknown as Record<string, unknown> };
}
