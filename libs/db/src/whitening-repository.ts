import type { PrismaClient } from './generated/prisma/client';

/** A collection's stored whitening (`CollectionWhitening` in schema.prisma), in the shape of `Whitening` of @defect-rag/embedding. */
export interface StoredWhitening {
  inputDimension: number;
  outputDimension: number;
  power: number;
  fittedOn: number;
  /** Crops the collection held when it was fitted. */
  collectionCrops: number;
  mean: Float32Array;
  projection: Float32Array;
}

export class WhiteningRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async get(collection: string): Promise<StoredWhitening | null> {
    const row = await this.prisma.collectionWhitening.findUnique({ where: { collection } });
    if (!row) return null;
    // Copied: the driver's buffer need not be aligned for a Float32Array view.
    const floats = (bytes: Uint8Array) => new Float32Array(Uint8Array.from(bytes).buffer);
    return {
      inputDimension: row.inputDimension,
      outputDimension: row.outputDimension,
      power: row.power,
      fittedOn: row.fittedOn,
      collectionCrops: row.collectionCrops,
      mean: floats(row.mean),
      projection: floats(row.projection),
    };
  }

  async save(collection: string, whitening: StoredWhitening): Promise<void> {
    const data = {
      ...whitening,
      mean: new Uint8Array(Float32Array.from(whitening.mean).buffer),
      projection: new Uint8Array(Float32Array.from(whitening.projection).buffer),
    };
    await this.prisma.collectionWhitening.upsert({
      where: { collection },
      create: { collection, ...data },
      update: data,
    });
  }
}
