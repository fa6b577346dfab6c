import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'The embedding model that searches use, and the index its vectors live in.' })
export class EmbeddingModel {
  @Field(() => String, {
    description: 'Its name, e.g. "facebook/metaclip-h14-fullcc2.5b"; stored with every point as modelId.',
  })
  id!: string;

  @Field(() => String, {
    description:
      '"sha256:<hex>" over the files that shape its vectors: two models with equal hashes give equal vectors.',
  })
  contentHash!: string;

  @Field(() => Int)
  dimension!: number;

  @Field(() => String, { description: '"fp32" or "int8".' })
  precision!: string;

  @Field(() => Boolean, {
    description: 'True for the generated test model: its similarity scores and rankings mean nothing.',
  })
  randomWeights!: boolean;

  @Field(() => String, { description: 'The Qdrant collection holding its vectors.' })
  collection!: string;
}
