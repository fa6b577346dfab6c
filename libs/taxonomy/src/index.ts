export {
  loadTaxonomy,
  loadDatasetTaxonomy,
  datasetTaxonomyFile,
  findDatasetTaxonomy,
  DEFAULT_TAXONOMY_FILE,
} from './load';
export { TaxonomyNormalizer, type UnknownLabel } from './normalizer';
export { labelCrop, zoneOfCrop, type CropLabels, type PartOverlap, type CropZone } from './zone';
export { zonesWithin, childZones, rollUpZoneCounts } from './hierarchy';
export {
  UNKNOWN,
  type Taxonomy,
  type DamageType,
  type NamedId,
  type Zone,
  type PartMapping,
  type DescriptionTemplates,
} from './taxonomy';
export { parseLabelQuery, type LabelQuery } from './label-query';
