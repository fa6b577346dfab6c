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
