import { MAX_SEARCH_LIMIT, searchSimilar, type SimilarityResult } from '@defect-rag/pipeline';
import { DefectRagError, isVectorKind, VECTOR_KINDS, type VectorKind } from '@defect-rag/runtime';
import { collect, integer, number, withBackend } from '../backend';
import type { CliCommand } from './command';

interface SearchCliOptions {
  cropId?: string;
  image?: string;
  text?: string;
  mode?: VectorKind;
  model?: string;
  damaged?: boolean;
  clean?: boolean;
  zone?: string[];
  area?: string[];
  type?: string[];
  dataset?: string;
  split?: string;
  limit: number;
  minScore?: number;
  exact?: boolean;
  json?: boolean;
}

export const searchCommand: CliCommand = {
  register(program) {
    program
      .command('search')
      .description('find the crops most similar to a crop, an image or a text')
      .option('--crop-id <id>', 'a crop in the index (it is never returned itself)')
      .option('--image <file>', 'an image file')
      .option('--text <text>', 'a text, e.g. "deep scratch on the rear bumper"')
      .option(
        '--mode <mode>',
        'vectors to compare: fused, image or text (default: fused; image for an image-only model; an encoder pair’s image or text query: its own kind)',
      )
      .option('--model <dir>', 'model folder (default: the first of DEFECT_RAG_MODEL_DIR)')
      .option('--damaged', 'only crops with damage')
      .option('--clean', 'only crops without damage')
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
        if (options.damaged && options.clean)
          throw new DefectRagError('BAD_INPUT', '--damaged and --clean exclude each other');
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
              filter: {
                hasDamage: options.damaged ? true : options.clean ? false : undefined,
                zones: options.zone,
                areas: options.area,
                damageTypes: options.type,
                datasetId: options.dataset,
                split: options.split,
              },
              limit: options.limit,
              minScore: options.minScore,
              exact: options.exact,
            }),
          { modelDir: options.model },
        );
        process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : formatResult(result));
      });
  },
};

function formatResult(result: SimilarityResult): string {
  const lines = [
    `${result.items.length} result(s), mode ${result.mode}, model ${result.modelId}${result.randomWeights ? ' (random test weights: scores are meaningless)' : ''}`,
  ];
  result.items.forEach(({ score, crop }, index) => {
    const damage = crop.damageTypes.length > 0 ? crop.damageTypes.join(',') : 'clean';
    lines.push(
      `${String(index + 1).padStart(3)}. ${score.toFixed(4)}  ${crop.id}  [${crop.vehicleZone} / ${crop.area}; ${damage}]`,
    );
    lines.push(`       ${crop.textDescription}`);
  });
  return `${lines.join('\n')}\n`;
}
