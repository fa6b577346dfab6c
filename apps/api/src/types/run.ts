import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { z } from 'zod';
import { MAX_SEARCH_LIMIT } from '@defect-rag/search';
import { type RunProblemRecord, type RunRecord } from '@defect-rag/runs';
import { optional, uuid } from '@defect-rag/interface';
import { Check, CheckInput, serverPath } from '../validation';
import { Connection } from './connection';
import { EvaluationMetrics, toEvaluationMetrics } from './evaluation';
import { SearchMode } from './search';

export enum RunKind {
  INGEST = 'INGEST',
  EVALUATE = 'EVALUATE',
  /** `defect-rag index`: a phase-3 embeddings/ folder loaded into Qdrant without running the model. */
  INDEX = 'INDEX',
  /** Brings a dataset's points up to date after an analyst's label changed (`addDefectLabel`…). */
  RELABEL = 'RELABEL',
}
registerEnumType(RunKind, { name: 'RunKind' });

export enum RunStatus {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
  /** Its process stopped before it finished; the next run with the same options resumes it. */
  INTERRUPTED = 'INTERRUPTED',
}
registerEnumType(RunStatus, { name: 'RunStatus' });

@ObjectType({ description: 'How far one stage of a run has got.' })
export class StageProgress {
  @Field(() => String, { description: 'dataset, crops, embedding…' })
  stage!: string;

  @Field(() => Int)
  done!: number;

  @Field(() => Int)
  total!: number;
}

@ObjectType()
export class RunCount {
  @Field(() => String, { description: 'images, crops, embedded, unchanged, removed, points, problems…' })
  name!: string;

  @Field(() => Int)
  value!: number;
}

@ObjectType()
export class StageTiming {
  @Field(() => String)
  stage!: string;

  @Field(() => Float, { description: 'Wall time in milliseconds.' })
  ms!: number;
}

@ObjectType({ description: 'A bad input item met during a run; it never stops the rest of the run.' })
export class RunProblem {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'The image, annotation or crop it concerns.' })
  item!: string;

  @Field(() => String)
  stage!: string;

  @Field(() => String, { description: 'An error code such as IMAGE_DECODE_FAILED or LABEL_UNKNOWN.' })
  code!: string;

  @Field(() => String)
  message!: string;

  @Field(() => Date)
  createdAt!: Date;

  static fromRecord(record: RunProblemRecord): RunProblem {
    return {
      id: record.id,
      item: record.item,
      stage: record.stage,
      code: record.code,
      message: record.message,
      createdAt: record.createdAt,
    };
  }
}

@ObjectType()
export class RunProblemConnection extends Connection(RunProblem, 'RunProblem') {}

@ObjectType({ description: 'An ingestion or evaluation job over a dataset.' })
export class Run {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  datasetId!: string;

  @Field(() => RunKind)
  kind!: RunKind;

  @Field(() => RunStatus)
  status!: RunStatus;

  @Field(() => GraphQLJSONObject, { description: 'The options the run was started with.' })
  params!: Record<string, unknown>;

  @Field(() => String, { nullable: true })
  modelId!: string | null;

  @Field(() => String, { nullable: true, description: 'The Qdrant collection it writes or reads.' })
  collection!: string | null;

  @Field(() => [StageProgress])
  progress!: StageProgress[];

  @Field(() => [RunCount])
  counts!: RunCount[];

  @Field(() => [StageTiming])
  timings!: StageTiming[];

  @Field(() => EvaluationMetrics, { nullable: true, description: 'Evaluation metrics; null for ingestion runs.' })
  metrics!: EvaluationMetrics | null;

  @Field(() => String, { nullable: true, description: 'The error code a FAILED run ended with.' })
  errorCode!: string | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => Date)
  updatedAt!: Date;

  static fromRecord(record: RunRecord): Run {
    return {
      id: record.id,
      datasetId: record.datasetId,
      kind: record.kind as RunKind,
      status: record.status as RunStatus,
      params: record.params,
      modelId: record.modelId,
      collection: record.collection,
      progress: Object.entries(record.progress).map(([stage, { done, total }]) => ({ stage, done, total })),
      counts: Object.entries(record.counts).map(([name, value]) => ({ name, value })),
      timings: Object.entries(record.timings).map(([stage, ms]) => ({ stage, ms })),
      metrics: toEvaluationMetrics(record.id, record.metrics),
      errorCode: record.errorCode,
      error: record.error,
      createdAt: record.createdAt,
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      updatedAt: record.updatedAt,
    };
  }
}

@ObjectType()
export class RunConnection extends Connection(Run, 'Run') {}

@InputType()
export class RunFilter {
  @Field(() => ID, { nullable: true })
  @Check(optional(uuid('dataset')))
  datasetId?: string;

  @Field(() => RunKind, { nullable: true })
  kind?: RunKind;

  @Field(() => RunStatus, { nullable: true })
  status?: RunStatus;
}

export enum FusionStrategy {
  AVERAGE = 'average',
  WEIGHTED = 'weighted',
}
registerEnumType(FusionStrategy, {
  name: 'FusionStrategy',
  valuesConfig: {
    AVERAGE: { description: 'Mean of the unit image and text vectors.' },
    WEIGHTED: { description: 'alpha · image + (1 − alpha) · text.' },
  },
});

@InputType({ description: 'Options of an ingestion run; each defaults to what `defect-rag ingest` uses.' })
@CheckInput<IngestionOptions>(
  (options) => options.alpha === undefined || options.fusion === FusionStrategy.WEIGHTED,
  'alpha',
  'alpha needs fusion: WEIGHTED',
)
@CheckInput<IngestionOptions>(
  (options) => options.fusion !== FusionStrategy.WEIGHTED || options.alpha !== undefined,
  'alpha',
  'fusion WEIGHTED needs alpha',
)
export class IngestionOptions {
  @Field(() => FusionStrategy, { nullable: true })
  fusion?: FusionStrategy;

  @Field(() => Float, { nullable: true, description: 'Image weight of the WEIGHTED fusion, 0…1.' })
  @Check(optional(z.number().min(0).max(1)))
  alpha?: number;

  @Field(() => Int, { nullable: true, description: "Crops embedded per batch (default: the model's)." })
  @Check(optional(z.int().min(1).max(1024)))
  batchSize?: number;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Sample clean crops 50/50 against damage crops (default true).',
  })
  balance?: boolean;

  @Field(() => Boolean, { nullable: true, description: "Add each damage type's visual description to the texts." })
  enrich?: boolean;

  @Field(() => String, { nullable: true, description: 'A split.json (from `defect-rag split`) on the server.' })
  @Check(serverPath)
  splitFile?: string;

  @Field(() => String, { nullable: true, description: 'A taxonomy override file on the server.' })
  @Check(serverPath)
  taxonomyFile?: string;

  @Field(() => Int, {
    nullable: true,
    description:
      "Make the model's collection, when this run makes it, centred + PCA-whitened to this many dimensions (an image-only model; " +
      'not the default, see docs/similarity.md). Later runs keep its whitening.',
  })
  @Check(optional(z.int().min(1).max(4096)))
  whiten?: number;
}

@InputType({ description: 'Options of an evaluation run; each defaults to what `defect-rag evaluate` uses.' })
export class EvaluationOptions {
  @Field(() => String, {
    nullable: true,
    description:
      "A split.json on the server; default: the split of the dataset's last ingestion, else a new seeded one.",
  })
  @Check(serverPath)
  splitFile?: string;

  @Field(() => [Int], { nullable: true, description: 'Cut-offs k of precision@k, recall@k, mAP@k; default 1, 5, 10.' })
  @Check(optional(z.array(z.int().min(1).max(MAX_SEARCH_LIMIT)).min(1).max(20)))
  k?: number[];

  @Field(() => [Float], {
    nullable: true,
    description: 'Image weights of the fused query mode; default 0, 0.25, 0.5, 0.75, 1.',
  })
  @Check(optional(z.array(z.number().min(0).max(1)).min(1).max(21)))
  alphas?: number[];

  @Field(() => [SearchMode], { nullable: true, description: 'Query modes to evaluate; default all three.' })
  @Check(optional(z.array(z.enum(SearchMode)).min(1)))
  modes?: SearchMode[];

  @Field(() => Boolean, {
    nullable: true,
    description:
      'Also measure discovery precision@k: the damaged test photos as unlabelled windows, found by train damage crops; default false (it embeds every window of those photos).',
  })
  discovery?: boolean;
}
