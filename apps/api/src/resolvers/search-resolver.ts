import { Arg, Ctx, Query, Resolver, UseMiddleware } from 'type-graphql';
import { formatRagContext, MAX_SEARCH_LIMIT, searchSimilar, type SimilarityResult } from '@defect-rag/pipeline';
import type { ApiContext } from '../context';
import { WithinDeadline } from '../deadline';
import { Crop } from '../types/crop';
import { RagContext, RagContextFormat, SimilarCrop, SimilarityQuery } from '../types/search';
import { readUpload } from '../upload';
import { SEARCH_COST, type FieldCost } from '../limits';

/** A search costs its fixed part plus its items; a limit out of range is refused by the pipeline with a clearer error. */
const searchComplexity: FieldCost = ({ args, childComplexity }) =>
  SEARCH_COST +
  Math.min((args.query as { limit?: number } | undefined)?.limit ?? 10, MAX_SEARCH_LIMIT) * childComplexity;

@Resolver()
@UseMiddleware(WithinDeadline)
export class SearchResolver {
  @Query(() => [SimilarCrop], {
    description: 'The crops most similar to a crop, an uploaded image or a text, within the filter, best first.',
    complexity: searchComplexity,
  })
  async searchSimilar(
    @Arg('query', () => SimilarityQuery) query: SimilarityQuery,
    @Ctx() context: ApiContext,
  ): Promise<SimilarCrop[]> {
    return similarCrops(await search(query, context), context);
  }

  @Query(() => RagContext, {
    description: 'The same retrieval as searchSimilar, plus a prompt-ready context block that cites each crop by id.',
    complexity: searchComplexity,
  })
  async ragContext(
    @Arg('query', () => SimilarityQuery) query: SimilarityQuery,
    @Arg('format', () => RagContextFormat, { defaultValue: RagContextFormat.TEXT }) format: RagContextFormat,
    @Ctx() context: ApiContext,
  ): Promise<RagContext> {
    const result = await search(query, context);
    return { context: formatRagContext(result, format), items: similarCrops(result, context) };
  }
}

async function search(query: SimilarityQuery, context: ApiContext): Promise<SimilarityResult> {
  const { image, ...rest } = query;
  return searchSimilar(context.backend, {
    ...rest,
    image: image ? await readUpload(image, context.maxUploadBytes) : undefined,
  });
}

function similarCrops(result: SimilarityResult, context: ApiContext): SimilarCrop[] {
  return result.items.map(({ score, crop }) => ({ score, crop: Crop.fromView(crop, context.imageUrlBase) }));
}
