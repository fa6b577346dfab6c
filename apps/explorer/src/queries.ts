/**
 * The GraphQL operations the explorer sends about crops, photos and searches (runs: ./run-queries.ts). The types of their variables and answers are
 * generated from apps/api/schema.graphql and these strings into ./generated/graphql.ts
 * (`npm run -w @defect-rag/explorer codegen`); the names below are short aliases of them.
 *
 * Each string carries its fragments' definitions (the `${…}` at its end); the generator reads
 * the strings marked with a GraphQL comment and ignores the interpolations.
 */
import type {
  BrowseCropsQuery,
  CropFieldsFragment,
  CropQuery,
  CropRagContextQuery,
  PhotoFieldsFragment,
  ModelQuery,
  SearchOptionsQuery,
  SearchQuery,
} from './generated/graphql';

/** The API's input types and enums the explorer uses (CropFilter: absent fields do not narrow). */
export type { CropFilter, Level, RegionBox, SearchMode, SimilarityQuery } from './generated/graphql';

export type Crop = CropFieldsFragment;
export type Box = Crop['box'];
export type Defect = Crop['defects'][number];
export type SimilarCrop = SearchQuery['searchSimilar'][number];
export type Photo = PhotoFieldsFragment;

export type ValueCount = SearchOptionsQuery['indexStats']['byZone'][number];

export type {
  BrowseCropsQuery as BrowseCropsData,
  CropQuery as CropData,
  CropRagContextQuery as CropRagContextData,
  ModelQuery as ModelData,
  SearchOptionsQuery as SearchOptionsData,
  SearchQuery as SearchData,
};

const CROP_FIELDS = /* GraphQL */ `
  fragment CropFields on Crop {
    id
    datasetId
    imageId
    photoId
    sourceImage
    imageUrl
    sourceImageUrl
    hasDamage
    labelled
    vehicleZone
    area
    damageTypes
    textDescription
    strategy
    split
    modelId
    box {
      x
      y
      width
      height
    }
    gridPosition {
      row
      column
    }
    labels {
      id
      kind
      damageType
      author
    }
    defects {
      label
      type
      critical
      visibleFraction
      polygon
      box {
        x
        y
        width
        height
      }
    }
  }
`;

/** A whole photo with its defects' polygons, to draw them (`$photos`: only for photo-level searches). */
const PHOTO_FIELDS = /* GraphQL */ `
  fragment PhotoFields on Photo {
    id
    imageUrl
    sourceImage
    width
    height
    zones
    cropIds
    defects {
      label
      type
      zone
      polygon
    }
  }
`;

export const SEARCH = /* GraphQL */ `
  query Search($query: SimilarityQuery!, $photos: Boolean!) {
    searchSimilar(query: $query) {
      score
      crop {
        ...CropFields
        photo @include(if: $photos) {
          ...PhotoFields
        }
      }
    }
  }
  ${CROP_FIELDS}
  ${PHOTO_FIELDS}
`;

/** A page of the indexed crops a filter matches, without a query: what the search page opens on. */
export const BROWSE_CROPS = /* GraphQL */ `
  query BrowseCrops($filter: CropFilter, $first: Int!, $after: String) {
    crops(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...CropFields
        }
      }
    }
  }
  ${CROP_FIELDS}
`;

export const CROP = /* GraphQL */ `
  query Crop($id: ID!) {
    crop(id: $id) {
      ...CropFields
    }
  }
  ${CROP_FIELDS}
`;

/** The context an agent would get with this crop as its query. */
export const CROP_RAG_CONTEXT = /* GraphQL */ `
  query CropRagContext($id: ID!, $format: RagContextFormat!) {
    ragContext(query: { cropId: $id, limit: 5 }, format: $format) {
      context
      items {
        score
        crop {
          ...CropFields
        }
      }
    }
  }
  ${CROP_FIELDS}
`;

/** The model searches embed with: whether its scores mean anything. */
export const MODEL = /* GraphQL */ `
  query Model {
    model {
      id
      randomWeights
    }
  }
`;

/** What the search form offers: the vocabulary, what the index holds, and the datasets. */
export const SEARCH_OPTIONS = /* GraphQL */ `
  query SearchOptions {
    taxonomy {
      zones {
        id
        name
        parent
      }
      damageTypes {
        id
        name
      }
    }
    indexStats {
      points
      damaged
      clean
      byZone {
        value
        count
      }
      byDamageType {
        value
        count
      }
    }
    datasets(first: 100) {
      edges {
        node {
          id
          name
        }
      }
    }
    models {
      id
      modes
      isDefault
      randomWeights
      textQueries
    }
  }
`;
