import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A canonical damage type: the ids crops and filters use.' })
export class DamageType {
  @Field(() => String)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  plural!: string;

  @Field(() => Boolean, { description: 'Weighted in evaluation (critical recall).' })
  critical!: boolean;

  @Field(() => String, { description: 'What it looks like, e.g. "fractured material, jagged edges".' })
  visual!: string;

  @Field(() => [String], { description: 'Other labels (Spanish and English) normalised to this type.' })
  synonyms!: string[];
}

@ObjectType({ description: 'An area: its id in crops and filters, its name in descriptions.' })
export class TaxonomyEntry {
  @Field(() => String)
  id!: string;

  @Field(() => String)
  name!: string;
}

@ObjectType({
  description:
    'A vehicle zone. Crops keep their most specific zone; a filter or a count on a zone includes the zones below it.',
})
export class Zone {
  @Field(() => String)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true, description: 'The zone this one is part of (`side` for `left_side`).' })
  parent!: string | null;

  @Field(() => [String], { description: 'The zones directly below this one, in the taxonomy’s order.' })
  children!: string[];
}

@ObjectType({ description: 'A vehicle part label and the zone and area it belongs to.' })
export class PartMapping {
  @Field(() => String)
  label!: string;

  @Field(() => String)
  zone!: string;

  @Field(() => String)
  area!: string;
}

@ObjectType({ description: 'The vocabulary of damage types, zones and areas.' })
export class Taxonomy {
  @Field(() => [DamageType])
  damageTypes!: DamageType[];

  @Field(() => [Zone])
  zones!: Zone[];

  @Field(() => [TaxonomyEntry])
  areas!: TaxonomyEntry[];

  @Field(() => [PartMapping])
  parts!: PartMapping[];
}

@ObjectType()
export class ValueCount {
  @Field(() => String)
  value!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: 'Damaged crops of one zone with one damage type.' })
export class ZoneDamageTypeCount {
  @Field(() => String)
  zone!: string;

  @Field(() => String)
  damageType!: string;

  @Field(() => Int)
  count!: number;
}

@ObjectType({ description: 'Counts of the indexed crops. A crop with several damage types counts once for each.' })
export class IndexStats {
  @Field(() => String)
  collection!: string;

  @Field(() => Int)
  points!: number;

  @Field(() => Int)
  damaged!: number;

  @Field(() => Int)
  clean!: number;

  @Field(() => Int, { description: 'Crops of unlabelled photos: neither damaged nor clean.' })
  unlabelled!: number;

  @Field(() => [ValueCount], { description: "A zone's count includes the crops of the zones below it." })
  byZone!: ValueCount[];

  @Field(() => [ValueCount])
  byDamageType!: ValueCount[];

  @Field(() => [ValueCount])
  byArea!: ValueCount[];

  @Field(() => [ZoneDamageTypeCount], {
    description:
      'The zone × damage type table of the damaged crops: one row per pair that occurs, by zone, most frequent first.',
  })
  zoneDamageTypes!: ZoneDamageTypeCount[];
}
