import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import type { CropView } from '@defect-rag/search';
import { Connection } from './connection';
import { Level } from './level';

// The search result types are plain data, resolved by graphql's default resolver
// (`simpleResolvers`) instead of a type-graphql wrapper per field: a search answers hundreds of fields.
@ObjectType({ description: 'A rectangle in pixels.', simpleResolvers: true })
export class Box {
  @Field(() => Float)
  x!: number;

  @Field(() => Float)
  y!: number;

  @Field(() => Float)
  width!: number;

  @Field(() => Float)
  height!: number;
}

@ObjectType({ description: 'One annotated defect visible in a crop.', simpleResolvers: true })
export class Defect {
  @Field(() => String, { description: 'The label as annotated (any language).' })
  label!: string;

  @Field(() => String, { description: 'Canonical damage type id from the taxonomy.' })
  type!: string;

  @Field(() => Box, { description: "The defect's box in crop pixels." })
  box!: Box;

  @Field(() => [[Float]], {
    description:
      "The visible part of the defect's polygon, [x, y] points in crop pixels; empty for crops indexed before polygons were stored (re-ingest to add them).",
  })
  polygon!: number[][];

  @Field(() => Float, { description: 'Share of the defect inside the crop, 0…1.' })
  visibleFraction!: number;

  @Field(() => Boolean, { description: "Whether the taxonomy marks the defect's damage type as critical." })
  critical!: boolean;
}

@ObjectType({ description: "A clean crop's cell in the inspection grid over its vehicle.", simpleResolvers: true })
export class GridPosition {
  @Field(() => Int)
  row!: number;

  @Field(() => Int)
  column!: number;
}

@ObjectType({ description: 'A 336×336 crop of a vehicle photo: one point of the index.', simpleResolvers: true })
export class Crop {
  @Field(() => ID)
  id!: string;

  @Field(() => Level, { description: 'CROP, or PHOTO for a whole photo (see `photo` for its details).' })
  level!: Level;

  @Field(() => Boolean, {
    nullable: true,
    description: 'Null for a crop of an unlabelled photo: its damage is unknown.',
  })
  hasDamage!: boolean | null;

  @Field(() => Boolean, { description: 'False for the crops (windows) of unlabelled photos.' })
  labelled!: boolean;

  @Field(() => String, { description: 'Taxonomy zone id: front, rear, left_side…' })
  vehicleZone!: string;

  @Field(() => String, { description: 'Taxonomy area id: bumper, door, hood…' })
  area!: string;

  @Field(() => [String], { description: 'Canonical damage type ids; empty for clean crops.' })
  damageTypes!: string[];

  @Field(() => [Defect])
  defects!: Defect[];

  @Field(() => String, {
    description: 'The description embedded with the image, e.g. "2 scratches on front (bumper)…".',
  })
  textDescription!: string;

  @Field(() => String, { description: 'The source photo, relative to its dataset folder.' })
  sourceImage!: string;

  @Field(() => Box, { description: 'The crop window in source-photo pixels.' })
  box!: Box;

  @Field(() => String, {
    description: 'The crop JPEG: /crops/<id>, absolute when the server has a public URL configured.',
  })
  imageUrl!: string;

  @Field(() => ID)
  datasetId!: string;

  @Field(() => String, { nullable: true, description: 'train, test… when the dataset was ingested with a split file.' })
  split!: string | null;

  @Field(() => ID, { description: 'The source photo (the same as photoId).' })
  imageId!: string;

  @Field(() => ID, { description: 'The source photo: crops of one photo share it (onePerPhoto, excludePhotoIds).' })
  photoId!: string;

  @Field(() => String, { description: 'The whole source photo: /crops/<id>/source, absolute with a public URL.' })
  sourceImageUrl!: string;

  @Field(() => GridPosition, { nullable: true, description: 'Clean crops and windows of unlabelled photos only.' })
  gridPosition!: GridPosition | null;

  @Field(() => String, { description: 'How the crop was cut: cluster, tile or grid.' })
  strategy!: string;

  @Field(() => String, { description: 'The model whose vectors the index holds for this crop.' })
  modelId!: string;

  static fromView(view: CropView, imageUrlBase: string): Crop {
    return {
      id: view.id,
      level: view.level,
      hasDamage: view.hasDamage,
      labelled: view.labelled,
      vehicleZone: view.vehicleZone,
      area: view.area,
      damageTypes: view.damageTypes,
      defects: view.defects.map(({ label, type, box, polygon, visible_fraction, critical }) => ({
        label,
        type,
        box,
        polygon: polygon.map(([x, y]) => [x, y]),
        visibleFraction: visible_fraction,
        critical,
      })),
      textDescription: view.textDescription,
      sourceImage: view.sourceImage,
      box: view.box,
      imageUrl: `${imageUrlBase}/crops/${encodeURIComponent(view.id)}`,
      sourceImageUrl: `${imageUrlBase}/crops/${encodeURIComponent(view.id)}/source`,
      datasetId: view.datasetId,
      split: view.split,
      imageId: view.imageId,
      photoId: view.imageId,
      gridPosition: view.gridPos ? { row: view.gridPos[0], column: view.gridPos[1] } : null,
      strategy: view.strategy,
      modelId: view.modelId,
    };
  }
}

@ObjectType({ description: 'A page of crops matching a filter, in index order.' })
export class CropConnection extends Connection(Crop, 'Crop') {}
