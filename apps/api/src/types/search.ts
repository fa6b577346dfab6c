import type { FileUpload } from 'graphql-upload-minimal';
import { GraphQLUpload } from 'graphql-upload-minimal';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MAX_SEARCH_LIMIT } from '@defect-rag/pipeline';
import { VECTOR_KINDS, type VectorKind } from '@defect-rag/runtime';
import { z } from 'zod';
import { Crop } from './crop';
import { Check, filterValues, MAX_QUERY_TEXT_LENGTH, optional, shortText } from '../validation';

/** GraphQL names (IMAGE, TEXT, FUSED), pipeline values (the vector kinds): resolvers pass the value straight on. */
export const SearchMode = Object.fromEntries(VECTOR_KINDS.map((kind) => [kind.toUpperCase(), kind])) as {
  [Kind in VectorKind as Uppercase<Kind>]: Kind;
};
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
  @Field(() => Boolean, { nullable: true, description: 'true: damaged crops only; false: clean crops only.' })
  hasDamage?: boolean;

  @Field(() => [String], {
    nullable: true,
    description:
      'Taxonomy zone ids; a zone also matches the zones below it (`side` matches `left_side` and `right_side`).',
  })
  @Check(filterValues)
  zones?: string[];

  @Field(() => [String], { nullable: true, description: 'Taxonomy area ids.' })
  @Check(filterValues)
  areas?: string[];

  @Field(() => [String], { nullable: true, description: 'Crops with any of these damage type ids.' })
  @Check(filterValues)
  damageTypes?: string[];

  @Field(() => ID, { nullable: true })
  @Check(shortText)
  datasetId?: string;

  @Field(() => String, { nullable: true, description: 'train, test…' })
  @Check(shortText)
  split?: string;
}

@InputType({ description: 'Exactly one of cropId, image or text says what to look for.' })
export class SimilarityQuery {
  @Field(() => ID, { nullable: true, description: 'A crop in the index; it is never returned itself.' })
  @Check(optional(z.string().min(1).max(500)))
  cropId?: string;

  @Field(() => GraphQLUpload, {
    nullable: true,
    description: 'An image file (JPEG, PNG, WebP) sent as a GraphQL multipart request.',
  })
  image?: Promise<FileUpload>;

  @Field(() => String, { nullable: true, description: 'A description, e.g. "deep scratch on the rear bumper".' })
  @Check(optional(z.string().max(MAX_QUERY_TEXT_LENGTH, `at most ${MAX_QUERY_TEXT_LENGTH} characters`)))
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
  @Check(optional(z.string().min(1).max(300)))
  model?: string;

  @Field(() => CropFilter, { nullable: true })
  filter?: CropFilter;

  @Field(() => Int, { defaultValue: 10, description: `How many crops, 1…${MAX_SEARCH_LIMIT}.` })
  limit!: number;

  /** The pipeline checks the range of limit and minScore, and that exactly one of cropId, image, text is given. */
  @Field(() => Float, { nullable: true, description: 'Only crops at least this similar (cosine, -1…1).' })
  // A literal such as 1e309 reaches here as Infinity; zod's own message for it ("expected number,
  // received number") says nothing.
  @Check(optional(z.number({ error: 'must be a finite number in [-1, 1]' })))
  minScore?: number;
}

@ObjectType({ description: 'A crop and how similar it is to the query.', simpleResolvers: true })
export class SimilarCrop {
  @Field(() => Float, { description: 'Cosine similarity, -1…1; higher is more similar.' })
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

  @Field(() => [SimilarCrop], { description: 'The cited crops, in the order the context numbers them.' })
  items!: SimilarCrop[];
}
