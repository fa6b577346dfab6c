import { isAbsolute } from 'node:path';
import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { z } from 'zod';
import { deleteDataset } from '@defect-rag/ingestion';
import { getDataset, listDatasets, type DatasetRecord } from '@defect-rag/runs';
import { registerDataset } from '@defect-rag/run-manager';
import { apiDatasetRoots } from '@defect-rag/runtime';
import { parseInput, uuid, uuidCursor } from '@defect-rag/interface';
import type { ApiContext } from '../context';
import { WithinDeadline } from '../deadline';
import { pageComplexity } from '../limits';
import { PageArgs, toConnection } from '../types/connection';
import { Dataset, DatasetConnection, DeletedDataset } from '../types/dataset';

const nonEmpty = (max: number) => z.string().trim().min(1, 'is empty').max(max);
/** A relative path would be resolved against the server's working folder, which clients neither know nor should learn. */
const serverFolder = nonEmpty(4096).refine(isAbsolute, 'must be an absolute path on the server');

@Resolver(() => Dataset)
@UseMiddleware(WithinDeadline)
export class DatasetResolver {
  @FieldResolver(() => Boolean, {
    description:
      'Its photos without an annotation file are unlabelled (damage unknown, searched as windows with labelled: false) rather than clean.',
  })
  unlabelled(@Root() dataset: Dataset): boolean {
    // Every Dataset this API returns is a DatasetRecord, whose config the ingestion records.
    return (dataset as Dataset & Pick<DatasetRecord, 'config'>).config.unlabelled === true;
  }

  @Query(() => DatasetConnection, { description: 'Registered datasets, newest first.', complexity: pageComplexity })
  async datasets(@Args(() => PageArgs) page: PageArgs, @Ctx() { backend }: ApiContext): Promise<DatasetConnection> {
    const after = parseInput(uuidCursor, page.after, 'after');
    return toConnection(await listDatasets(backend, { first: page.first, after }), after);
  }

  @Query(() => Dataset, { nullable: true, description: 'A dataset by id; NOT_FOUND when there is none.' })
  async dataset(@Arg('id', () => ID) id: string, @Ctx() { backend }: ApiContext): Promise<Dataset> {
    return getDataset(backend, parseInput(uuid('dataset'), id, 'id'));
  }

  @Mutation(() => Dataset, {
    description:
      "Registers a dataset folder on the server under a name. The folder must lie in DEFECT_RAG_DATASET_ROOTS (default: the data folder's `datasets`; FORBIDDEN otherwise); a name registered with another folder is CONFLICT unless `repoint` is true. `unlabelled`: its photos without an annotation file are unlabelled, not clean (left out: as registered before, else false). Ingest it with startIngestion.",
  })
  async registerDataset(
    @Arg('path', () => String) path: string,
    @Arg('name', () => String) name: string,
    @Arg('repoint', () => Boolean, { defaultValue: false }) repoint: boolean,
    @Arg('unlabelled', () => Boolean, { nullable: true }) unlabelled: boolean | undefined,
    @Ctx() { backend }: ApiContext,
  ): Promise<Dataset> {
    return registerDataset(backend, {
      path: parseInput(serverFolder, path, 'path'),
      name: parseInput(nonEmpty(200), name, 'name'),
      repoint,
      unlabelled: unlabelled ?? undefined,
      roots: apiDatasetRoots(backend.config),
    });
  }

  @Mutation(() => DeletedDataset, {
    description:
      'Deletes a dataset: its points from every collection, its crop and report files under the data folder, its runs and problems, and its record; never its photos, nor anything of another dataset. CONFLICT while a run of it is in progress, NOT_FOUND for an unknown id.',
  })
  async deleteDataset(@Arg('id', () => ID) id: string, @Ctx() { backend }: ApiContext): Promise<DeletedDataset> {
    const { dataset, points, runs, cropFiles } = await deleteDataset(backend, parseInput(uuid('dataset'), id, 'id'));
    return { dataset, points, runs, cropFiles };
  }
}
