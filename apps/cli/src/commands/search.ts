import { MAX_SEARCH_LIMIT, searchSimilar, type SimilarityResult } from '@defect-rag/search';
import { Option } from 'commander';
import {
  DefectRagError,
  isVectorKind,
  POINT_LEVELS,
  VECTOR_KINDS,
  type PointLevel,
  type VectorKind,
} from '@defect-rag/runtime';
import { collect, integer, number, withBackend } from '../backend';
import type { CliCommand } from './command';

interface SearchCliOptions {
  cropId?: string;
  image?: string;
  text?: string;
  mode?: VectorKind;
  level: PointLevel;
  model?: string;
  damaged?: boolean;
  clean?: boolean;
  labelled?: boolean;
  unlabelled?: boolean;
  zone?: string[];
  area?: string[];
  type?: string[];
  dataset?: string;
  split?: string;
  limit: number;
  minScore?: number;
  exact?: boolean;
  json?: boolean;
  alpha?: number;
  region?: RegionBox;
  positive?: string[];
  negative?: string[];
  onePerPhoto?: boolean;
  excludePhoto?: string[];
  offset?: number;
}

interface RegionBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** `x,y,w,h` in source-photo pixels. */
function regionBox(value: string): RegionBox {
  const parts = value.split(',').map(Number);
  if (parts.length !== 4 || !parts.every(Number.isFinite)) {
    throw new DefectRagError('BAD_INPUT', `--region must be x,y,width,height in pixels, got "${value}"`);
  }
  const [x, y, width, height] = parts as [number, number, number, number];
  return { x, y, width, height };
}

export const searchCommand: CliCommand = {
  register(program) {
    program
      .command('search')
      .description(
        'find the crops (or whole photos) most similar to crops, an image (or a region of it), a text, or an image and a text together',
      )
      .option('--crop-id <id>', 'a crop in the index (it is never returned itself)')
      .option('--image <file>', 'an image file')
      .option('--text <text>', 'a text, e.g. "deep scratch on the rear bumper"; with --image: a hybrid query')
      .option('--alpha <a>', "image weight of a hybrid query, 0–1 (default: the index's fusion)", number)
      .option(
        '--region <x,y,w,h>',
        'search with this box of the --image photo (pixels), cut as the index cuts',
        regionBox,
      )
      .option('--positive <id>', 'more like this crop (repeatable; never returned)', collect)
      .option('--negative <id>', 'not like this crop (repeatable; never returned)', collect)
      .option('--one-per-photo', 'at most one crop per photo, its best')
      .option('--exclude-photo <id>', "leave out this photo's crops (repeatable)", collect)
      .option('--offset <n>', `skip this many results first (offset + limit ≤ ${MAX_SEARCH_LIMIT})`, integer)
      .option(
        '--mode <mode>',
        'vectors to compare: fused, image or text (default: fused; image for an image-only model; an encoder pair’s image or text query: its own kind)',
      )
      .addOption(
        new Option(
          '--level <level>',
          'crop: crops; photo: whole photos (an --image is then taken as a whole photo, embedded as photo points are)',
        )
          .choices(POINT_LEVELS)
          .default('crop'),
      )
      .option('--model <dir>', 'model folder (default: the first of DEFECT_RAG_MODEL_DIR)')
      .option('--damaged', 'only crops with damage')
      .option('--clean', 'only crops without damage')
      .option('--labelled', 'only crops of labelled photos')
      .option('--unlabelled', 'only windows of unlabelled photos (damage unknown): where to find new damage')
      .option('--zone <zone>', 'only this vehicle zone (repeatable: any of them)', collect)
      .option('--area <area>', 'only this area (repeatable)', collect)
      .option('--type <damage-type>', 'only crops with this damage type (repeatable)', collect)
      .option('--dataset <id>', 'only this dataset id')
      .option('--split <split>', 'only train or test crops')
      .option('--limit <k>', `how many (1–${MAX_SEARCH_LIMIT})`, integer, 10)
      .option('--min-score <score>', 'only results at least this similar (cosine, -1…1)', number)
      .option('--exact', 'exact search instead of HNSW')
      .option('--json', 'print the results as JSON')
      .action(async (options: SearchCliOptions) => {
        // Checked here too, so the message names the flags rather than the query's fields.
        if (!options.cropId && !options.image && options.text === undefined && !options.positive?.length)
          throw new DefectRagError(
            'BAD_INPUT',
            `give at least one of --crop-id, --positive, --image or --text${options.negative?.length ? ' (--negative alone says only what not to look for)' : ''}`,
          );
        if (options.damaged && options.clean)
          throw new DefectRagError('BAD_INPUT', '--damaged and --clean exclude each other');
        if (options.labelled && options.unlabelled)
          throw new DefectRagError('BAD_INPUT', '--labelled and --unlabelled exclude each other');
        if (options.mode !== undefined && !isVectorKind(options.mode))
          throw new DefectRagError(
            'BAD_INPUT',
            `--mode must be one of ${VECTOR_KINDS.join(', ')}, got ${options.mode}`,
          );
        const result = await withBackend(
          (backend) =>
            searchSimilar(backend, {
              cropId: options.cropId,
              image: options.image,
              text: options.text,
              mode: options.mode,
              level: options.level,
              filter: {
                hasDamage: options.damaged ? true : options.clean ? false : undefined,
                labelled: options.labelled ? true : options.unlabelled ? false : undefined,
                zones: options.zone,
                areas: options.area,
                damageTypes: options.type,
                datasetId: options.dataset,
                split: options.split,
              },
              limit: options.limit,
              minScore: options.minScore,
              exact: options.exact,
              alpha: options.alpha,
              region: options.region && { box: options.region },
              positiveCropIds: options.positive,
              negativeCropIds: options.negative,
              onePerPhoto: options.onePerPhoto,
              excludePhotoIds: options.excludePhoto,
              offset: options.offset,
            }),
          { modelDir: options.model },
        );
        process.stdout.write(
          options.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result, options.offset ?? 0),
        );
      });
  },
};

function formatResult(result: SimilarityResult, offset: number): string {
  const lines = [
    `${result.items.length} result(s), mode ${result.mode}, model ${result.modelId}${result.randomWeights ? ' (random test weights: scores are meaningless)' : ''}`,
  ];
  result.items.forEach(({ score, crop }, index) => {
    const damage = crop.damageTypes.length > 0 ? crop.damageTypes.join(',') : crop.labelled ? 'clean' : 'unlabelled';
    // A window of an unlabelled photo is a candidate to look at: where it lies in its photo.
    const { x, y, width, height } = crop.box;
    const where = crop.labelled ? '' : ` at ${x},${y} ${width}×${height}`;
    lines.push(
      `${String(offset + index + 1).padStart(3)}. ${score.toFixed(4)}  ${crop.id}  [${crop.vehicleZone} / ${crop.area}; ${damage}; photo ${crop.imageId}${where}]`,
    );
    lines.push(`       ${crop.textDescription}`);
    if (crop.photo)
      lines.push(
        `       ${crop.sourceImage}, ${crop.photo.width}×${crop.photo.height}, ${crop.photo.cropIds.length} crops`,
      );
  });
  return `${lines.join('\n')}\n`;
}
