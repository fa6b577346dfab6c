import { Field, Float, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import { z } from 'zod';
import type { AnalystLabelRecord } from '@defect-rag/runs';
import { labelChecks, oneNoDamageWindow } from '@defect-rag/interface';
import { Check, CheckInput } from '../validation';
import { Box } from './crop';
import { RegionBox, RegionPoint } from './search';

export enum LabelKind {
  /** A damage polygon of a taxonomy type. */
  DEFECT = 'DEFECT',
  /** A window of the photo an analyst saw no damage in. */
  NO_DAMAGE = 'NO_DAMAGE',
}
registerEnumType(LabelKind, { name: 'LabelKind' });

@ObjectType({
  description:
    "An analyst's label of a photo, merged with its annotation: its DEFECT polygons are cut into crops as annotated defects are.",
  simpleResolvers: true,
})
export class AnalystLabel {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  datasetId!: string;

  @Field(() => ID, { description: 'The photo point, `photo:<imageId>`.' })
  photoId!: string;

  @Field(() => LabelKind)
  kind!: LabelKind;

  @Field(() => String, { nullable: true, description: 'Canonical damage type id (DEFECT).' })
  damageType!: string | null;

  @Field(() => [[Float]], { nullable: true, description: '[x, y] points in photo pixels (DEFECT).' })
  polygon!: number[][] | null;

  @Field(() => ID, { nullable: true, description: 'The crop judged clean (NO_DAMAGE from a result).' })
  cropId!: string | null;

  @Field(() => Box, { nullable: true, description: 'The window judged clean, in photo pixels (NO_DAMAGE).' })
  box!: Box | null;

  @Field(() => String, {
    description:
      "The API key's name (`name:key` in DEFECT_RAG_API_KEYS; `key-<hash prefix>` for a key without one), or `local` without keys.",
  })
  author!: string;

  @Field(() => Date)
  createdAt!: Date;

  static from(record: AnalystLabelRecord): AnalystLabel {
    return {
      id: record.id,
      datasetId: record.datasetId,
      photoId: `photo:${record.photoId}`,
      kind: record.kind as LabelKind,
      damageType: record.damageType,
      polygon: record.polygon,
      cropId: record.cropId,
      box: record.box,
      author: record.author,
      createdAt: record.createdAt,
    };
  }
}

@ObjectType({ description: 'A label changed, and the run that brings its photo’s points up to date.' })
export class LabelChange {
  @Field(() => AnalystLabel)
  label!: AnalystLabel;

  @Field(() => ID, {
    nullable: true,
    description:
      'The RELABEL run recomputing the photo’s points (see run(id)); null while another run of the dataset is in progress in this server: the RELABEL run follows it.',
  })
  runId!: string | null;
}

@InputType({ description: 'A damage polygon of a photo.' })
export class DefectLabelInput {
  @Field(() => ID, { description: 'The photo: `photo:<imageId>` or its image id.' })
  @Check(labelChecks.photoId)
  photoId!: string;

  @Field(() => String, { description: "A damage type id of the dataset's taxonomy (see taxonomy)." })
  @Check(labelChecks.damageType)
  damageType!: string;

  @Field(() => [RegionPoint], { description: 'At least 3 points, inside the photo, in its pixels.' })
  @Check(labelChecks.polygon(z.unknown()))
  polygon!: RegionPoint[];
}

@InputType({ description: 'A window of a photo with no damage: one of its crops, or a box.' })
@CheckInput<NoDamageInput>(oneNoDamageWindow.holds, 'cropId', oneNoDamageWindow.message)
export class NoDamageInput {
  @Field(() => ID)
  @Check(labelChecks.photoId)
  photoId!: string;

  @Field(() => ID, { nullable: true, description: 'A crop of the photo (a search result).' })
  @Check(labelChecks.cropId)
  cropId?: string;

  @Field(() => RegionBox, { nullable: true, description: 'A window inside the photo, in its pixels.' })
  box?: RegionBox;
}
