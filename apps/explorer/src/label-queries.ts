/**
 * The GraphQL operations of analysts' labels: add a damage polygon, mark "no damage", follow the
 * RELABEL run that recuts the photo, and read a photo's labels. Types generated like ./queries.ts.
 */
import type {
  AddDefectLabelMutation,
  LabelRunQuery,
  LabelTypesQuery,
  MarkNoDamageMutation,
  PhotoLabelsQuery,
} from './generated/graphql';

export type {
  AddDefectLabelMutation as AddDefectLabelData,
  LabelRunQuery as LabelRunData,
  LabelTypesQuery as LabelTypesData,
  MarkNoDamageMutation as MarkNoDamageData,
  PhotoLabelsQuery as PhotoLabelsData,
};
export type PhotoLabel = NonNullable<PhotoLabelsQuery['photo']>['labels'][number];

export const ADD_DEFECT_LABEL = /* GraphQL */ `
  mutation AddDefectLabel($input: DefectLabelInput!) {
    addDefectLabel(input: $input) {
      runId
      label {
        id
        damageType
        author
      }
    }
  }
`;

export const MARK_NO_DAMAGE = /* GraphQL */ `
  mutation MarkNoDamage($input: NoDamageInput!) {
    markNoDamage(input: $input) {
      runId
      label {
        id
        author
      }
    }
  }
`;

/** The RELABEL run a label started, until it ends. */
export const LABEL_RUN = /* GraphQL */ `
  query LabelRun($id: ID!) {
    run(id: $id) {
      id
      status
      error
    }
  }
`;

/** The damage types a label may name: the dataset's taxonomy. */
export const LABEL_TYPES = /* GraphQL */ `
  query LabelTypes($datasetId: ID) {
    taxonomy(datasetId: $datasetId) {
      damageTypes {
        id
        name
      }
    }
  }
`;

export const PHOTO_LABELS = /* GraphQL */ `
  query PhotoLabels($id: ID!) {
    photo(id: $id) {
      id
      hasDamage
      damageTypes
      labels {
        id
        kind
        damageType
        author
        createdAt
      }
    }
  }
`;
