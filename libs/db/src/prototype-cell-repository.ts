import type { PrismaClient } from './generated/prisma/client';

/** The image vectors of one dataset's indexed crops that share a split, damage types and zone, summed. */
export interface PrototypeCell {
  /** null: crops without a split. */
  split: string | null;
  /** Sorted; none for a clean crop. */
  damageTypes: string[];
  zone: string;
  crops: number;
  sum: Float64Array;
}

/** The label prototype cells of each (collection, dataset): see `LabelPrototypeCell` in schema.prisma. */
export class PrototypeCellRepository {
  constructor(private readonly prisma: PrismaClient) {}

  /** Makes `cells` the dataset's whole set in the collection, in one transaction. */
  async replace(collection: string, datasetId: string, cells: readonly PrototypeCell[]): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.labelPrototypeCell.deleteMany({ where: { collection, datasetId } }),
      this.prisma.labelPrototypeCell.createMany({
        data: cells.map((cell) => ({
          collection,
          datasetId,
          split: cell.split ?? '',
          damageTypes: cell.damageTypes,
          zone: cell.zone,
          crops: cell.crops,
          sum: new Uint8Array(Float64Array.from(cell.sum).buffer),
        })),
      }),
    ]);
  }

  /** The cells of a collection, of one dataset or all. */
  async list(collection: string, datasetId?: string): Promise<PrototypeCell[]> {
    const rows = await this.prisma.labelPrototypeCell.findMany({
      where: { collection, ...(datasetId !== undefined && { datasetId }) },
      orderBy: { id: 'asc' },
    });
    return rows.map((row) => ({
      split: row.split === '' ? null : row.split,
      damageTypes: row.damageTypes,
      zone: row.zone,
      crops: row.crops,
      // Copied: the driver's buffer need not be aligned for a Float64Array view.
      sum: new Float64Array(Uint8Array.from(row.sum).buffer),
    }));
  }
}
