import { Field, Int, ObjectType } from 'type-graphql';
import { SearchMode } from './search';

@ObjectType({ description: 'A served embedding model, and the index its vectors live in.' })
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

  @Field(() => Int, {
    description:
      "The dimension of its fused vectors (image vectors for an image-only model); an encoder pair's fused vectors are its image and text vectors end to end.",
  })
  dimension!: number;

  @Field(() => String, { description: '"fp32" or "int8".' })
  precision!: string;

  @Field(() => Boolean, {
    description: 'True for the generated test model: its similarity scores and rankings mean nothing.',
  })
  randomWeights!: boolean;

  @Field(() => String, { description: 'The Qdrant collection holding its vectors.' })
  collection!: string;

  @Field(() => [SearchMode], {
    description:
      'The modes it answers: IMAGE, TEXT and FUSED with a text tower, IMAGE alone for an image-only model. An encoder pair (image and text towers in separate spaces) answers an image query in IMAGE only, a text query in TEXT only, and a crop id in all three.',
  })
  modes!: SearchMode[];

  @Field(() => Boolean, { description: 'True for the model that answers queries naming none (the first served).' })
  isDefault!: boolean;

  @Field(() => String, {
    description:
      'How it answers text: "text-tower", or "label-prototypes" for an image-only model (the text is read as the taxonomy\'s damage types and zones, and searched in IMAGE mode with the mean image vector of the indexed crops carrying them).',
  })
  textQueries!: string;
}
