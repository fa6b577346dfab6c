import { Arg, Args, Ctx, ID, Query, Resolver, UseMiddleware } from 'type-graphql';
import {
  activeTaxonomy,
  browseCrops,
  childZones,
  describeModels,
  getCrop,
  indexStats,
  type ModelInfo,
} from '@defect-rag/search';
import { cropId, optional, parseInput, shortText, uuid } from '@defect-rag/interface';
import type { ApiContext } from '../context';
import { WithinDeadline } from '../deadline';
import { pageComplexity } from '../limits';
import { PageArgs, toConnection } from '../types/connection';
import { Crop, CropConnection } from '../types/crop';
import { EmbeddingModel } from '../types/model';
import { CropFilter, type SearchMode } from '../types/search';
import { IndexStats, Taxonomy } from '../types/taxonomy';

/** What the index holds: single crops, counts, the vocabulary crops are described with, and the model behind the vectors. */
@Resolver()
@UseMiddleware(WithinDeadline)
export class IndexResolver {
  @Query(() => Crop, { nullable: true, description: 'A crop by id; NOT_FOUND when the index has none.' })
  async crop(@Arg('id', () => ID) id: string, @Ctx() context: ApiContext): Promise<Crop> {
    return Crop.fromView(await getCrop(context.backend, parseInput(cropId, id, 'id')), context.imageUrlBase);
  }

  @Query(() => CropConnection, {
    description:
      "The indexed crops (of the default model) a filter matches, without a query: browsing, in the index's stable order.",
    complexity: pageComplexity,
  })
  async crops(
    @Arg('filter', () => CropFilter, { nullable: true }) filter: CropFilter | undefined,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: ApiContext,
  ): Promise<CropConnection> {
    const after = parseInput(optional(cropId), page.after, 'after');
    const found = await browseCrops(context.backend, filter ?? {}, { first: page.first, after });
    return toConnection(
      { ...found, items: found.items.map((view) => Crop.fromView(view, context.imageUrlBase)) },
      after,
    );
  }

  @Query(() => IndexStats, {
    description:
      'Counts of the indexed crops of one dataset, or of all, by zone, damage type, area and damage (damaged, clean, unlabelled). `labelled` keeps every count to the crops of labelled (true) or unlabelled (false) photos.',
  })
  async indexStats(
    @Arg('datasetId', () => ID, { nullable: true }) datasetId: string | undefined,
    @Arg('labelled', () => Boolean, { nullable: true }) labelled: boolean | undefined,
    @Ctx() { backend }: ApiContext,
  ): Promise<IndexStats> {
    return indexStats(backend, parseInput(shortText, datasetId, 'datasetId'), labelled ?? undefined);
  }

  @Query(() => EmbeddingModel, {
    description:
      'The default model, which queries naming no model embed with; check randomWeights before trusting any score.',
  })
  async model(@Ctx() { backend }: ApiContext): Promise<EmbeddingModel> {
    return toEmbeddingModel((await describeModels(backend))[0]!);
  }

  @Query(() => [EmbeddingModel], {
    description: 'Every served model, the default first; a query picks one with SimilarityQuery.model.',
  })
  async models(@Ctx() { backend }: ApiContext): Promise<EmbeddingModel[]> {
    return (await describeModels(backend)).map(toEmbeddingModel);
  }

  @Query(() => Taxonomy, {
    description: "The damage types, zones and areas: a dataset's own taxonomy, or the default one.",
  })
  async taxonomy(
    @Arg('datasetId', () => ID, { nullable: true }) datasetId: string | undefined,
    @Ctx() { backend }: ApiContext,
  ): Promise<Taxonomy> {
    const taxonomy = await activeTaxonomy(backend, parseInput(optional(uuid('dataset')), datasetId, 'datasetId'));
    const { damageTypes, zones, areas, parts } = taxonomy;
    return {
      damageTypes,
      zones: zones.map((zone) => ({ ...zone, children: childZones(taxonomy, zone.id) })),
      areas,
      parts,
    };
  }
}

function toEmbeddingModel(model: ModelInfo): EmbeddingModel {
  return { ...model, modes: model.modes.map((mode) => mode as SearchMode) };
}
