/**
 * The GraphQL operations the explorer sends about datasets and runs, evaluations included; the
 * conventions are those of ./queries.ts (generated types, fragments carried by each string).
 */
import type {
  DatasetsAndRunsQuery,
  EvaluationFieldsFragment,
  RunDetailQuery,
  RunFieldsFragment,
  RunProblemsQuery,
} from './generated/graphql';

export type { RunStatus } from './generated/graphql';

export type RunSummary = RunFieldsFragment;
export type StageProgress = RunSummary['progress'][number];
export type RunDetail = NonNullable<RunDetailQuery['run']>;
export type RunProblem = RunDetail['problems']['edges'][number]['node'];
export type Evaluation = EvaluationFieldsFragment;

export type {
  DatasetsAndRunsQuery as DatasetsAndRunsData,
  RunDetailQuery as RunDetailData,
  RunProblemsQuery as RunProblemsData,
};

const RUN_FIELDS = /* GraphQL */ `
  fragment RunFields on Run {
    id
    kind
    status
    dataset {
      id
      name
    }
    errorCode
    error
    createdAt
    startedAt
    finishedAt
    progress {
      stage
      done
      total
    }
    counts {
      name
      value
    }
  }
`;

export const DATASETS_AND_RUNS = /* GraphQL */ `
  query DatasetsAndRuns {
    datasets(first: 100) {
      totalCount
      edges {
        node {
          id
          name
          root
          imageCount
          damagedCount
          cleanCount
          defectCount
          cropCount
          updatedAt
        }
      }
    }
    runs(first: 50) {
      totalCount
      edges {
        node {
          ...RunFields
        }
      }
    }
  }
  ${RUN_FIELDS}
`;

/** A page of a run's problems after `$after`, the variable of the operation that spreads it. */
const PROBLEM_PAGE = /* GraphQL */ `
  fragment ProblemPage on Run {
    problems(first: 100, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          item
          stage
          code
          message
        }
      }
    }
  }
`;

/** What the run page shows of an evaluation: per-k figures are lists of `{ k value }`. */
const EVALUATION_FIELDS = /* GraphQL */ `
  fragment EvaluationFields on EvaluationMetrics {
    modelId
    randomWeights
    k
    rankingK
    trainCrops
    testCrops
    ranking {
      rank
      label
      composite
      compositeHnsw
      map
      criticalRecall
      strictCriticalRecall
      mrr
    }
    configurations {
      label
      exact {
        damage {
          ...CriterionFields
        }
        type {
          ...CriterionFields
        }
        zone {
          ...CriterionFields
        }
        criticalRecall {
          k
          value
        }
        strictCriticalRecall {
          k
          value
        }
        composite {
          k
          value
        }
      }
      annRecall {
        k
        value
      }
      types {
        type
        queries
        precision {
          k
          value
        }
        firstResult {
          resultType
          queries
        }
      }
    }
    sources {
      source
      photos
      trainCrops
      testCrops
      configurations {
        label
        exact {
          type {
            precision {
              k
              value
            }
          }
          criticalRecall {
            k
            value
          }
          composite {
            k
            value
          }
        }
      }
    }
    discovery {
      testPhotos
      photos
      windows
      windowsWithDefect
      queriesPerType
      k
      results {
        retriever
        onePerPhoto
        rows {
          type
          queries
          atK {
            k
            sameType
            anyType
          }
        }
      }
    }
    files {
      json
      markdown
      plot
    }
  }

  fragment CriterionFields on CriterionMetrics {
    precision {
      k
      value
    }
    recall {
      k
      value
    }
    map {
      k
      value
    }
  }
`;

export const RUN_DETAIL = /* GraphQL */ `
  query RunDetail($id: ID!, $after: String) {
    run(id: $id) {
      ...RunFields
      params
      modelId
      collection
      metrics {
        ...EvaluationFields
      }
      timings {
        stage
        ms
      }
      ...ProblemPage
    }
  }
  ${RUN_FIELDS}
  ${EVALUATION_FIELDS}
  ${PROBLEM_PAGE}
`;

export const RUN_PROBLEMS = /* GraphQL */ `
  query RunProblems($id: ID!, $after: String) {
    run(id: $id) {
      ...ProblemPage
    }
  }
  ${PROBLEM_PAGE}
`;
