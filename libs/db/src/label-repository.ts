import type { PrismaClient, Prisma } from './generated/prisma/client';

export type AnalystLabelKind = 'DEFECT' | 'NO_DAMAGE';

/** A window of a photo in its pixels. */
export interface LabelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface AnalystLabelRecord {
  id: string;
  datasetId: string;
  /** The photo's image id, as in `photo:<imageId>`. */
  photoId: string;
  /** The photo, relative to the dataset folder. */
  sourceImage: string;
  kind: AnalystLabelKind;
  /** Canonical damage type id: DEFECT labels only. */
  damageType: string | null;
  /** [x, y] points in photo pixels: DEFECT labels only. */
  polygon: [number, number][] | null;
  cropId: string | null;
  box: LabelBox | null;
  author: string;
  createdAt: Date;
}

export type NewAnalystLabel = Omit<AnalystLabelRecord, 'id' | 'createdAt'>;

/** Analysts' labels of photos, oldest first everywhere (the order they are merged in). */
export class LabelRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async add(label: NewAnalystLabel): Promise<AnalystLabelRecord> {
    const row = await this.prisma.analystLabel.create({
      data: {
        ...label,
        polygon: (label.polygon ?? undefined) as Prisma.InputJsonValue | undefined,
        box: (label.box ?? undefined) as Prisma.InputJsonValue | undefined,
      },
    });
    return toRecord(row);
  }

  /** Null for an id that is no label's, malformed ones included. */
  async findById(id: string): Promise<AnalystLabelRecord | null> {
    if (!UUID.test(id)) return null;
    const row = await this.prisma.analystLabel.findUnique({ where: { id } });
    return row && toRecord(row);
  }

  /** The labels of a dataset, or of some of its photos. */
  async list(datasetId: string, photoIds?: readonly string[]): Promise<AnalystLabelRecord[]> {
    const rows = await this.prisma.analystLabel.findMany({
      where: { datasetId, ...(photoIds ? { photoId: { in: [...photoIds] } } : {}) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toRecord);
  }

  /** The labels of photos of any dataset, by photo id (`photo:<imageId>` without its prefix). */
  async forPhotos(photoIds: readonly string[]): Promise<AnalystLabelRecord[]> {
    if (photoIds.length === 0) return [];
    const rows = await this.prisma.analystLabel.findMany({
      where: { photoId: { in: [...photoIds] } },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
    return rows.map(toRecord);
  }

  /** Deletes the label when `author` wrote it; false when no such label of that author exists. */
  async deleteOwn(id: string, author: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const { count } = await this.prisma.analystLabel.deleteMany({ where: { id, author } });
    return count === 1;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function toRecord(row: Prisma.AnalystLabelModel): AnalystLabelRecord {
  return {
    ...row,
    polygon: row.polygon as AnalystLabelRecord['polygon'],
    box: row.box as AnalystLabelRecord['box'],
  };
}
