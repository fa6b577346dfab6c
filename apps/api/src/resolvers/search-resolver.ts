import { Arg, Ctx, Int, Query, Resolver, UseMiddleware } from 'type-graphql';
import {
  MAX_NORMAL_REFERENCES,
  MAX_SEARCH_LIMIT,
  ragContext,
  searchSimilar,
  type SimilarityQuery as PipelineQuery,
} from '@defect-rag/search';
import type { ApiContext } from '../context';
import { WithinDeadline } from '../deadline';
import { Crop } from '../types/crop';
import { RagContext, RagContextFormat, RagItemRole, SimilarCrop, SimilarityQuery } from '../types/search';
import { readUpload } from '../upload';
import { SEARCH_COST, type FieldCost } from '../limits';

/** A search costs its fixed part plus its items; a limit out of range is refused by the pipeline with a clearer error. */
const searchComplexity: FieldCost = ({ args, childComplexity }) =>
  SEARCH_COST +
  (Math.min((args.query as { limit?: number } | undefined)?.limit ?? 10, MAX_SEARCH_LIMIT) +
    Math.min((args.normalReferences as number | undefined) ?? 0, MAX_NORMAL_REFERENCES)) *
    childComplexity;

@Resolver()
@UseMiddleware(WithinDeadline)
export class SearchResolver {
  @Query(() => [SimilarCrop], {
    description:
      'The crops most similar to crops, an uploaded image (or a region of it), a text, or an image and a text together, least like the negative crops, within the filter, best first.',
    complexity: searchComplexity,
  })
  async searchSimilar(
    @Arg('query', () => SimilarityQuery) query: SimilarityQuery,
    @Ctx() context: ApiContext,
  ): Promise<SimilarCrop[]> {
    const result = await searchSimilar(context.backend, await toPipelineQuery(query, context));
    return result.items.map(({ score, crop }) => ({ score, crop: Crop.fromView(crop, context.imageUrlBase) }));
  }

  @Query(() => RagContext, {
    description:
      'The same retrieval as searchSimilar, plus optional normal references, as a prompt-ready context block that cites each crop by id and gives its absolute image URL (DEFECT_RAG_API_PUBLIC_URL, else the address the API listens on).',
    complexity: searchComplexity,
  })
  async ragContext(
    @Arg('query', () => SimilarityQuery) query: SimilarityQuery,
    @Arg('format', () => RagContextFormat, { defaultValue: RagContextFormat.TEXT }) format: RagContextFormat,
    @Arg('normalReferences', () => Int, {
      defaultValue: 0,
      description: `Up to this many clean crops (0…${MAX_NORMAL_REFERENCES}) of the zones and areas of the similar damaged crops, most similar to the query first, added after them as normal references.`,
    })
    normalReferences: number,
    @Arg('maxCharacters', () => Int, {
      nullable: true,
      description: 'The context is at most this long: items are left out from the end until it fits.',
    })
    maxCharacters: number | undefined,
    @Ctx() context: ApiContext,
  ): Promise<RagContext> {
    const imageUrl = (crop: { id: string }) => `${context.absoluteUrlBase}/crops/${encodeURIComponent(crop.id)}`;
    const rag = await ragContext(context.backend, await toPipelineQuery(query, context), {
      format,
      normalReferences,
      maxCharacters: maxCharacters ?? undefined,
      imageUrl,
    });
    return {
      context: rag.context,
      items: rag.items.map(({ role, score, crop }) => ({
        role: role === 'normal-reference' ? RagItemRole.NORMAL_REFERENCE : RagItemRole.SIMILAR,
        score,
        crop: Crop.fromView(crop, context.imageUrlBase),
      })),
    };
  }
}

async function toPipelineQuery(query: SimilarityQuery, context: ApiContext): Promise<PipelineQuery> {
  const { image, region, ...rest } = query;
  return {
    ...rest,
    image: image ? await readUpload(image, context.maxUploadBytes) : undefined,
    region: region && {
      box: region.box,
      polygon: region.polygon?.map(({ x, y }) => [x, y] as const),
    },
  };
}
