import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import type { CropView } from '@defect-rag/search';
import { Box } from './crop';

@ObjectType({ description: 'One annotated defect of a photo, in photo pixels.', simpleResolvers: true })
export class PhotoDefect {
  @Field(() => String, { description: 'The label as annotated (any language).' })
  label!: string;

  @Field(() => String, { description: 'Canonical damage type id from the taxonomy.' })
  type!: string;

  @Field(() => String, { description: 'Taxonomy zone id of the parts its polygon lies on.' })
  zone!: string;

  @Field(() => String, { description: 'Taxonomy area id of the parts its polygon lies on.' })
  area!: string;

  @Field(() => Box, { description: "The polygon's box in photo pixels." })
  box!: Box;

  @Field(() => [[Float]], { description: 'The annotated polygon, [x, y] points in photo pixels.' })
  polygon!: number[][];

  @Field(() => Boolean, { description: 'Whether the taxonomy marks its damage type critical.' })
  critical!: boolean;
}

@ObjectType({
  description: 'A whole photo: one point of the index beside its crops, with its own vectors and description.',
  simpleResolvers: true,
})
export class Photo {
  @Field(() => ID, { description: '`photo:<imageId>`: also its id as a point (`searchSimilar(cropId: …)`).' })
  id!: string;

  @Field(() => ID)
  imageId!: string;

  @Field(() => ID)
  datasetId!: string;

  @Field(() => String, { description: 'The photo: /crops/<id>/source, absolute when a public URL is configured.' })
  imageUrl!: string;

  @Field(() => String, { description: 'The photo, relative to its dataset folder.' })
  sourceImage!: string;

  @Field(() => Int)
  width!: number;

  @Field(() => Int)
  height!: number;

  @Field(() => Boolean, { nullable: true, description: 'Null for an unlabelled photo: its damage is unknown.' })
  hasDamage!: boolean | null;

  @Field(() => Boolean, { description: 'False for a photo nobody has labelled.' })
  labelled!: boolean;

  @Field(() => String, {
    description: 'Zone id of its first defect, else the zone it shows most: what a zone filter matches.',
  })
  vehicleZone!: string;

  @Field(() => [String], {
    description: 'Every zone id it shows: its defects’ first, then its parts’, most pixels first.',
  })
  zones!: string[];

  @Field(() => [String], { description: 'Canonical damage type ids of all its defects; empty for clean photos.' })
  damageTypes!: string[];

  @Field(() => [PhotoDefect])
  defects!: PhotoDefect[];

  @Field(() => String, {
    description:
      'The description embedded with it, e.g. "3 defects: 2 scratches on front (bumper), dent on side (door).".',
  })
  textDescription!: string;

  @Field(() => String, { nullable: true, description: 'train, test… when the dataset was ingested with a split file.' })
  split!: string | null;

  @Field(() => String, {
    description:
      'How its image vector saw it: tiles (the mean over model-sized tiles at source resolution) or resized.',
  })
  view!: string;

  @Field(() => [ID], { description: 'Its crops’ ids (see `crops` for the crops themselves).' })
  cropIds!: string[];

  /** A photo point's view as GraphQL shows it; `view.photo` is set for every photo point. */
  static fromView(view: CropView, imageUrlBase: string): Photo {
    const photo = view.photo!;
    return {
      id: view.id,
      imageId: view.imageId,
      datasetId: view.datasetId,
      imageUrl: `${imageUrlBase}/crops/${encodeURIComponent(view.id)}/source`,
      sourceImage: view.sourceImage,
      width: photo.width,
      height: photo.height,
      hasDamage: view.hasDamage,
      labelled: view.labelled,
      vehicleZone: view.vehicleZone,
      zones: photo.zones,
      damageTypes: view.damageTypes,
      defects: photo.defects,
      textDescription: view.textDescription,
      split: view.split,
      view: photo.view,
      cropIds: photo.cropIds,
    };
  }
}
