import type { FileUpload } from 'graphql-upload-minimal';
import { GraphQLUpload } from 'graphql-upload-minimal';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { filterChecks, finite, oneRegionShape, queryChecks, regionPolygon } from '@defect-rag/interface';
import { MAX_SEARCH_LIMIT } from '@defect-rag/search';
import { VECTOR_KINDS, type VectorKind } from '@defect-rag/runtime';
import { z } from 'zod';
import { Crop } from './crop';
import { Level } from './level';
import { upperCaseEnum } from './upper-case-enum';
import { Check, CheckInput } from '../validation';

/** GraphQL names (IMAGE, TEXT, FUSED), pipeline values (the vector kinds): resolvers pass the value straight on. */
export const SearchMode = upperCaseEnum(VECTOR_KINDS);
export type SearchMode = VectorKind;
registerEnumType(SearchMode, {
  name: 'SearchMode',
  description: 'Which vectors to compare.',
  valuesConfig: {
    FUSED: { description: 'The fused image+text vectors (the default for a model with a text tower).' },
    IMAGE: {
      description:
        'The image vectors (the default for an image-only model); a text query against them is text-to-image retrieval.',
    },
    TEXT: { description: 'The description vectors.' },
  },
});

export enum RagContextFormat {
  TEXT = 'text',
  MARKDOWN = 'markdown',
}
registerEnumType(RagContextFormat, { name: 'RagContextFormat' });

@InputType({ description: 'Every field narrows the result (AND); a list matches ANY of its values.' })
export class CropFilter {
  @Field(() => Boolean, {
    nullable: true,
    description: 'true: damaged crops only; false: clean crops only. Crops of unlabelled photos are neither.',
  })
  hasDamage?: boolean;

  @Field(() => Boolean, {
    nullable: true,
    description: 'true: crops of labelled photos only; false: windows of unlabelled photos only.',
  })
  labelled?: boolean;

  @Field(() => [String], {
    nullable: true,
    description:
      'Taxonomy zone ids; a zone also matches the zones below it (`side` matches `left_side` and `right_side`).',
  })
  @Check(filterChecks.zones)
  zones?: string[];

  @Field(() => [String], { nullable: true, description: 'Taxonomy area ids.' })
  @Check(filterChecks.areas)
  areas?: string[];

  @Field(() => [String], { nullable: true, description: 'Crops with any of these damage type ids.' })
  @Check(filterChecks.damageTypes)
  damageTypes?: string[];

  @Field(() => ID, { nullable: true })
  @Check(filterChecks.datasetId)
  datasetId?: string;

  @Field(() => String, { nullable: true, description: 'train, test…' })
  @Check(filterChecks.split)
  split?: string;
}

@InputType({ description: 'A point of a polygon, in source-photo pixels.' })
export class RegionPoint {
  @Field(() => Float)
  @Check(finite)
  x!: number;

  @Field(() => Float)
  @Check(finite)
  y!: number;
}

@InputType({ description: 'A rectangle, in source-photo pixels: its top-left corner, width and height.' })
export class RegionBox extends RegionPoint {
  @Field(() => Float)
  @Check(finite)
  width!: number;

  @Field(() => Float)
  @Check(finite)
  height!: number;
}

@InputType({
  description:
    'A part of the uploaded photo, exactly one of box or polygon, in its pixels: the query is cut from it the way the index cuts crops (a 336-px window around it with real context, overlapping tiles when it is larger).',
})
@CheckInput<QueryRegion>(oneRegionShape.holds, 'box', oneRegionShape.message)
export class QueryRegion {
  @Field(() => RegionBox, { nullable: true })
  box?: RegionBox;

  @Field(() => [RegionPoint], { nullable: true, description: 'At least 3 points.' })
  @Check(regionPolygon(z.unknown()))
  polygon?: RegionPoint[];
}

@InputType({
  description:
    'At least one of cropId / positiveCropIds, image or text says what to look for; image + text is a hybrid query (fused like the index, with alpha).',
})
export class SimilarityQuery {
  @Field(() => ID, { nullable: true, description: 'A crop in the index; it is never returned itself.' })
  @Check(queryChecks.cropId)
  cropId?: string;

  @Field(() => GraphQLUpload, {
    nullable: true,
    description: 'An image file (JPEG, PNG, WebP) sent as a GraphQL multipart request.',
  })
  image?: Promise<FileUpload>;

  @Field(() => String, { nullable: true, description: 'A description, e.g. "deep scratch on the rear bumper".' })
  @Check(queryChecks.text)
  text?: string;

  @Field(() => SearchMode, {
    nullable: true,
    description:
      'FUSED by default, IMAGE for an image-only model; a mode the model lacks is BAD_USER_INPUT (MODE_UNSUPPORTED).',
  })
  mode?: SearchMode;

  @Field(() => String, {
    nullable: true,
    description: 'The id of a served model (see models); the default model when absent.',
  })
  @Check(queryChecks.model)
  model?: string;

  @Field(() => Level, {
    nullable: true,
    description:
      'CROP (the default) or PHOTO: whole photos. An uploaded image asking for PHOTO is taken as a whole photo and embedded as photo points are; a crop id asking for PHOTO (or a photo id asking for CROP) compares the two levels.',
  })
  level?: Level;

  @Field(() => CropFilter, { nullable: true })
  filter?: CropFilter;

  @Field(() => Int, { defaultValue: 10, description: `How many crops, 1…${MAX_SEARCH_LIMIT}.` })
  limit!: number;

  /** The pipeline checks the ranges of limit, offset and minScore, and which fields go together. */
  @Field(() => Float, { nullable: true, description: 'Only crops at least this similar (cosine, -1…1).' })
  @Check(queryChecks.minScore)
  minScore?: number;

  @Field(() => Float, {
    nullable: true,
    description:
      "Image weight of a hybrid (image + text) query, 0…1; default: the fusion α of the index's latest ingestion into this model's collection (0.5 for an average fusion).",
  })
  @Check(queryChecks.alpha)
  alpha?: number;

  @Field(() => QueryRegion, { nullable: true, description: 'A part of the uploaded image (needs image).' })
  region?: QueryRegion;

  @Field(() => [ID], {
    nullable: true,
    description: 'Relevance feedback: more like these crops (cropId counts as one of them). None of them is returned.',
  })
  @Check(queryChecks.cropIds)
  positiveCropIds?: string[];

  @Field(() => [ID], {
    nullable: true,
    description: 'Relevance feedback: not like these crops (needs something to look for). None of them is returned.',
  })
  @Check(queryChecks.cropIds)
  negativeCropIds?: string[];

  @Field(() => Boolean, {
    nullable: true,
    description: "At most one crop per photo: each photo's best crop (Qdrant groups the hits by the photo).",
  })
  onePerPhoto?: boolean;

  @Field(() => [ID], { nullable: true, description: 'Leave out the crops of these photos (Crop.photoId).' })
  @Check(queryChecks.cropIds)
  excludePhotoIds?: string[];

  @Field(() => Int, {
    nullable: true,
    description: `Paging: skip this many results first; offset + limit ≤ ${MAX_SEARCH_LIMIT}.`,
  })
  offset?: number;
}

@ObjectType({ description: 'A crop and how similar it is to the query.', simpleResolvers: true })
export class SimilarCrop {
  @Field(() => Float, { description: 'Cosine similarity, -1…1; higher is more similar.' })
  score!: number;

  @Field(() => Crop)
  crop!: Crop;
}

export enum RagItemRole {
  SIMILAR = 'similar',
  NORMAL_REFERENCE = 'normal-reference',
}
registerEnumType(RagItemRole, {
  name: 'RagItemRole',
  valuesConfig: {
    SIMILAR: { description: 'A crop retrieved for the query.' },
    NORMAL_REFERENCE: {
      description:
        'A clean crop of the same zone and area as a similar damaged one: what that bodywork looks like undamaged.',
    },
  },
});

@ObjectType({ description: 'A crop cited by a RAG context, with why it is there.', simpleResolvers: true })
export class RagContextItem {
  @Field(() => RagItemRole)
  role!: RagItemRole;

  @Field(() => Float, { description: 'Cosine similarity to the query, -1…1.' })
  score!: number;

  @Field(() => Crop)
  crop!: Crop;
}

@ObjectType({
  description: 'Retrieved crops and a prompt-ready block that cites them by crop id.',
  simpleResolvers: true,
})
export class RagContext {
  @Field(() => String, {
    description: 'Numbered items with description, zone, area, damage types, score and crop id, ready for a prompt.',
  })
  context!: string;

  @Field(() => [RagContextItem], {
    description:
      'The cited crops, in the order the context numbers them: the similar ones, then the normal references.',
  })
  items!: RagContextItem[];
}
