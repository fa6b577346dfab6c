import { Arg, Args, Ctx, ID, Mutation, Query, Resolver, UseMiddleware } from 'type-graphql';
import { z } from 'zod';
import { getDataset, registerDataset } from '@defect-rag/pipeline';
import { apiDatasetRoots } from '@defect-rag/runtime';
import type { ApiContext } from '../context';
import { WithinDeadline } from '../deadline';
import { pageComplexity } from '../limits';
import { PageArgs, toConnection } from '../types/connection';
import { Dataset, DatasetConnection } from '../types/dataset';
import { pageSchema, parseInput, uuid, uuidCursor } from '../validation';

const registerSchema = z.object({
  path: z.string().trim().min(1, 'is empty').max(4096),
  name: z.string().trim().min(1, 'is empty').max(200),
});

@Resolver()
@UseMiddleware(WithinDeadline)
export class DatasetResolver {
  @Query(() => DatasetConnection, { description: 'Registered datasets, newest first.', complexity: pageComplexity })
  async datasets(@Args(() => PageArgs) page: PageArgs, @Ctx() { backend }: ApiContext): Promise<DatasetConnection> {
    const { first, after } = parseInput(pageSchema(uuidCursor), page);
    return toConnection(await backend.db.datasets.list({ first, after }), after);
  }

  @Query(() => Dataset, { nullable: true, description: 'A dataset by id; NOT_FOUND when there is none.' })
  async dataset(@Arg('id', () => ID) id: string, @Ctx() { backend }: ApiContext): Promise<Dataset> {
    const datasetId = parseInput(uuid('dataset'), id);
    return getDataset(backend, datasetId);
  }

  @Mutation(() => Dataset, {
    description:
      "Registers a dataset folder on the server under a name. The folder must lie in DEFECT_RAG_DATASET_ROOTS (default: the data folder's `datasets`; FORBIDDEN otherwise); a name registered with another folder is CONFLICT unless `repoint` is true. Ingest it with startIngestion.",
  })
  async registerDataset(
    @Arg('path', () => String) path: string,
    @Arg('name', () => String) name: string,
    @Arg('repoint', () => Boolean, { defaultValue: false }) repoint: boolean,
    @Ctx() { backend }: ApiContext,
  ): Promise<Dataset> {
    const input = parseInput(registerSchema, { path, name });
    return registerDataset(backend, { ...input, repoint, roots: apiDatasetRoots(backend.config) });
  }
}
