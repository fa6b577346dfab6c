import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Connection } from './connection';

@ObjectType({ description: 'A registered folder of annotated vehicle photos. Counts are from its last ingestion.' })
export class Dataset {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Unique; part of every crop id.' })
  name!: string;

  @Field(() => String, { description: 'The folder on the server.' })
  root!: string;

  @Field(() => Int)
  imageCount!: number;

  @Field(() => Int)
  damagedCount!: number;

  @Field(() => Int)
  cleanCount!: number;

  @Field(() => Int)
  defectCount!: number;

  @Field(() => Int)
  cropCount!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

@ObjectType()
export class DatasetConnection extends Connection(Dataset, 'Dataset') {}

@ObjectType({ description: 'The points of a deleted dataset in one collection.' })
export class CollectionPoints {
  @Field(() => String)
  collection!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType({
  description:
    "What deleteDataset removed: the dataset's points in every collection, its runs (with their problems), the files the pipeline wrote for it under the data folder, and its record. Never its photos.",
})
export class DeletedDataset {
  @Field(() => Dataset, { description: 'The record as it was before the deletion.' })
  dataset!: Dataset;

  @Field(() => [CollectionPoints])
  points!: CollectionPoints[];

  @Field(() => Int)
  runs!: number;

  @Field(() => Int, { description: 'Crop images removed from the data folder.' })
  cropFiles!: number;
}
