import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, UseMiddleware } from 'type-graphql';
import { getDataset, getRun, listRuns, runProblems } from '@defect-rag/runs';
import { parseInput, uuid, uuidCursor } from '@defect-rag/interface';
import type { ApiContext } from '../context';
import { WithinDeadline } from '../deadline';
import { pageComplexity } from '../limits';
import { PageArgs, toConnection } from '../types/connection';
import { Dataset } from '../types/dataset';
import {
  EvaluationOptions,
  IngestionOptions,
  Run,
  RunFilter,
  RunProblem,
  RunProblemConnection,
  RunConnection,
} from '../types/run';
import { problemCursor } from '../validation';

@Resolver(() => Run)
@UseMiddleware(WithinDeadline)
export class RunResolver {
  @Query(() => RunConnection, {
    description: 'Runs, newest first, optionally of one dataset, kind or status.',
    complexity: pageComplexity,
  })
  async runs(
    @Arg('filter', () => RunFilter, { nullable: true }) filter: RunFilter | undefined,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() { backend }: ApiContext,
  ): Promise<RunConnection> {
    const after = parseInput(uuidCursor, page.after, 'after');
    const runs = await listRuns(backend, filter ?? {}, { first: page.first, after });
    return toConnection({ ...runs, items: runs.items.map(Run.fromRecord) }, after);
  }

  @Query(() => Run, { nullable: true, description: 'A run by id; NOT_FOUND when there is none.' })
  async run(@Arg('id', () => ID) id: string, @Ctx() { backend }: ApiContext): Promise<Run> {
    return Run.fromRecord(await getRun(backend, parseInput(uuid('run'), id, 'id')));
  }

  @Mutation(() => Run, {
    description:
      'Starts ingesting a registered dataset in the background and returns its run at once (RUNNING); poll `run(id)` for progress. ' +
      'CONFLICT while another run of the dataset is in progress.',
  })
  async startIngestion(
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('options', () => IngestionOptions, { nullable: true }) options: IngestionOptions | undefined,
    @Ctx() { runs }: ApiContext,
  ): Promise<Run> {
    const id = parseInput(uuid('dataset'), datasetId, 'datasetId');
    const { fusion, alpha, balance, ...rest } = options ?? {};
    const run = await runs.startIngestion(id, {
      ...rest,
      ...(fusion ? { fusion: { strategy: fusion, alpha } } : {}),
      ...(balance !== undefined ? { crop: { balance } } : {}),
    });
    return Run.fromRecord(run);
  }

  @Mutation(() => Run, {
    description:
      'Starts evaluating a registered dataset in the background (an ingestion that brings its index up to date, then retrieval metrics ' +
      'for each query mode and fusion weight) and returns the EVALUATE run at once; the report is in its `metrics` when it succeeds.',
  })
  async startEvaluation(
    @Arg('datasetId', () => ID) datasetId: string,
    @Arg('options', () => EvaluationOptions, { nullable: true }) options: EvaluationOptions | undefined,
    @Ctx() { runs }: ApiContext,
  ): Promise<Run> {
    const id = parseInput(uuid('dataset'), datasetId, 'datasetId');
    return Run.fromRecord(await runs.startEvaluation(id, options ?? {}));
  }

  @Mutation(() => Run, {
    description: 'Cancels a queued or running run and returns it (CANCELLED); CONFLICT when it has already finished.',
  })
  async cancelRun(@Arg('id', () => ID) id: string, @Ctx() { runs }: ApiContext): Promise<Run> {
    return Run.fromRecord(await runs.cancel(parseInput(uuid('run'), id, 'id')));
  }

  @FieldResolver(() => Dataset, { complexity: 5 })
  async dataset(@Root() run: Run, @Ctx() { backend }: ApiContext): Promise<Dataset> {
    return getDataset(backend, run.datasetId, `run ${run.id}`);
  }

  @FieldResolver(() => RunProblemConnection, {
    description: 'Bad input items the run met, oldest first.',
    complexity: pageComplexity,
  })
  async problems(
    @Root() run: Run,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() { backend }: ApiContext,
  ): Promise<RunProblemConnection> {
    const after = parseInput(problemCursor, page.after, 'after');
    const problems = await runProblems(backend, run.id, { first: page.first, after });
    return toConnection({ ...problems, items: problems.items.map(RunProblem.fromRecord) }, after);
  }
}
