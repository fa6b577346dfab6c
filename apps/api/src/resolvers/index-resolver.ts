import { Arg, Ctx, ID, Query, Resolver, UseMiddleware } from 'type-graphql';
import { z } from 'zod';
import { activeTaxonomy, getCrop, indexStats } from '@defect-rag/pipeline';
import type { ApiContext } from '../context';
import { WithinDeadline } from '../deadline';
import { Crop } from '../types/crop';
import { EmbeddingModel } from '../types/model';
import { IndexStats, Taxonomy } from '../types/taxonomy';
import { optional, parseInput, uuid } from '../validation';

/** What the index holds: single crops, counts, the vocabulary crops are described with, and the model behind the vectors. */
@Resolver()
@UseMiddleware(WithinDeadline)
export class IndexResolver {
  @Query(() => Crop, { nullable: true, description: 'A crop by id; NOT_FOUND when the index has none.' })
  async crop(@Arg('id', () => ID) id: string, @Ctx() context: ApiContext): Promise<Crop> {
    const cropId = parseInput(z.string().min(1).max(500), id);
    return Crop.fromView(await getCrop(context.backend, cropId), context.imageUrlBase);
  }

  @Query(() => IndexStats, {
    description: 'Counts of the indexed crops of one dataset, or of all, by zone, damage type, area and damage.',
  })
  async indexStats(
    @Arg('datasetId', () => ID, { nullable: true }) datasetId: string | undefined,
    @Ctx() { backend }: ApiContext,
  ): Promise<IndexStats> {
    return indexStats(backend, parseInput(optional(z.string().min(1).max(200)), datasetId));
  }

  @Query(() => EmbeddingModel, {
    description: 'The model searches embed with; check randomWeights before trusting any score.',
  })
  async model(@Ctx() { backend }: ApiContext): Promise<EmbeddingModel> {
    const embedder = await backend.embedder();
    const { modelId: id, contentHash, dimension, precision, randomWeights } = embedder;
    return { id, contentHash, dimension, precision, randomWeights, collection: await backend.collection(embedder) };
  }

  @Query(() => Taxonomy, {
    description: "The damage types, zones and areas: a dataset's own taxonomy, or the default one.",
  })
  async taxonomy(
    @Arg('datasetId', () => ID, { nullable: true }) datasetId: string | undefined,
    @Ctx() { backend }: ApiContext,
  ): Promise<Taxonomy> {
    const { damageTypes, zones, areas, parts } = await activeTaxonomy(
      backend,
      parseInput(optional(uuid('dataset')), datasetId),
    );
    return { damageTypes, zones, areas, parts };
  }
}
