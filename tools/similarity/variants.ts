/**
 * The pooling heads the measurement embeds in one pass (a single ONNX graph with one output per
 * head, built by tools/inception-v3's converter from the same frozen weights), and the variants
 * measured from them: a head alone, or several heads' vectors concatenated.
 */
import type { WhiteningOptions } from '@defect-rag/embedding';
import type { Head, Pooling } from '../inception-v3/converter';

const LAYERS = ['mixed0', 'mixed1', 'mixed2', 'mixed3', 'mixed4', 'mixed5', 'mixed6', 'mixed7'];
/** GeM and R-MAC on the 17×17 maps (mixed3 … mixed7); the 35×35 layers are averaged only. */
const REGIONAL = new Set(['mixed3', 'mixed4', 'mixed5', 'mixed6', 'mixed7']);

export const PROBE_HEADS: Head[] = LAYERS.flatMap((layer) =>
  (['avg', 'gem', 'rmac'] as Pooling[])
    .filter((pooling) => pooling === 'avg' || REGIONAL.has(layer))
    .map((pooling) => ({ output: headName(layer, pooling), layers: [layer], pooling })),
);

export function headName(layer: string, pooling: Pooling): string {
  return `${layer}_${pooling}`;
}

/** A measured vector: heads of the probe concatenated, optionally whitened (fitted on the train crops). */
export interface Variant {
  name: string;
  heads: string[];
  /** The queries' heads where they differ from the indexed crops' (defect-pooled crops queried by the whole image). */
  queryHeads?: string[];
  whiten?: WhiteningOptions;
}

const W256: WhiteningOptions = { dimensions: 256, power: 0.5 };
/** Whitening is measured on these (each fit is an eigendecomposition: not on every head). */
const WHITENED = ['mixed5_avg', 'mixed5_gem', 'mixed5_rmac', 'mixed4_avg', 'mixed4_rmac', 'mixed4_avg+mixed5_avg'];

const plain: Variant[] = [
  // Converter version 1's default (mixed5 average) first: the rule compares the others with it.
  ...PROBE_HEADS.map((head) => ({ name: head.output, heads: [head.output] })),
  { name: 'mixed4_avg+mixed5_avg', heads: ['mixed4_avg', 'mixed5_avg'] },
  { name: 'mixed3_avg+mixed4_avg+mixed5_avg', heads: ['mixed3_avg', 'mixed4_avg', 'mixed5_avg'] },
  { name: 'mixed2_avg+mixed5_avg', heads: ['mixed2_avg', 'mixed5_avg'] },
  { name: 'mixed5_avg+mixed5_rmac', heads: ['mixed5_avg', 'mixed5_rmac'] },
].sort((a, b) => Number(b.name === 'mixed5_avg') - Number(a.name === 'mixed5_avg'));

export const MEASURED_VARIANTS: Variant[] = [
  ...plain,
  ...plain
    .filter((variant) => WHITENED.includes(variant.name))
    .map((variant) => ({ ...variant, name: `${variant.name} +whiten256`, whiten: W256 })),
  { name: 'mixed5_avg +whiten128', heads: ['mixed5_avg'], whiten: { dimensions: 128, power: 0.5 } },
  { name: 'mixed5_avg +whiten-all', heads: ['mixed5_avg'], whiten: { power: 0.5 } },
  { name: 'mixed5_avg +whiten256 power 0.25', heads: ['mixed5_avg'], whiten: { dimensions: 256, power: 0.25 } },
];
